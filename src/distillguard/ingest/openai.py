"""OpenAI-compatible request/response bodies wrapped with gateway metadata, one object per line.

Accepted envelope (every field but ``request``/``response`` is top level; see docs/ingest.md)::

    {"request_id", "timestamp" (RFC 3339 or epoch seconds), "account_id", "org_id",
     "api_key_id", "ip", "asn", "country", "payment_fingerprint", "account_created_at",
     "email_domain", "conversation_id", "status",
     "headers": {"user-agent", "x-ja3" | "x-ja4" | "x-tls-fingerprint"},
     "request": {"model", "messages": [...] | "prompt" | "input", "instructions", "max_tokens" |
                 "max_completion_tokens" | "max_output_tokens", "temperature", "tools": [...]},
     "response": {"id", "model", "created", "choices": [{"message": {"content"}, "finish_reason"}],
                  "usage": {"prompt_tokens" | "input_tokens",
                            "completion_tokens" | "output_tokens"},
                  "error"}}
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from distillguard.ingest.jsonlines import JsonRecordsAdapter
from distillguard.ingest.sniffing import first_object

_NUM = "('BIGINT', 'UBIGINT', 'DOUBLE')"


def epoch_or_text(expr: str) -> str:
    """SQL: a JSON value holding RFC 3339 text or epoch seconds, as timestamp text."""
    return (
        f"CASE WHEN json_type({expr}) IN {_NUM} AND TRY_CAST({expr}->>'$' AS DOUBLE) "
        f"BETWEEN 0 AND 32503680000 "
        f"THEN CAST(to_timestamp(CAST({expr}->>'$' AS DOUBLE)) AS VARCHAR) "
        f"ELSE {expr}->>'$' END"
    )


def header(name: str) -> str:
    """SQL: a request header, trying common capitalisations."""
    variants = {name, name.title(), name.upper()}
    return "coalesce(" + ", ".join(f"j->>'$.headers.\"{v}\"'" for v in sorted(variants)) + ")"


class OpenAIAdapter(JsonRecordsAdapter):
    """Gateway envelope around OpenAI chat/completions/responses request and response bodies."""

    name = "openai"
    extensions = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")

    fields: ClassVar[dict[str, str]] = {
        "request_id": "coalesce(j->>'$.request_id', j->>'$.id', j->>'$.response.id')",
        "timestamp": "coalesce("
        + epoch_or_text("j->'$.timestamp'")
        + ", "
        + epoch_or_text("j->'$.response.created'")
        + ")",
        "account_id": "coalesce(j->>'$.account_id', j->>'$.request.user')",
        "org_id": "j->>'$.org_id'",
        "api_key_id": "j->>'$.api_key_id'",
        "ip": "coalesce(j->>'$.ip', j->>'$.client_ip')",
        "asn": "j->>'$.asn'",
        "country": "j->>'$.country'",
        "user_agent": "coalesce(j->>'$.user_agent', " + header("user-agent") + ")",
        "tls_fingerprint": "coalesce(j->>'$.tls_fingerprint', "
        + header("x-ja3")
        + ", "
        + header("x-ja4")
        + ", "
        + header("x-tls-fingerprint")
        + ")",
        "payment_fingerprint": "j->>'$.payment_fingerprint'",
        "account_created_at": epoch_or_text("j->'$.account_created_at'"),
        "email_domain": "j->>'$.email_domain'",
        "model": "coalesce(j->>'$.request.model', j->>'$.response.model')",
        "conversation_id": "coalesce(j->>'$.conversation_id', j->>'$.session_id', "
        "j->>'$.request.metadata.conversation_id', j->>'$.request.previous_response_id')",
        "turn_index": "coalesce(j->>'$.turn_index', "
        "CAST(dg_user_turn(j->'$.request.messages') AS VARCHAR))",
        "system_prompt": "coalesce(dg_system(j->'$.request.messages'), "
        "dg_text(j->'$.request.instructions'))",
        "prompt": "coalesce(dg_last_user(j->'$.request.messages'), "
        "dg_last_user(j->'$.request.input'), "
        "dg_text(j->'$.request.input'), dg_text(j->'$.request.prompt'))",
        "tool_count": "CASE WHEN json_type(j->'$.request.tools') = 'ARRAY' "
        "THEN json_array_length(j->'$.request.tools') "
        "WHEN json_type(j->'$.request.functions') = 'ARRAY' "
        "THEN json_array_length(j->'$.request.functions') END",
        "max_tokens": "coalesce(j->>'$.request.max_completion_tokens', j->>'$.request.max_tokens', "
        "j->>'$.request.max_output_tokens')",
        "temperature": "j->>'$.request.temperature'",
        "input_tokens": "coalesce(j->>'$.response.usage.prompt_tokens', "
        "j->>'$.response.usage.input_tokens')",
        "output_tokens": "coalesce(j->>'$.response.usage.completion_tokens', "
        "j->>'$.response.usage.output_tokens')",
        "response": "coalesce(dg_first_choice(j->'$.response'), "
        "dg_msg_text((j->'$.response.output[*]')[-1]))",
        "status": "coalesce(j->>'$.status', CASE "
        "WHEN (j->'$.error') IS NOT NULL OR (j->'$.response.error') IS NOT NULL "
        "OR TRY_CAST(j->>'$.status_code' AS BIGINT) >= 400 THEN 'error' "
        "WHEN j->>'$.response.choices[0].finish_reason' = 'content_filter' THEN 'refused' "
        "WHEN (j->'$.response') IS NOT NULL THEN 'ok' END)",
    }

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        obj = first_object(head)
        return (
            obj is not None
            and isinstance(obj.get("request"), dict)
            and ("messages" in obj["request"] or "model" in obj["request"])
        )

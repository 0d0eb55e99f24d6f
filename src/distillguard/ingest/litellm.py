"""LiteLLM logs: ``StandardLoggingPayload`` JSON lines and ``LiteLLM_SpendLogs`` row exports.

Both shapes are accepted in one file; each field is taken from whichever shape carries it (see the
mapping table in docs/ingest.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from distillguard.ingest.jsonlines import JsonRecordsAdapter
from distillguard.ingest.openai import epoch_or_text
from distillguard.ingest.sniffing import first_object


def _s(path: str) -> str:
    return f"NULLIF(trim(j->>'{path}'), '')"


def _meta(key: str) -> str:
    # Spend logs store ``metadata`` as an object or as a JSON string.
    return (
        f"coalesce({_s('$.metadata.' + key)}, CASE WHEN json_type(j->'$.metadata') = 'VARCHAR' "
        f"AND json_valid(j->>'$.metadata') "
        f"THEN NULLIF(trim((j->>'$.metadata')->>'$.{key}'), '') END)"
    )


_MSGS = "j->'$.messages'"
_RESP = (
    "CASE WHEN json_type(j->'$.response') = 'VARCHAR' AND json_valid(j->>'$.response') "
    "THEN (j->>'$.response')::JSON ELSE j->'$.response' END"
)
_PARAMS = (
    "CASE WHEN json_type(j->'$.model_parameters') = 'OBJECT' THEN j->'$.model_parameters' "
    "ELSE j->'$.metadata.model_parameters' END"
)


class LiteLLMAdapter(JsonRecordsAdapter):
    """LiteLLM proxy logging payloads and spend-log rows."""

    name = "litellm"
    extensions = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")

    fields: ClassVar[dict[str, str]] = {
        "request_id": f"coalesce({_s('$.id')}, {_s('$.request_id')}, {_s('$.litellm_call_id')})",
        "timestamp": epoch_or_text("j->'$.startTime'"),
        # The key's owner (user, else team) is billed; an SDK caller without a proxy has no key,
        # and ``completion(user=...)`` reaches the log only as ``model_parameters.user``.
        "account_id": f"coalesce({_meta('user_api_key_user_id')}, {_s('$.user')}, "
        f"{_meta('user_api_key_team_id')}, {_s('$.team_id')}, {_s('$.end_user')}, "
        f"{_meta('user_api_key_end_user_id')}, NULLIF(trim(({_PARAMS})->>'$.user'), ''), "
        f"{_meta('user_api_key_hash')}, {_s('$.api_key')})",
        "org_id": f"coalesce({_meta('user_api_key_org_id')}, {_s('$.organization_id')}, "
        f"{_meta('user_api_key_team_id')}, {_s('$.team_id')})",
        "api_key_id": f"coalesce({_meta('user_api_key_hash')}, {_s('$.api_key')})",
        "ip": f"coalesce({_s('$.requester_ip_address')}, {_meta('requester_ip_address')})",
        "user_agent": f"coalesce({_meta('user_agent')}, {_s('$.user_agent')}, "
        "j->>'$.proxy_server_request.headers.\"user-agent\"', "
        "j->>'$.metadata.headers.\"user-agent\"')",
        "model": f"coalesce({_s('$.model')}, {_s('$.model_group')})",
        # ``session_id`` is "" unless ``request_correlation_in_logs`` is on; the client's session
        # (``litellm_session_id`` / ``x-litellm-session-id``) is then in ``trace_id``.
        "conversation_id": f"coalesce({_s('$.session_id')}, {_meta('session_id')}, "
        f"{_s('$.metadata.requester_metadata.session_id')}, {_s('$.trace_id')}, "
        f"{_s('$.litellm_session_id')}, {_meta('litellm_session_id')}, "
        f"{_meta('litellm_trace_id')})",
        "turn_index": f"dg_user_turn({_MSGS})",
        "system_prompt": f"dg_system({_MSGS})",
        "prompt": f"coalesce(dg_last_user({_MSGS}), CASE WHEN json_type({_MSGS}) = 'VARCHAR' "
        f"AND NOT json_valid(j->>'$.messages') THEN j->>'$.messages' END, "
        f"dg_text(j->'$.proxy_server_request.prompt'))",
        "tool_count": f"CASE WHEN json_type(({_PARAMS})->'$.tools') = 'ARRAY' "
        f"THEN json_array_length(({_PARAMS})->'$.tools') END",
        "max_tokens": f"coalesce(({_PARAMS})->>'$.max_completion_tokens', "
        f"({_PARAMS})->>'$.max_tokens')",
        "temperature": f"({_PARAMS})->>'$.temperature'",
        "input_tokens": "j->>'$.prompt_tokens'",
        "output_tokens": "j->>'$.completion_tokens'",
        "response": f"coalesce(dg_first_choice({_RESP}), CASE WHEN json_type(j->'$.response') = "
        "'VARCHAR' AND NOT json_valid(j->>'$.response') THEN j->>'$.response' END)",
        "status": "CASE lower(j->>'$.status') WHEN 'success' THEN 'ok' WHEN 'failure' THEN 'error' "
        "ELSE j->>'$.status' END",
    }

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        obj = first_object(head)
        if obj is None or "startTime" not in obj:
            return False
        return bool(
            {"call_type", "model_parameters", "api_key", "spend", "litellm_call_id"} & obj.keys()
        )

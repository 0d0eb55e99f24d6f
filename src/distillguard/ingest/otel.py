"""OpenTelemetry GenAI spans: OTLP/JSON export requests or one span per line.

A line holding ``{"resourceSpans": [...]}`` is expanded to its spans in SQL; any other object line
is taken to be one span (OTLP ``attributes`` as ``[{key, value: {stringValue|...}}]`` or a plain
``{name: value}`` object as console exporters write). A pretty-printed single OTLP document is read
whole. Both the current and the older GenAI attribute names are accepted (docs/ingest.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pyarrow as pa

from distillguard.errors import InputError
from distillguard.ingest.jsonlines import JsonRecordsAdapter, iter_line_blocks, open_maybe_gzip
from distillguard.ingest.sniffing import first_object, read_head

MAX_DOCUMENT_BYTES = 1 << 30


ATTRIBUTES: set[str] = set()
EVENT_ATTRIBUTES: set[tuple[str, str]] = set()


def a(key: str) -> str:
    """SQL: the column holding a span attribute (falling back to the resource's)."""
    ATTRIBUTES.add(key)
    return f'"a:{key}"'


def ev(event: str, key: str) -> str:
    """SQL: the column holding an attribute of the last span event with this name."""
    EVENT_ATTRIBUTES.add((event, key))
    return f'"e:{event}:{key}"'


def _attribute_columns() -> str:
    cols = [
        f"coalesce(dg_attr(attrs, '{k}'), dg_attr(rattrs, '{k}')) AS \"a:{k}\""
        for k in sorted(ATTRIBUTES)
    ]
    cols += [
        f"dg_attr(dg_attrs(list_filter(events, lambda e: e->>'$.name' = '{e}')[-1]"
        f"->'$.attributes'), '{k}') AS \"e:{e}:{k}\""
        for e, k in sorted(EVENT_ATTRIBUTES)
    ]
    return ", ".join(cols)


def _json(expr: str) -> str:
    return f"CASE WHEN json_valid({expr}) THEN ({expr})::JSON END"


_NS = "coalesce(span->>'$.startTimeUnixNano', span->>'$.start_time_unix_nano')"
_IN = "in_msgs"  # columns computed from these attributes in records_sql
a("gen_ai.input.messages")
a("gen_ai.output.messages")
_OUT = "out_msgs"


class OtelAdapter(JsonRecordsAdapter):
    """OTel GenAI client/server spans (OTLP/JSON or one span per line)."""

    name = "otel"
    extensions = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".otlp.json")
    unit = "line"

    fields: ClassVar[dict[str, str]] = {
        "request_id": "coalesce(span->>'$.spanId', span->>'$.span_id', span->>'$.context.span_id', "
        + a("gen_ai.response.id")
        + ")",
        "timestamp": f"CASE WHEN TRY_CAST({_NS} AS HUGEINT) BETWEEN 0 AND 9000000000000000000 "
        f"THEN CAST(make_timestamp(CAST({_NS} AS BIGINT) // 1000) AS VARCHAR) "
        "ELSE span->>'$.start_time' END",
        "account_id": f"coalesce({a('enduser.id')}, {a('user.id')})",
        "org_id": a("enduser.org.id"),
        "ip": f"coalesce({a('client.address')}, {a('http.client_ip')})",
        "user_agent": f"coalesce({a('user_agent.original')}, {a('http.user_agent')})",
        "tls_fingerprint": f"coalesce({a('tls.client.ja3')}, {a('tls.client.ja4')})",
        "model": f"coalesce({a('gen_ai.request.model')}, {a('gen_ai.response.model')})",
        "conversation_id": f"coalesce({a('gen_ai.conversation.id')}, {a('session.id')})",
        "turn_index": f"dg_user_turn({_json(_IN)})",
        "system_prompt": f"coalesce(dg_text({_json(a('gen_ai.system_instructions'))}), "
        f"dg_system({_json(_IN)}), {ev('gen_ai.system.message', 'content')})",
        "prompt": f"coalesce(dg_last_user({_json(_IN)}), "
        f"dg_last_user({_json(a('gen_ai.prompt'))}), "
        f"{a('gen_ai.prompt')}, {ev('gen_ai.user.message', 'content')}, "
        f"dg_msg_text({_json(ev('gen_ai.user.message', 'gen_ai.event.content'))}), "
        f"{ev('gen_ai.content.prompt', 'gen_ai.prompt')})",
        "tool_count": f"CASE WHEN json_valid({a('gen_ai.tool.definitions')}) "
        f"THEN json_array_length({a('gen_ai.tool.definitions')}) END",
        "max_tokens": a("gen_ai.request.max_tokens"),
        "temperature": a("gen_ai.request.temperature"),
        "input_tokens": f"coalesce({a('gen_ai.usage.input_tokens')}, "
        f"{a('gen_ai.usage.prompt_tokens')})",
        "output_tokens": f"coalesce({a('gen_ai.usage.output_tokens')}, "
        f"{a('gen_ai.usage.completion_tokens')})",
        "response": f"coalesce(dg_msg_text(dg_msgs({_json(_OUT)})[1]), "
        f"dg_msg_text(dg_msgs({_json(a('gen_ai.completion'))})[1]), {a('gen_ai.completion')}, "
        f"dg_msg_text({_json(ev('gen_ai.choice', 'message'))}), {ev('gen_ai.choice', 'content')}, "
        f"dg_msg_text({_json(ev('gen_ai.choice', 'gen_ai.event.content'))}->'$.message'), "
        f"{ev('gen_ai.content.completion', 'gen_ai.completion')})",
        "status": "CASE WHEN upper(coalesce(span->>'$.status.code', span->>'$.status.status_code', "
        f"'')) IN ('2', 'STATUS_CODE_ERROR', 'ERROR') OR {a('error.type')} IS NOT NULL "
        "THEN 'error' ELSE 'ok' END",
    }

    def records_sql(self, lines: str) -> str:
        spans = (
            "flatten(list_transform(json_extract(line, '$.resourceSpans[*]'), lambda r: "
            "flatten(list_transform(json_extract(r, '$.scopeSpans[*]'), lambda s: "
            "list_transform(json_extract(s, '$.spans[*]'), lambda sp: "
            "struct_pack(span := sp, res := r->'$.resource.attributes'))))))"
        )
        expanded = (
            f"SELECT _loc, unnest(CASE WHEN json_type(line->'$.resourceSpans') = 'ARRAY' "
            f"THEN {spans} ELSE [struct_pack(span := line::JSON, res := NULL::JSON)] END) AS s "
            f"FROM {lines}"
        )
        spans_sql = (
            "SELECT _loc, span, dg_attrs(span->'$.attributes') AS attrs, dg_attrs(res) AS rattrs, "
            "json_extract(span, '$.events[*]') AS events, span::VARCHAR AS _rawrec "
            f"FROM (SELECT _loc, s.span AS span, s.res AS res FROM ({expanded}))"
        )
        with_attrs = f"SELECT *, {_attribute_columns()} FROM ({spans_sql})"
        return (
            f"SELECT *, {_json(a('gen_ai.input.messages'))} AS in_msgs, "
            f"{_json(a('gen_ai.output.messages'))} AS out_msgs FROM ({with_attrs})"
        )

    def body_block(self, data: bytes) -> pa.Table:
        """An OTLP/HTTP JSON body is one ExportTraceServiceRequest, however it is laid out."""
        text = data.decode("utf-8", errors="replace").strip()
        if not text:
            return pa.table(
                {"_loc": pa.array([], pa.int64()), "line": pa.array([], pa.large_string())}
            )
        return pa.table(
            {"_loc": pa.array([1], pa.int64()), "line": pa.array([text], pa.large_string())}
        )

    def blocks(self, path: Path) -> Iterator[pa.Table]:
        if first_object(read_head(path)) is not None:
            return iter_line_blocks(path, self.batch_size)
        return self._whole_document(path)

    def _whole_document(self, path: Path) -> Iterator[pa.Table]:
        with open_maybe_gzip(path) as fh:
            try:
                data = fh.read(MAX_DOCUMENT_BYTES + 1)
            except (OSError, EOFError, ValueError) as exc:
                raise InputError(f"cannot read file: {exc}", source=str(path)) from exc
        if len(data) > MAX_DOCUMENT_BYTES:
            raise InputError(
                "multi-line OTLP document over 1 GiB: export one request per line", source=str(path)
            )
        text = data.decode("utf-8", errors="replace").strip()
        if text:
            yield pa.table(
                {"_loc": pa.array([1], pa.int64()), "line": pa.array([text], pa.large_string())}
            )

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> bool:
        obj = first_object(head)
        if obj is None:
            return b'"resourceSpans"' in head[:4096]
        if "resourceSpans" in obj:
            return True
        has_id = "spanId" in obj or "span_id" in obj or "context" in obj
        return has_id and "attributes" in obj and ("gen_ai." in str(obj.get("attributes"))[:65536])

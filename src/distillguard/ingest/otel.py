"""OpenTelemetry GenAI spans, and the OTLP log records that carry their messages.

A line holding ``{"resourceSpans": [...]}`` is expanded to its spans in SQL; any other object line
is taken to be one span (OTLP ``attributes`` as ``[{key, value: {stringValue|...}}]`` or a plain
``{name: value}`` object as console exporters write). A pretty-printed single OTLP document is read
whole. Both the current and the older GenAI attribute names are accepted (docs/ingest.md).

The instrumentations keep message text off the span in two common set-ups: the v1.30 conventions
(``gen_ai.user.message``, ``gen_ai.system.message``, ``gen_ai.choice`` events) and the latest ones
with ``EVENT_ONLY`` (one ``gen_ai.client.inference.operation.details`` event). Both are OTLP *log
records* (``{"resourceLogs": [...]}`` lines, usually a file of their own) that name their span by
``traceId``/``spanId``. All the OTel files of a run are therefore read together: the log records
first, reduced in SQL to one row of message text per span, then the spans, left-joined to it. A
log record whose span is in none of the inputs is quarantined (``orphan_log_record``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import ClassVar

import duckdb
import pyarrow as pa

from distillguard.errors import InputError
from distillguard.ingest.base import QUARANTINE_SCHEMA, Batch, quarantine_table, temp_name
from distillguard.ingest.jsonlines import JsonRecordsAdapter, iter_line_blocks, open_maybe_gzip
from distillguard.ingest.sniffing import first_object, read_head
from distillguard.ingest.sqlmacros import install_macros
from distillguard.schema import REQUEST_SCHEMA

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


def _trace_id(span: str = "span") -> str:
    """SQL: the lower-case hex trace id of a span (OTLP or console exporter shape)."""
    return (
        f"lower(coalesce({span}->>'$.traceId', {span}->>'$.trace_id', "
        f"{span}->>'$.context.trace_id'))"
    )


def _span_id(span: str = "span") -> str:
    """SQL: the lower-case hex span id of a span (OTLP or console exporter shape)."""
    return (
        f"lower(coalesce({span}->>'$.spanId', {span}->>'$.span_id', {span}->>'$.context.span_id'))"
    )


# Log records of an OTLP/JSON logs export request, with their position in the line.
_LOG_RECORDS = (
    "list_transform(flatten(list_transform(json_extract(line, '$.resourceLogs[*]'), lambda r: "
    "flatten(list_transform(json_extract(r, '$.scopeLogs[*]'), lambda s: "
    "json_extract(s, '$.logRecords[*]'))))), lambda x, i: struct_pack(rec := x, i := i))"
)
_USER_EVENT = "gen_ai.user.message"
_SYSTEM_EVENTS = "('gen_ai.system.message')"
_CHOICE_EVENT = "gen_ai.choice"
_DETAILS_EVENT = "gen_ai.client.inference.operation.details"
# Per log record: its span, its order, and the message text it carries (NULL when none).
_EVENT_COLUMNS = f"""
    lower(rec->>'$.traceId') AS trace_id, lower(rec->>'$.spanId') AS span_id,
    coalesce(TRY_CAST(NULLIF(rec->>'$.timeUnixNano', '0') AS HUGEINT),
             TRY_CAST(rec->>'$.observedTimeUnixNano' AS HUGEINT)) AS t,
    name = '{_USER_EVENT}' AS is_user,
    CASE WHEN name = '{_USER_EVENT}' THEN coalesce(dg_msg_text(body),
        CASE WHEN json_type(body) = 'VARCHAR' THEN body->>'$' END) END AS user_text,
    CASE WHEN name IN {_SYSTEM_EVENTS} THEN coalesce(dg_msg_text(body),
        CASE WHEN json_type(body) = 'VARCHAR' THEN body->>'$' END) END AS system_text,
    name = '{_CHOICE_EVENT}' AND coalesce(body->>'$.index', '0') = '0' AS is_choice,
    CASE WHEN name = '{_CHOICE_EVENT}' THEN dg_msg_text(json_extract(body, '$.message')) END
        AS choice_text,
    CASE WHEN name = '{_DETAILS_EVENT}' THEN
        dg_anyjson(dg_attr_value(attrs, 'gen_ai.input.messages')) END AS in_msgs,
    CASE WHEN name = '{_DETAILS_EVENT}' THEN
        dg_anyjson(dg_attr_value(attrs, 'gen_ai.output.messages')) END AS out_msgs,
    CASE WHEN name = '{_DETAILS_EVENT}' THEN
        dg_anyjson(dg_attr_value(attrs, 'gen_ai.system_instructions')) END AS sys_instr
"""
_ORDER = "ORDER BY t, _file, _loc, _i"
# One row per span: the message text of all its log records.
_MESSAGE_COLUMNS = f"""
    last(user_text {_ORDER}) FILTER (WHERE is_user) AS lg_prompt,
    count(*) FILTER (WHERE is_user) AS lg_users,
    string_agg(system_text, chr(10) {_ORDER}) AS lg_system,
    first(choice_text {_ORDER}) FILTER (WHERE is_choice) AS lg_response,
    last(in_msgs {_ORDER}) FILTER (WHERE in_msgs IS NOT NULL) AS lg_in,
    last(out_msgs {_ORDER}) FILTER (WHERE out_msgs IS NOT NULL) AS lg_out,
    last(sys_instr {_ORDER}) FILTER (WHERE sys_instr IS NOT NULL) AS lg_sys
"""
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
        "turn_index": f"coalesce(dg_user_turn({_json(_IN)}), dg_user_turn(lg_in), "
        "NULLIF(lg_users, 0) - 1)",
        "system_prompt": f"coalesce(dg_text({_json(a('gen_ai.system_instructions'))}), "
        f"dg_system({_json(_IN)}), {ev('gen_ai.system.message', 'content')}, "
        "dg_text(CASE WHEN json_type(lg_sys) = 'VARCHAR' AND json_valid(lg_sys->>'$') "
        "THEN (lg_sys->>'$')::JSON ELSE lg_sys END), dg_system(lg_in), lg_system)",
        "prompt": f"coalesce(dg_last_user({_json(_IN)}), "
        f"dg_last_user({_json(a('gen_ai.prompt'))}), "
        f"{a('gen_ai.prompt')}, {ev('gen_ai.user.message', 'content')}, "
        f"dg_msg_text({_json(ev('gen_ai.user.message', 'gen_ai.event.content'))}), "
        f"{ev('gen_ai.content.prompt', 'gen_ai.prompt')}, dg_last_user(lg_in), lg_prompt)",
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
        f"{ev('gen_ai.content.completion', 'gen_ai.completion')}, "
        "dg_msg_text(dg_msgs(lg_out)[1]), lg_response)",
        "status": "CASE WHEN upper(coalesce(span->>'$.status.code', span->>'$.status.status_code', "
        f"'')) IN ('2', 'STATUS_CODE_ERROR', 'ERROR') OR {a('error.type')} IS NOT NULL "
        "THEN 'error' ELSE 'ok' END",
    }

    def __init__(self, batch_size: int = 100_000) -> None:
        super().__init__(batch_size)
        self._messages: str | None = None  # TEMP table of per-span log-record text, while reading

    def records_sql(self, lines: str) -> str:
        spans_sql = (
            "SELECT _loc, span, dg_attrs(span->'$.attributes') AS attrs, dg_attrs(res) AS rattrs, "
            "json_extract(span, '$.events[*]') AS events, span::VARCHAR AS _rawrec "
            f"FROM ({self._spans_sql(lines)})"
        )
        with_attrs = f"SELECT *, {_attribute_columns()} FROM ({spans_sql})"
        if self._messages is None:
            messages = (
                "SELECT NULL::VARCHAR AS trace_id, NULL::VARCHAR AS span_id, "
                "NULL::VARCHAR AS lg_prompt, NULL::BIGINT AS lg_users, NULL::VARCHAR AS lg_system, "
                "NULL::VARCHAR AS lg_response, NULL::JSON AS lg_in, NULL::JSON AS lg_out, "
                "NULL::JSON AS lg_sys WHERE false"
            )
        else:
            messages = f"SELECT * FROM {self._messages}"
        joined = (
            f"SELECT s.*, m.* EXCLUDE (trace_id, span_id) FROM ({with_attrs}) s "
            f"LEFT JOIN ({messages}) m ON m.span_id = {_span_id('s.span')} "
            f"AND m.trace_id = {_trace_id('s.span')}"
        )
        return (
            f"SELECT *, {_json(a('gen_ai.input.messages'))} AS in_msgs, "
            f"{_json(a('gen_ai.output.messages'))} AS out_msgs FROM ({joined})"
        )

    @staticmethod
    def _spans_sql(lines: str) -> str:
        """``(_loc, span, res)`` for every span of ``lines`` (log-record lines give none)."""
        spans = (
            "flatten(list_transform(json_extract(line, '$.resourceSpans[*]'), lambda r: "
            "flatten(list_transform(json_extract(r, '$.scopeSpans[*]'), lambda s: "
            "list_transform(json_extract(s, '$.spans[*]'), lambda sp: "
            "struct_pack(span := sp, res := r->'$.resource.attributes'))))))"
        )
        expanded = (
            f"SELECT _loc, unnest(CASE WHEN json_type(line->'$.resourceSpans') = 'ARRAY' "
            f"THEN {spans} WHEN json_type(line->'$.resourceLogs') = 'ARRAY' "
            "THEN []::STRUCT(span JSON, res JSON)[] "
            f"ELSE [struct_pack(span := line::JSON, res := NULL::JSON)] END) AS s FROM {lines}"
        )
        return f"SELECT _loc, s.span AS span, s.res AS res FROM ({expanded})"

    def read(self, path: Path, con: duckdb.DuckDBPyConnection) -> Iterator[Batch]:
        for _, batch in self.read_files([path], con):
            yield batch

    def read_files(
        self, paths: Sequence[Path], con: duckdb.DuckDBPyConnection
    ) -> Iterator[tuple[Path, Batch]]:
        """Log records of every file first (as per-span message text), then the spans."""
        install_macros(con)
        with_logs = [p for p in paths if b'"resourceLogs"' in read_head(p)]
        if not with_logs:
            for path in paths:
                for block in self.blocks(path):
                    yield path, self._convert(block, con, str(path))
            return
        events, messages, seen = temp_name("otel_ev"), temp_name("otel_msg"), temp_name("otel_seen")
        try:
            yield from self._read_joined(paths, with_logs, con, events, messages, seen)
        finally:
            self._messages = None
            for t in (events, messages, seen):
                with contextlib.suppress(duckdb.Error):
                    con.execute(f"DROP TABLE IF EXISTS {t}")

    def _read_joined(
        self,
        paths: Sequence[Path],
        with_logs: Sequence[Path],
        con: duckdb.DuckDBPyConnection,
        events: str,
        messages: str,
        seen: str,
    ) -> Iterator[tuple[Path, Batch]]:
        records = 0
        for file_no, path in enumerate(with_logs):
            for block in self.blocks(path):
                name = temp_name("loglines")
                con.register(name, block)
                try:
                    recs = (
                        f"SELECT {file_no} AS _file, _loc, u.i AS _i, u.rec AS rec, "
                        "u.rec::VARCHAR AS raw, coalesce(u.rec->>'$.eventName', "
                        "dg_attr(dg_attrs(u.rec->'$.attributes'), 'event.name')) AS name, "
                        "dg_anyjson(json_extract(u.rec, '$.body')) AS body, "
                        "json_extract(u.rec, '$.attributes') AS attrs FROM ("
                        f"SELECT _loc, unnest({_LOG_RECORDS}) AS u FROM {name} "
                        "WHERE json_valid(line) AND json_type(line->'$.resourceLogs') = 'ARRAY')"
                    )
                    sql = f"SELECT _file, _loc, _i, raw, {_EVENT_COLUMNS} FROM ({recs})"
                    if records == 0:
                        con.execute(f"CREATE TEMP TABLE {events} AS {sql}")
                    else:
                        con.execute(f"INSERT INTO {events} {sql}")
                    count = con.execute(f"SELECT count(*) FROM {events}").fetchall()
                    records = int(count[0][0])
                finally:
                    con.unregister(name)
        if records == 0:  # "resourceLogs" in the head but no record: read as plain span files
            for path in paths:
                for block in self.blocks(path):
                    yield path, self._convert(block, con, str(path))
            return
        con.execute(
            f"CREATE TEMP TABLE {messages} AS SELECT trace_id, span_id, {_MESSAGE_COLUMNS} "
            f"FROM {events} WHERE span_id IS NOT NULL GROUP BY trace_id, span_id"
        )
        con.execute(f"CREATE TEMP TABLE {seen} (trace_id VARCHAR, span_id VARCHAR)")
        self._messages = messages
        for path in paths:
            for block in self.blocks(path):
                name = temp_name("spanlines")
                con.register(name, block)
                try:
                    con.execute(
                        f"INSERT INTO {seen} SELECT DISTINCT {_trace_id()}, {_span_id()} FROM "
                        f"({self._spans_sql(name)}) WHERE {_span_id()} IS NOT NULL"
                    )
                finally:
                    con.unregister(name)
                yield path, self._convert(block, con, str(path))
        # Log records whose span is in no input: quarantined, one line each.
        for file_no, path in enumerate(with_logs):
            orphans = con.sql(
                f"SELECT _loc, raw FROM {events} e WHERE _file = {file_no} AND NOT EXISTS "
                f"(SELECT 1 FROM {seen} s WHERE s.span_id = e.span_id "
                "AND s.trace_id IS NOT DISTINCT FROM e.trace_id) ORDER BY _loc, _i"
            ).to_arrow_table()
            merged = con.execute(
                f"SELECT count(*) FROM {events} WHERE _file = {file_no}"
            ).fetchall()
            bad = quarantine_table(
                str(path),
                self.unit,
                orphans["_loc"],
                pa.array(["orphan_log_record"] * orphans.num_rows, pa.string()),
                orphans["raw"],
            )
            if bad.num_rows == 0:
                bad = QUARANTINE_SCHEMA.empty_table()
            yield (
                path,
                Batch(
                    REQUEST_SCHEMA.empty_table(),
                    bad,
                    0,
                    merged=int(merged[0][0]) - orphans.num_rows,
                ),
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
            return b'"resourceSpans"' in head[:4096] or b'"resourceLogs"' in head[:4096]
        if "resourceSpans" in obj or "resourceLogs" in obj:
            return True
        has_id = "spanId" in obj or "span_id" in obj or "context" in obj
        return has_id and "attributes" in obj and ("gen_ai." in str(obj.get("attributes"))[:65536])

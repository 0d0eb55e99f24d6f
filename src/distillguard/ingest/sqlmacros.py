"""DuckDB macros shared by the nested adapters: message text, last user turn, OTel attributes.

They are created as TEMP macros on the connection the first time an adapter uses it.
"""

from __future__ import annotations

import contextlib
import weakref

import duckdb

MACROS = r"""
CREATE OR REPLACE TEMP MACRO dg_text(c) AS CASE json_type(c)
    WHEN 'VARCHAR' THEN c->>'$'
    WHEN 'ARRAY' THEN NULLIF(array_to_string(list_transform(json_extract(c, '$[*]'),
        lambda p: CASE json_type(p) WHEN 'VARCHAR' THEN p->>'$'
                  ELSE coalesce(p->>'$.text', p->>'$.content') END), chr(10)), '')
    WHEN 'OBJECT' THEN coalesce(c->>'$.text', c->>'$.content')
    ELSE NULL END;
CREATE OR REPLACE TEMP MACRO dg_msg_text(m) AS
    dg_text(coalesce(json_extract(m, '$.content'), json_extract(m, '$.parts')));
CREATE OR REPLACE TEMP MACRO dg_msgs(x) AS CASE
    WHEN json_type(x) = 'VARCHAR' AND json_valid(x->>'$') THEN json_extract(x->>'$', '$[*]')
    ELSE json_extract(x, '$[*]') END;
CREATE OR REPLACE TEMP MACRO dg_last_user(x) AS
    dg_msg_text(list_filter(dg_msgs(x), lambda m: m->>'$.role' = 'user')[-1]);
CREATE OR REPLACE TEMP MACRO dg_system(x) AS NULLIF(array_to_string(list_transform(
    list_filter(dg_msgs(x), lambda m: m->>'$.role' IN ('system', 'developer')),
    lambda m: dg_msg_text(m)), chr(10)), '');
CREATE OR REPLACE TEMP MACRO dg_user_turn(x) AS
    NULLIF(len(list_filter(dg_msgs(x), lambda m: m->>'$.role' = 'user')), 0) - 1;
CREATE OR REPLACE TEMP MACRO dg_first_choice(resp) AS coalesce(
    dg_msg_text(json_extract(resp, '$.choices[0].message')), resp->>'$.choices[0].text',
    dg_text(json_extract(resp, '$.output_text')), dg_text(json_extract(resp, '$.content')));
CREATE OR REPLACE TEMP MACRO dg_anyvalue(v) AS CASE
    WHEN json_type(v) = 'OBJECT' THEN coalesce(v->>'$.stringValue', v->>'$.intValue',
        v->>'$.doubleValue', v->>'$.boolValue', (json_extract(v, '$.arrayValue.values'))::VARCHAR,
        (json_extract(v, '$.kvlistValue'))::VARCHAR)
    WHEN json_type(v) = 'NULL' THEN NULL
    WHEN json_type(v) IN ('ARRAY') THEN v::VARCHAR
    ELSE v->>'$' END;
CREATE OR REPLACE TEMP MACRO dg_attrs(a) AS CASE
    WHEN json_type(a) = 'ARRAY' THEN list_transform(json_extract(a, '$[*]'),
        lambda e: struct_pack(k := e->>'$.key', v := dg_anyvalue(json_extract(e, '$.value'))))
    WHEN json_type(a) = 'OBJECT' THEN list_transform(json_keys(a),
        lambda k: struct_pack(k := k, v := dg_anyvalue(json_extract(a, '$."' || k || '"'))))
    ELSE [] END;
CREATE OR REPLACE TEMP MACRO dg_attr(attrs, key) AS
    list_filter(attrs, lambda e: e.k = key)[-1].v;
CREATE OR REPLACE TEMP MACRO dg_attr_value(a, key) AS
    json_extract(list_filter(json_extract(a, '$[*]'), lambda e: e->>'$.key' = key)[-1], '$.value');
"""

# OTLP/JSON ``AnyValue`` -> plain JSON (``{"kvlistValue": ...}`` -> object, ``arrayValue`` -> array,
# scalars -> JSON scalars), nested up to ANYVALUE_DEPTH levels (message lists need 4). DuckDB
# macros cannot recurse, so each level is its own macro; parameter and lambda names differ per
# level because macro arguments are substituted by name. Each level applies the one below once,
# to a lambda variable, so the expansion grows linearly with the depth.
ANYVALUE_DEPTH = 8
_ANYVALUE_BASE = """CREATE OR REPLACE TEMP MACRO dg_aj0(v0) AS CASE
    WHEN json_type(v0) IS DISTINCT FROM 'OBJECT' THEN v0
    WHEN json_type(json_extract(v0, '$.stringValue')) = 'VARCHAR' THEN to_json(v0->>'$.stringValue')
    WHEN json_extract(v0, '$.intValue') IS NOT NULL
        THEN to_json(TRY_CAST(v0->>'$.intValue' AS BIGINT))
    WHEN json_extract(v0, '$.doubleValue') IS NOT NULL
        THEN to_json(TRY_CAST(v0->>'$.doubleValue' AS DOUBLE))
    WHEN json_extract(v0, '$.boolValue') IS NOT NULL THEN json_extract(v0, '$.boolValue')
    WHEN json_extract(v0, '$.bytesValue') IS NOT NULL THEN to_json(v0->>'$.bytesValue')
    ELSE v0 END;
"""
_ANYVALUE_LEVEL = """CREATE OR REPLACE TEMP MACRO dg_aj{n}(v{n}) AS CASE
    WHEN json_type(json_extract(v{n}, '$.kvlistValue')) = 'OBJECT'
        OR json_type(json_extract(v{n}, '$.arrayValue')) = 'OBJECT'
    THEN list_transform([list_transform(
        CASE WHEN json_type(json_extract(v{n}, '$.kvlistValue')) = 'OBJECT'
             THEN json_extract(v{n}, '$.kvlistValue.values[*].value')
             ELSE json_extract(v{n}, '$.arrayValue.values[*]') END,
        lambda e{n}: dg_aj{m}(e{n}))],
        lambda c{n}: CASE WHEN json_type(json_extract(v{n}, '$.kvlistValue')) = 'OBJECT'
            THEN to_json(map(json_extract_string(v{n}, '$.kvlistValue.values[*].key'), c{n}))
            ELSE to_json(c{n}) END)[1]
    ELSE dg_aj0(v{n}) END;
"""
MACROS += _ANYVALUE_BASE + "".join(
    _ANYVALUE_LEVEL.format(n=n, m=n - 1) for n in range(1, ANYVALUE_DEPTH + 1)
)
MACROS += f"CREATE OR REPLACE TEMP MACRO dg_anyjson(v) AS dg_aj{ANYVALUE_DEPTH}(v);\n"

_installed: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the macros on ``con`` (once per connection) and make time zone UTC."""
    try:
        if con in _installed:
            return
    except TypeError:  # connection not weak-referenceable
        pass
    con.execute("SET TimeZone = 'UTC'")
    con.execute(MACROS)
    with contextlib.suppress(TypeError):
        _installed.add(con)

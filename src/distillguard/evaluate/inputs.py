"""Load the simulator's ground truth and a detections directory into one DuckDB connection.

Tables created (all ids as strings):

- ``labels(account_id, label, campaign_id, persona)`` from ``SIMDIR/labels.csv``;
- ``req_labels(request_id, label, campaign_id)`` from ``SIMDIR/request_labels.parquet``;
- ``requests(request_id, account_id, timestamp)`` from the request log in ``SIMDIR``;
- ``det_accounts(account_id, score, flagged, campaign_id)`` from ``DIR/accounts.csv``;
- ``det_members(campaign_id, account_id)`` from ``DIR/campaigns.json`` (plus ``accounts.csv``);
- ``det_campaigns(campaign_id, score)`` from ``DIR/campaigns.json`` (score NULL when absent).

Only the three request-log columns are read, so a multi-GB log costs one columnar scan.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa

from distillguard.errors import InputError

LABEL_COLUMNS = ("account_id", "label", "campaign_id", "persona")
DET_COLUMNS = ("account_id", "score", "flagged", "campaign_id")
LOG_CANDIDATES = ("requests", "requests.parquet", "requests.jsonl.gz", "requests.jsonl")


def find_request_log(sim_dir: Path) -> Path:
    """The request log the simulator wrote in ``sim_dir`` (Parquet dir/file or JSON Lines)."""
    for name in LOG_CANDIDATES:
        path = sim_dir / name
        if path.is_dir() and any(path.rglob("*.parquet")):
            return path
        if path.is_file():
            return path
    raise InputError(
        f"no request log found (looked for {', '.join(LOG_CANDIDATES)})", source=str(sim_dir)
    )


def connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


def load_truth(con: duckdb.DuckDBPyConnection, sim_dir: Path) -> Path:
    """Create ``labels``, ``req_labels`` and ``requests``; return the request log's path."""
    if not sim_dir.is_dir():
        raise InputError("truth directory does not exist", source=str(sim_dir))
    labels = sim_dir / "labels.csv"
    _need(labels)
    _create_from_csv(con, "labels_raw", labels, LABEL_COLUMNS, ("account_id", "label"))
    con.execute(
        """
        CREATE TABLE labels AS
        SELECT account_id,
               lower(trim(label)) AS label,
               nullif(trim(campaign_id), '') AS campaign_id,
               coalesce(nullif(trim(persona), ''), 'unknown') AS persona
        FROM labels_raw
        """
    )
    bad = con.execute(
        "SELECT count(*) FROM labels WHERE label NOT IN ('attack', 'benign') OR label IS NULL"
    ).fetchall()[0][0]
    if bad:
        raise InputError(f"{bad} row(s) with a label other than attack/benign", source=str(labels))

    req_labels = sim_dir / "request_labels.parquet"
    _need(req_labels)
    try:
        rl = con.read_parquet(str(req_labels))
        _has_columns(rl.columns, ("request_id", "label", "campaign_id"), req_labels)
        con.execute(
            """
            CREATE TABLE req_labels AS
            SELECT CAST(request_id AS VARCHAR) AS request_id,
                   lower(CAST(label AS VARCHAR)) AS label,
                   nullif(CAST(campaign_id AS VARCHAR), '') AS campaign_id
            FROM rl
            """
        )
    except duckdb.Error as exc:
        raise InputError(
            f"cannot read Parquet: {_first_line(exc)}", source=str(req_labels)
        ) from exc

    log = find_request_log(sim_dir)
    load_requests(con, log)
    return log


def load_requests(con: duckdb.DuckDBPyConnection, log: Path) -> None:
    """Create ``requests(request_id, account_id, timestamp)`` from a Parquet or JSON Lines log."""
    cols = {"request_id": "VARCHAR", "account_id": "VARCHAR", "timestamp": "TIMESTAMPTZ"}
    try:
        if log.is_dir() or log.suffix == ".parquet":
            files = sorted(log.rglob("*.parquet")) if log.is_dir() else [log]
            rel = con.read_parquet([str(f) for f in files], union_by_name=True)
            _has_columns(rel.columns, tuple(cols), log)
        else:
            rel = con.read_json(str(log), columns=cols, format="newline_delimited")
        con.execute(
            """
            CREATE TABLE requests AS
            SELECT CAST(request_id AS VARCHAR) AS request_id,
                   CAST(account_id AS VARCHAR) AS account_id,
                   CAST("timestamp" AS TIMESTAMPTZ) AS "timestamp"
            FROM rel
            """
        )
    except duckdb.Error as exc:
        raise InputError(f"cannot read request log: {_first_line(exc)}", source=str(log)) from exc


def load_detections(con: duckdb.DuckDBPyConnection, det_dir: Path) -> None:
    """Create ``det_accounts`` and ``det_members`` from a detections directory."""
    if not det_dir.is_dir():
        raise InputError("detections directory does not exist", source=str(det_dir))
    accounts = det_dir / "accounts.csv"
    _need(accounts)
    _create_from_csv(con, "det_raw", accounts, DET_COLUMNS, ("account_id", "flagged"))
    con.execute(
        """
        CREATE TABLE det_accounts AS
        SELECT account_id,
               coalesce(TRY_CAST(score AS DOUBLE), 0.0) AS score,
               coalesce(lower(trim(flagged)) IN ('true', '1', 'yes'), false) AS flagged,
               nullif(trim(campaign_id), '') AS campaign_id
        FROM det_raw
        """
    )
    campaigns = det_dir / "campaigns.json"
    _need(campaigns)
    try:
        doc = json.loads(campaigns.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid JSON: {exc}", source=str(campaigns)) from exc
    items = doc.get("campaigns") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise InputError('expected an object with a "campaigns" list', source=str(campaigns))
    cids: list[str] = []
    members: list[str] = []
    scores: dict[str, float | None] = {}
    for c in items:  # one loop per campaign, not per request
        if not isinstance(c, dict) or "campaign_id" not in c:
            raise InputError("a campaign without campaign_id", source=str(campaigns))
        score = c.get("score")
        scores[str(c["campaign_id"])] = (
            float(score)
            if isinstance(score, (int, float)) and not isinstance(score, bool)
            else None
        )
        accs = [str(a) for a in c.get("accounts") or []]
        cids += [str(c["campaign_id"])] * len(accs)
        members += accs
        if not accs:  # keep empty campaigns visible
            cids.append(str(c["campaign_id"]))
            members.append("")
    det_json = pa.table({"campaign_id": pa.array(cids, pa.string()), "account_id": members})
    con.register("det_json", det_json)
    con.execute(
        """
        CREATE TABLE det_members AS
        SELECT DISTINCT campaign_id, nullif(account_id, '') AS account_id FROM (
            SELECT campaign_id, account_id FROM det_json
            UNION ALL
            SELECT campaign_id, account_id FROM det_accounts WHERE campaign_id IS NOT NULL
        )
        """
    )
    con.unregister("det_json")
    det_scores = pa.table(
        {
            "campaign_id": pa.array(list(scores), pa.string()),
            "score": pa.array(list(scores.values()), pa.float64()),
        }
    )
    con.register("det_scores", det_scores)
    con.execute("CREATE TABLE det_campaigns AS SELECT * FROM det_scores")
    con.unregister("det_scores")


def _create_from_csv(
    con: duckdb.DuckDBPyConnection,
    table: str,
    path: Path,
    columns: tuple[str, ...],
    required: tuple[str, ...],
) -> None:
    try:
        # null_padding: rows with fewer cells than the header (a v1 four-column row appended to
        # a file with the v2 extra columns) read as NULL for the missing ones.
        rel = con.read_csv(str(path), header=True, all_varchar=True, null_padding=True)
    except duckdb.Error as exc:
        raise InputError(f"cannot read CSV: {_first_line(exc)}", source=str(path)) from exc
    _has_columns(rel.columns, required, path)
    select = ", ".join(
        f'"{c}"' if c in rel.columns else f"CAST(NULL AS VARCHAR) AS {c}" for c in columns
    )
    con.register(f"{table}_src", rel)
    con.execute(f"CREATE TABLE {table} AS SELECT {select} FROM {table}_src")
    con.unregister(f"{table}_src")


def _has_columns(present: list[str], required: tuple[str, ...], path: Path) -> None:
    missing = [c for c in required if c not in present]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", source=str(path))


def _need(path: Path) -> None:
    if not path.is_file():
        raise InputError("missing file", source=str(path))


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__

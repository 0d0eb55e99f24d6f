"""Behaviour of the traffic simulator on small seeded runs of the ``demo`` preset."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.cli import main
from distillguard.errors import ConfigError
from distillguard.schema import REQUEST_LABELS_SCHEMA, REQUEST_SCHEMA
from distillguard.simulate import PERSONAS, PRESETS, Campaign, simulate
from distillguard.simulate.presets import (
    MIN_ACCOUNTS,
    MIN_CAMPAIGN_ACCOUNTS,
    MIN_EXCHANGES_PER_ACCOUNT,
    SMALL_ACCOUNT_PERSONAS,
)
from tests.simulate.views import log_views

SCALE = 0.3


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "a"
    simulate("demo", scale=SCALE, seed=7, out=out)
    return out


def _log(out: Path) -> pa.Table:
    return pq.read_table(out / "requests")


def test_same_seed_same_files_different_seed_different(run: Path, tmp_path: Path) -> None:
    again = tmp_path / "b"
    other = tmp_path / "c"
    simulate("demo", scale=SCALE, seed=7, out=again)
    simulate("demo", scale=SCALE, seed=8, out=other)
    assert _log(run).equals(_log(again))
    assert (run / "labels.csv").read_bytes() == (again / "labels.csv").read_bytes()
    assert pq.read_table(run / "request_labels.parquet").equals(
        pq.read_table(again / "request_labels.parquet")
    )
    assert not _log(run).column("request_id").equals(_log(other).column("request_id"))
    assert (run / "labels.csv").read_bytes() != (other / "labels.csv").read_bytes()


def test_schema_conformance(run: Path) -> None:
    for part in sorted((run / "requests").glob("part-*.parquet")):
        schema = pq.read_schema(part)
        assert schema.names == REQUEST_SCHEMA.names
        assert [f.type for f in schema] == [f.type for f in REQUEST_SCHEMA]
    labels = pq.read_schema(run / "request_labels.parquet")
    assert labels.names == REQUEST_LABELS_SCHEMA.names
    log = _log(run)
    for name in ("request_id", "timestamp", "account_id", "model", "prompt"):
        assert log.column(name).null_count == 0
    assert set(log.column("status").to_pylist()) <= {"ok", "error", "refused"}
    with (run / "labels.csv").open() as fh:
        assert next(csv.reader(fh)) == ["account_id", "label", "campaign_id", "persona"]
    assert "label" not in log.column_names and "campaign_id" not in log.column_names


def test_label_integrity(run: Path) -> None:
    con = log_views(run)
    one = con.sql("SELECT count(*), count(DISTINCT account_id) FROM l").fetchall()[0]
    assert one[0] == one[1]  # every account exactly once
    missing = con.sql("SELECT count(*) FROM r ANTI JOIN l USING (account_id)").fetchall()[0][0]
    unused = con.sql("SELECT count(*) FROM l ANTI JOIN r USING (account_id)").fetchall()[0][0]
    assert missing == 0 and unused == 0
    n, unique = con.sql("SELECT count(*), count(DISTINCT request_id) FROM r").fetchall()[0]
    assert n == unique
    unlabelled = con.sql("SELECT count(*) FROM r ANTI JOIN q USING (request_id)").fetchall()[0][0]
    assert unlabelled == 0
    assert con.sql("SELECT count(*) FROM q").fetchall()[0][0] == n
    # Attack requests only in attack accounts, with the account's campaign id.
    bad = con.sql(
        """SELECT count(*) FROM q JOIN r USING (request_id) JOIN l USING (account_id)
           WHERE q.label = 'attack' AND (l.label <> 'attack' OR q.campaign_id <> l.campaign_id)"""
    ).fetchall()[0][0]
    assert bad == 0
    # Benign accounts carry no campaign id and no attack traffic; hydra accounts carry both.
    assert con.sql("SELECT count(*) FROM l WHERE label='benign' AND campaign_id IS NOT NULL AND "
                   "campaign_id <> ''").fetchall()[0][0] == 0  # fmt: skip
    mixed = con.sql(
        """SELECT count(*) FROM q JOIN r USING (request_id) JOIN l USING (account_id)
           WHERE q.label = 'benign' AND l.campaign_id = 'hydra-proxy-mix'"""
    ).fetchall()[0][0]
    assert mixed > 0


def test_every_persona_and_campaign_at_documented_volume(run: Path) -> None:
    manifest = json.loads((run / "manifest.json").read_text())
    plan = {c.name: c for c in PRESETS["demo"].cohorts(SCALE)}
    assert set(manifest["personas"]) == set(PERSONAS)
    assert len(manifest["campaigns"]) == len(PRESETS["demo"].campaigns) == 7
    con = log_views(run)
    got = dict(
        con.sql(
            """SELECT coalesce(nullif(l.campaign_id, ''), l.persona), count(*) FROM r
               JOIN l USING (account_id) GROUP BY 1"""
        ).fetchall()
    )
    accounts = dict(
        con.sql(
            "SELECT coalesce(nullif(campaign_id, ''), persona), count(*) FROM l GROUP BY 1"
        ).fetchall()
    )
    for name, cohort in plan.items():
        assert accounts[name] == cohort.accounts
        assert got[name] == pytest.approx(max(cohort.exchanges, cohort.accounts), rel=0.01)
    attack = sum(c["attack_exchanges"] for c in manifest["campaigns"].values())
    assert 0 < attack < 0.4 * manifest["rows"]  # campaigns are a minority


def test_tactics_and_personas_show_their_traits(run: Path) -> None:
    con = log_views(run)

    def q(sql: str) -> tuple[object, ...]:
        row: tuple[object, ...] = con.sql(sql).fetchall()[0]
        return row

    base = "FROM r JOIN l USING (account_id) WHERE "
    # The campus sits behind 4 NAT addresses (plus some phones / VPN off campus).
    nat = q(f"SELECT sum(n) / (SELECT count(*) {base} l.persona='campus') FROM (SELECT count(*) n "
            f"{base} l.persona='campus' GROUP BY ip ORDER BY n DESC LIMIT 4)")[0]  # fmt: skip
    assert nat > 0.85  # type: ignore[operator]
    assert q(f"SELECT min(tool_count) {base} l.persona='coding_agent'")[0] > 0
    assert q(f"SELECT avg(turn_index) {base} l.persona='coding_agent'")[0] > 5  # type: ignore[operator]
    temp0 = q(f"SELECT avg((temperature = 0)::int) {base} l.persona='eval_runner'")[0]
    assert temp0 > 0.8  # type: ignore[operator]
    pays = q(f"SELECT count(DISTINCT payment_fingerprint) {base} l.campaign_id='loud-sync'")[0]
    accts = q("SELECT count(*) FROM l WHERE campaign_id='loud-sync'")[0]
    assert 1 <= pays <= 3 < accts  # type: ignore[operator]
    # Pivot to the new model within 24 h of release: campaign share beats legitimate share.
    release = datetime.fromisoformat(json.loads((run / "manifest.json").read_text())["models"][
        "frontier-3"].replace("Z", "+00:00"))  # fmt: skip
    until = release + timedelta(hours=48)
    share = dict(
        con.execute(
            """SELECT l.label, avg((model = 'frontier-3')::int) FROM r JOIN l USING (account_id)
               WHERE timestamp BETWEEN ? AND ? AND coalesce(l.campaign_id, '') IN
               ('', 'loud-sync', 'multilingual-coercion', 'hydra-proxy-mix') GROUP BY 1""",
            [release + timedelta(hours=24), until + timedelta(hours=24)],
        ).fetchall()
    )
    assert share["attack"] > 0.3 > share["benign"] + 0.1
    # Low-and-slow accounts each stay below the median heavy legitimate account.
    slow = q("SELECT max(n) FROM (SELECT count(*) n " + base + "l.campaign_id='low-and-slow' "
             "GROUP BY account_id)")[0]  # fmt: skip
    heavy = q("SELECT quantile_cont(n, 0.9) FROM (SELECT count(*) n " + base + "l.label='benign' "
              "GROUP BY account_id)")[0]  # fmt: skip
    assert slow < heavy  # type: ignore[operator]


def test_obfuscation_switch_changes_wrappers(run: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    simulate("demo", scale=SCALE, seed=7, out=plain, obfuscation=False)
    sql = """SELECT count(DISTINCT left(prompt, 40)) FROM r JOIN l USING (account_id)
             WHERE l.campaign_id = 'multilingual-coercion'"""
    obfuscated = log_views(run).sql(sql).fetchall()[0][0]
    literal = log_views(plain).sql(sql).fetchall()[0][0]
    assert obfuscated > 5 * literal
    # Legitimate traffic is untouched by the switch.
    legit = "SELECT prompt FROM r JOIN l USING (account_id) WHERE l.label = 'benign' ORDER BY 1"
    assert log_views(run).sql(legit).fetchall() == log_views(plain).sql(legit).fetchall()


def test_jsonl_output_is_readable(tmp_path: Path) -> None:
    out = tmp_path / "j"
    m = simulate("demo", scale=0.1, seed=1, out=out, fmt="jsonl")
    rows = duckdb.sql(
        f"SELECT count(*), count(DISTINCT request_id), min(timestamp::TIMESTAMPTZ) "
        f"FROM read_json_auto('{out}/requests.jsonl.gz')"
    ).fetchall()[0]
    assert rows[0] == rows[1] == m.rows
    assert rows[2] is not None


def test_small_scale_keeps_every_cohort() -> None:
    for name, preset in PRESETS.items():
        cohorts = preset.cohorts(0.05)
        personas = {c.persona for c in cohorts if c.campaign_id is None}
        assert personas == set(PERSONAS), name
        assert len([c for c in cohorts if c.campaign_id]) == len(preset.campaigns)
        for c in cohorts:
            assert c.accounts >= (MIN_CAMPAIGN_ACCOUNTS if c.campaign_id else MIN_ACCOUNTS)
            assert c.exchanges >= c.accounts
    bench = PRESETS["benchmark"].cohorts(1.0)
    assert 400_000 <= sum(c.exchanges for c in bench) <= 650_000
    assert 2_000 <= sum(c.accounts for c in bench) <= 4_500
    attack = [c for c in bench if c.campaign_id]
    assert sum(c.accounts for c in attack) < 0.5 * sum(c.accounts for c in bench)


def test_small_accounts_adds_light_users_only() -> None:
    preset = PRESETS["benchmark"]
    base = {c.name: c for c in preset.cohorts(1.0)}
    more = {c.name: c for c in preset.cohorts(1.0, small_accounts=10.0)}
    assert base.keys() == more.keys()
    for name, c in more.items():
        if name in SMALL_ACCOUNT_PERSONAS:
            assert c.accounts == 10 * base[name].accounts
            # Same traffic spread thinner, down to the per-account floor.
            assert c.exchanges == max(base[name].exchanges, c.accounts * MIN_EXCHANGES_PER_ACCOUNT)
        else:
            assert (c.accounts, c.exchanges) == (base[name].accounts, base[name].exchanges)
    small = sum(c.accounts for c in base.values() if c.name in SMALL_ACCOUNT_PERSONAS)
    assert small > 0
    assert (
        sum(c.accounts for c in more.values()) == sum(c.accounts for c in base.values()) + 9 * small
    )
    with pytest.raises(ConfigError):
        preset.cohorts(1.0, small_accounts=0.5)


def test_campaign_from_plain_data_and_errors(tmp_path: Path) -> None:
    camp = Campaign.from_dict(
        {
            "campaign_id": "x",
            "accounts": 10,
            "exchanges": 500,
            "tactics": [
                {"name": "payment_reuse", "fingerprints": 2},
                {"name": "capabilities", "targets": [["rubric_grading", 1.0]]},
            ],
        }
    )
    c = camp.cohort()
    assert c.population.payments == 2 and c.traffic.capabilities == (("graded", 1.0),)
    with pytest.raises(ConfigError):
        Campaign.from_dict({"campaign_id": "y", "accounts": 1, "exchanges": 1,
                            "tactics": [{"name": "teleport"}]})  # fmt: skip
    assert main(["simulate", "--preset", "demo", "--scale", "0", "--out", str(tmp_path / "z")]) == 2

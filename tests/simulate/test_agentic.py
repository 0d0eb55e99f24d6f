"""Agentic harvesting tactics and their hard negatives, checked on what the log shows."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from distillguard.errors import ConfigError
from distillguard.simulate import Campaign, simulate
from distillguard.simulate.corpora import load_pools
from distillguard.simulate.generate import (
    StreamGenerator,
    Window,
    allocate,
    build_accounts,
    streams,
)
from distillguard.simulate.personas import harness_runner, oss_agent_user
from distillguard.simulate.spec import Cohort
from distillguard.simulate.tactics import TACTICS
from distillguard.simulate.text import ENVIRONMENTS, TOOLSETS
from tests.simulate.views import log_views

SCALE = 0.1
HARVEST = "agentic-harvest"
QUIET = "quiet-aged"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("agentic") / "bench"
    simulate("benchmark", scale=SCALE, seed=3, out=out)
    return out


def _rows(out: Path, where: str, cols: str = "r.*") -> list[dict[str, object]]:
    rel = log_views(out).sql(f"SELECT {cols} FROM r JOIN l USING (account_id) WHERE {where}")
    names = rel.columns
    return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]


def _window(out: Path) -> tuple[datetime, datetime]:
    m = json.loads((out / "manifest.json").read_text())
    start = datetime.fromisoformat(m["window_start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(m["window_end"].replace("Z", "+00:00"))
    return start, end


def _generate(c: Cohort, seed: int = 0, days: float = 14.0) -> pa.Table:
    """All rows of one cohort, generated the way ``simulate`` does."""
    window = Window(datetime(2026, 3, 2, tzinfo=UTC), days, days / 2 * 86400.0)
    acc = build_accounts(c, seed, window, 0)
    main, mix = allocate(c, seed, acc)
    tables = [
        table
        for s in streams(c, main, mix, 0)
        for table, _ in StreamGenerator(c, s, acc, window, load_pools(), seed, True).chunks()
    ]
    return pa.concat_tables(tables)


def test_trajectory_requests_define_tools_but_never_send_a_tool_result(run: Path) -> None:
    start, end = _window(run)
    mid = start + (end - start) / 2
    rows = _rows(run, f"l.campaign_id = '{HARVEST}'")
    assert len(rows) > 500
    # Every request opens a new conversation: turn 0, never a later turn with a tool result.
    assert {r["turn_index"] for r in rows} == {0}
    assert len({r["conversation_id"] for r in rows}) == len(rows)
    # Before the mid-window switch every request carries tool definitions.
    early = [r for r in rows if r["timestamp"] < mid]  # type: ignore[operator]
    assert early and min(int(r["tool_count"]) for r in early) > 0  # type: ignore[call-overload]


def test_decomposed_projects_carry_pasted_state_not_history(run: Path) -> None:
    rows = _rows(run, f"l.campaign_id = '{HARVEST}' AND prompt LIKE '%Progress: step %'")
    assert len(rows) > 100
    assert {r["turn_index"] for r in rows} == {0}
    # The state names files and decisions, and each account's project advances.
    assert all("Files:" in str(r["prompt"]) for r in rows)
    steps: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        steps[str(r["account_id"])].add(str(r["prompt"]).split("Progress: step ")[1].split()[0])
    assert max(len(s) for s in steps.values()) >= 3


def _task_index() -> dict[str, list[str]]:
    """Payload texts by their first 20 characters (short ones under "")."""
    pools = load_pools()
    index: dict[str, list[str]] = defaultdict(list)
    for cap in ("agentic", "swe", "long_horizon"):
        for text in pools[cap].text.to_pylist():
            index[text[:20] if len(text) >= 20 else ""].append(text)
    return index


def test_coverage_sweep_accounts_never_repeat_a_task(run: Path) -> None:
    index = _task_index()
    owners: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    rows = _rows(run, f"l.campaign_id = '{HARVEST}' AND tool_count > 0")
    for r in rows:
        prompt = str(r["prompt"])
        env = next(e for e in ENVIRONMENTS if e + "\n" in prompt)
        tools = next(", ".join(t) for t in TOOLSETS if ", ".join(t) + "\n\n" in prompt)
        assert int(r["tool_count"]) == len(tools.split(", "))  # type: ignore[call-overload]
        rest = prompt.split(tools + "\n\n", 1)[1]
        candidates = index[rest[:20]] + index[""]
        payload = max((t for t in candidates if rest.startswith(t)), key=len)
        owners[(env, tools, payload)].add(str(r["account_id"]))
    assert len(owners) == len(rows)  # no grid cell is used twice ...
    assert max(len(a) for a in owners.values()) == 1  # ... so no two accounts share a task
    # What they do share: a handful of system prompts across many unrelated organisations.
    shared = (
        log_views(run)
        .sql(
            f"""SELECT count(DISTINCT system_prompt), count(DISTINCT org_id) FROM r
            JOIN l USING (account_id) WHERE l.campaign_id = '{HARVEST}'"""
        )
        .fetchall()[0]
    )
    assert shared[0] <= 4 < 5 * shared[0] <= shared[1]


def test_ordinary_accounts_look_like_unrelated_small_customers(run: Path) -> None:
    con = log_views(run)
    accounts, orgs, countries, domains = con.sql(
        f"""SELECT count(DISTINCT account_id), count(DISTINCT org_id), count(DISTINCT country),
                   count(DISTINCT email_domain)
            FROM r JOIN l USING (account_id) WHERE l.campaign_id = '{HARVEST}'"""
    ).fetchall()[0]
    assert orgs == accounts  # each its own organisation
    assert countries >= 5 and domains >= accounts / 4
    cards = [
        n
        for (n,) in con.sql(
            f"""SELECT count(DISTINCT account_id) FROM r JOIN l USING (account_id)
                WHERE l.campaign_id = '{HARVEST}' GROUP BY payment_fingerprint"""
        ).fetchall()
    ]
    assert max(cards) <= 4 and sum(n for n in cards if n >= 2) >= 2  # some cards shared by 2-4
    # ~100 requests a month: at most a few hundred each over the two-week window.
    most = con.sql(
        f"""SELECT max(n) FROM (SELECT count(*) n FROM r JOIN l USING (account_id)
            WHERE l.campaign_id = '{HARVEST}' GROUP BY account_id)"""
    ).fetchall()[0][0]
    assert most <= 150


def test_phase_shift_to_reasoning_traces_starts_midway(run: Path) -> None:
    start, end = _window(run)
    mid = start + (end - start) / 2
    rows = _rows(run, f"l.campaign_id = '{HARVEST}'")
    traces = [r for r in rows if int(r["tool_count"]) == 0]  # type: ignore[call-overload]
    late = [r for r in rows if r["timestamp"] >= mid]  # type: ignore[operator]
    assert traces and min(r["timestamp"] for r in traces) >= mid  # type: ignore[type-var]
    assert 0.25 <= len(traces) / len(late) <= 0.55
    # These are still attack traffic in the request labels.
    labels = (
        log_views(run)
        .sql(
            f"""SELECT DISTINCT q.label, q.campaign_id FROM q JOIN r USING (request_id)
            JOIN l USING (account_id) WHERE l.campaign_id = '{HARVEST}'"""
        )
        .fetchall()
    )
    assert labels == [("attack", HARVEST)]


def test_quiet_aged_accounts_wake_together_on_their_own_lines(run: Path) -> None:
    start, _ = _window(run)
    con = log_views(run)
    per_account = con.sql(
        f"""SELECT account_id, min(timestamp), max(account_created_at), count(DISTINCT ip)
            FROM r JOIN l USING (account_id) WHERE l.campaign_id = '{QUIET}'
            GROUP BY account_id"""
    ).fetchall()
    assert len(per_account) >= 6
    firsts = [row[1] for row in per_account]
    assert max(firsts) - min(firsts) < timedelta(hours=36)  # all start on one day
    assert min(firsts) > start + timedelta(days=2)
    assert all(row[2] < start - timedelta(days=190) for row in per_account)  # aged
    assert all(row[3] == 1 for row in per_account)  # one stable home address
    shared = con.sql(
        f"""SELECT count(*) FROM (SELECT ip FROM r JOIN l USING (account_id)
            WHERE l.campaign_id = '{QUIET}' GROUP BY ip HAVING count(DISTINCT account_id) > 1)"""
    ).fetchall()[0][0]
    assert shared == 0  # no shared infrastructure
    cards, orgs = con.sql(
        f"""SELECT count(DISTINCT payment_fingerprint), count(DISTINCT org_id)
            FROM r JOIN l USING (account_id) WHERE l.campaign_id = '{QUIET}'"""
    ).fetchall()[0]
    assert cards == orgs == len(per_account)  # each its own card and organisation
    _assert_real_tool_loops(con, f"l.campaign_id = '{QUIET}'")


def _assert_real_tool_loops(con: duckdb.DuckDBPyConnection, where: str) -> None:
    """Conversations grow turn by turn under one tool set, re-sending a growing history."""
    bad = con.sql(
        f"""SELECT count(*) FILTER (WHERE tools > 1), count(*) FILTER (WHERE shrinks > 0),
                   max(turns), count(*)
            FROM (SELECT conversation_id, count(DISTINCT tool_count) tools, max(turn_index) turns,
                         count(*) FILTER (WHERE d < 0) shrinks
                  FROM (SELECT conversation_id, tool_count, turn_index, input_tokens - lag(
                               input_tokens) OVER (PARTITION BY conversation_id ORDER BY turn_index)
                               d FROM r JOIN l USING (account_id) WHERE {where})
                  GROUP BY conversation_id)"""
    ).fetchall()[0]
    assert bad[0] == 0 and bad[1] == 0
    assert bad[2] >= 5 and bad[3] >= 10
    later = con.sql(
        f"""SELECT min(tool_count), avg((prompt LIKE '%exit code%' OR prompt LIKE '%{{%')::int)
            FROM r JOIN l USING (account_id) WHERE {where} AND turn_index > 0"""
    ).fetchall()[0]
    assert later[0] > 0 and later[1] > 0.9  # later turns send tool results back


def test_open_source_agent_users_share_one_default_prompt_across_many_orgs(run: Path) -> None:
    con = log_views(run)
    where = "l.persona = 'oss_agent_user'"
    prompts, orgs, accounts, biggest = con.sql(
        f"""SELECT count(DISTINCT system_prompt), count(DISTINCT org_id), count(DISTINCT
                   account_id), max(n)
            FROM r JOIN l USING (account_id)
            JOIN (SELECT org_id, count(DISTINCT account_id) n FROM r GROUP BY 1) USING (org_id)
            WHERE {where}"""
    ).fetchall()[0]
    assert prompts == 1 and orgs >= 40 and accounts >= orgs and biggest <= 2
    _assert_real_tool_loops(con, where)
    assert {r["label"] for r in _rows(run, where, "DISTINCT l.label")} == {"benign"}


def test_trajectory_dataset_customer_asks_for_whole_runs_like_the_harvest(run: Path) -> None:
    rows = _rows(run, "l.persona = 'trajectory_dataset'")
    assert rows and {r["turn_index"] for r in rows} == {0}
    assert min(int(r["tool_count"]) for r in rows) > 0  # type: ignore[call-overload]
    assert all("Environment: " in str(r["prompt"]) for r in rows)  # the task grid, too
    orgs = {r["org_id"] for r in rows}
    assert len(orgs) <= 2 < len({r["account_id"] for r in rows})  # but one company's accounts


def test_harness_teams_repeat_the_same_tasks_at_temperature_zero() -> None:
    t = _generate(harness_runner(16, 6000))
    con = duckdb.connect()
    con.register("r", t)
    teams, temps, prompts = con.sql(
        "SELECT count(DISTINCT org_id), max(temperature), count(DISTINCT system_prompt) FROM r"
    ).fetchall()[0]
    assert teams >= 4 and temps == 0.0 and prompts <= 2
    # The same opening task is run by several teams (unlike a coverage sweep).
    repeated = con.sql(
        """SELECT max(n) FROM (SELECT count(DISTINCT org_id) n FROM r WHERE turn_index = 0
           GROUP BY prompt)"""
    ).fetchall()[0][0]
    assert repeated >= teams - 1
    con.register("l", pa.table({"account_id": t.column("account_id").unique()}))
    _assert_real_tool_loops(con, "true")


def test_oss_agent_sessions_resume_from_a_pasted_summary() -> None:
    t = _generate(oss_agent_user(40, 4000))
    con = duckdb.connect()
    con.register("r", t)
    turns = con.sql(
        "SELECT DISTINCT turn_index FROM r WHERE prompt LIKE '%Progress: step %'"
    ).fetchall()
    assert turns == [(0,)]  # a compacted context starts a new conversation, then tools follow


def test_new_tactics_are_plain_data() -> None:
    assert {
        "trajectory_synthesis",
        "long_horizon_decomposition",
        "coverage_sweep",
        "ordinary_accounts",
        "phase_shift",
        "quiet_aged",
    } <= set(TACTICS)
    c = Campaign.from_dict(
        {
            "campaign_id": "x",
            "accounts": 20,
            "exchanges": 400,
            "tactics": [
                {"name": "wrappers", "obfuscated": True},
                {"name": "trajectory_synthesis", "weight": 0.6},
                {"name": "long_horizon_decomposition", "weight": 0.4},
                {"name": "coverage_sweep", "templates": 5},
                {"name": "ordinary_accounts", "card_group": [2, 3]},
                {"name": "phase_shift", "at": 0.6, "share": 0.3},
            ],
        }
    ).cohort()
    assert dict(c.traffic.capabilities) == {"agentic": 0.3, "swe": 0.3, "long_horizon": 0.4}
    assert c.traffic.coverage == "grid" and c.traffic.shared_templates == 5
    assert c.population.payment_group == (2, 3)
    assert c.traffic.phase is not None and c.traffic.phase.wrapper == "trace~"
    with pytest.raises(ConfigError):
        bad = {"name": "phase_shift", "target": "mind_reading"}
        Campaign.from_dict(
            {"campaign_id": "y", "accounts": 1, "exchanges": 1, "tactics": [bad]}
        ).cohort()


@pytest.mark.parametrize("name", sorted(TACTICS))
def test_every_tactic_documents_its_observation_and_applies_alone(name: str) -> None:
    cls = TACTICS[name]
    assert cls.__doc__ and len(cls.__doc__.split()) >= 12, name
    camp = Campaign("t", 12, 200, (cls(),))
    c = camp.cohort()
    assert c.campaign_id == "t" and c.label == "attack"
    assert c.tactics == (cls().describe(),)
    # Alone on the base campaign, the tactic still yields rows the generator can produce.
    t = _generate(c, days=3.0)
    assert t.num_rows == 200 and len(t.column("account_id").unique()) == 12

"""Decisions: the service flags the same accounts as ``distillguard detect`` on the same log,
analyst actions change decisions at once and are audited, dismissals stick across detection
runs, known blockable indicators decide newcomers on arrival, and the policy is configurable."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from distillguard.errors import ConfigError
from distillguard.pipeline import run_detect
from distillguard.pipeline.config import DetectConfig
from distillguard.service import Policy, Service, create_app, load_policy
from distillguard.service.state import ROW_KINDS, indicators_of
from distillguard.signals.skeleton import fingerprints
from tests.service.conftest import Receiver, auth, settings_for


def _campaigns(c: TestClient) -> list[dict[str, Any]]:
    r = c.get("/v1/campaigns", headers=auth("analyst"))
    assert r.status_code == 200
    return list(r.json()["campaigns"])


def _decision(c: TestClient, account: str) -> dict[str, Any]:
    r = c.get(f"/v1/accounts/{account}/decision", headers=auth("ingest"))
    assert r.status_code == 200
    return dict(r.json())


def _act(c: TestClient, cid: str, **body: Any) -> dict[str, Any]:
    r = c.post(f"/v1/campaigns/{cid}/actions", json=body, headers=auth("analyst"))
    assert r.status_code == 200, r.text
    return dict(r.json())


@pytest.mark.slow
def test_the_service_flags_the_same_accounts_as_batch_detect(
    sim_log: Path, detected_client: TestClient, tmp_path: Path
) -> None:
    run_detect([sim_log / "requests.jsonl.gz"], tmp_path / "det", report=False)
    with (tmp_path / "det" / "accounts.csv").open() as fh:
        batch = {r["account_id"] for r in csv.DictReader(fh) if r["flagged"] == "true"}
    assert batch, "the simulated log should have flagged accounts"
    service = {a for c in _campaigns(detected_client) if c["in_latest_run"] for a in c["accounts"]}
    assert service == batch
    for account in sorted(batch):
        assert _decision(detected_client, account)["decision"] != "allow"


def test_an_unknown_account_is_allowed(detected_client: TestClient) -> None:
    assert _decision(detected_client, "never-seen") == {
        "account_id": "never-seen",
        "decision": "allow",
        "campaign_id": None,
        "score": 0.0,
        "reasons": [],
    }
    # Gateway user ids may hold a "/" (team/user): still one account, not a 404.
    assert _decision(detected_client, "team-7/alice")["account_id"] == "team-7/alice"


def test_an_open_campaign_is_at_least_throttled_with_reasons_and_blocked_only_when_recommended(
    detected_client: TestClient,
) -> None:
    """The default policy: an account of a campaign the detector formed clearly over its
    threshold is throttled until an analyst reviews it (one at the line goes to review, as the
    detector recommends); blocked without an analyst only when the detector recommends a block
    and the campaign has a blockable indicator."""
    camps = _campaigns(detected_client)
    margin = Policy().formed_margin
    clear = [c for c in camps if c["score"] >= c["threshold"] + margin]
    assert clear, "the simulated log should have campaigns clearly over their threshold"
    for camp in camps:
        assert camp["status"] == "open"
        d = _decision(detected_client, camp["accounts"][0])
        if camp not in clear:
            assert d["decision"] == camp["recommended_action"] == "review"
            continue
        assert d["decision"] in ("throttle", "block")
        if d["decision"] == "block":
            assert camp["recommended_action"] == "block"
            assert any(ind["blockable"] for ind in indicators_of(camp, Policy()))
        assert d["campaign_id"] == camp["campaign_id"]
        assert d["reasons"] and camp["campaign_id"] in d["reasons"][0]


def test_block_makes_every_account_blocked_and_is_audited(detected_client: TestClient) -> None:
    camp = _campaigns(detected_client)[0]
    out = _act(detected_client, camp["campaign_id"], action="block", note="confirmed harvest")
    assert out["campaign"]["status"] == "blocked"
    for account in camp["accounts"]:
        assert _decision(detected_client, account)["decision"] == "block"
    page = detected_client.get(
        f"/v1/campaigns/{camp['campaign_id']}", headers=auth("analyst")
    ).json()
    [entry] = page["audit"]
    assert entry["action"] == "block" and entry["note"] == "confirmed harvest"
    assert entry["actor"].startswith("analyst-") and entry["at"].endswith("Z")


@pytest.mark.slow
def test_dismissing_a_campaign_allows_its_accounts_and_survives_restart_and_redetection(
    workspace_copy: Path,
) -> None:
    with TestClient(create_app(settings_for(workspace_copy))) as c:
        camp = _campaigns(c)[0]
        _act(c, camp["campaign_id"], action="dismiss", note="campus NAT")
        others = {a for x in _campaigns(c) if x is not camp for a in x["accounts"]}
        for account in set(camp["accounts"]) - others:
            assert _decision(c, account)["decision"] == "allow"
    with TestClient(create_app(settings_for(workspace_copy))) as c:  # restarted
        again = next(x for x in _campaigns(c) if x["campaign_id"] == camp["campaign_id"])
        assert again["status"] == "dismissed"
        assert [e["action"] for e in c.get(
            f"/v1/campaigns/{camp['campaign_id']}", headers=auth("analyst")
        ).json()["audit"]] == ["dismiss"]  # fmt: skip
        r = c.post("/v1/detect", headers=auth("analyst"))
        assert r.status_code == 200 and r.json()["campaigns"] >= 1
        after = next(x for x in _campaigns(c) if x["campaign_id"] == camp["campaign_id"])
        assert after["status"] == "dismissed" and after["in_latest_run"]
        assert _decision(c, camp["accounts"][0])["campaign_id"] != camp["campaign_id"]


def test_dismissing_one_account_of_a_campaign_allows_only_that_account(
    detected_client: TestClient,
) -> None:
    camp = max(_campaigns(detected_client), key=lambda x: len(x["accounts"]))
    first, *rest = camp["accounts"]
    _act(detected_client, camp["campaign_id"], action="dismiss", account_id=first)
    _act(detected_client, camp["campaign_id"], action="block")
    assert _decision(detected_client, first)["campaign_id"] != camp["campaign_id"]
    assert all(_decision(detected_client, a)["decision"] == "block" for a in rest)


def test_assign_and_comment_are_audited_without_changing_decisions(
    detected_client: TestClient,
) -> None:
    camp = _campaigns(detected_client)[0]
    before = _decision(detected_client, camp["accounts"][0])
    _act(detected_client, camp["campaign_id"], action="assign", assignee="dana")
    out = _act(detected_client, camp["campaign_id"], action="comment", note="watching")
    assert out["campaign"]["assignee"] == "dana" and out["campaign"]["status"] == "open"
    assert _decision(detected_client, camp["accounts"][0]) == before


def test_bad_actions_are_refused(detected_client: TestClient) -> None:
    cid = _campaigns(detected_client)[0]["campaign_id"]
    r = detected_client.post(
        f"/v1/campaigns/{cid}/actions", json={"action": "nuke"}, headers=auth("analyst")
    )
    assert r.status_code == 422
    r = detected_client.post(
        "/v1/campaigns/NOPE/actions", json={"action": "block"}, headers=auth("analyst")
    )
    assert r.status_code == 404
    assert detected_client.get("/v1/campaigns/NOPE", headers=auth("analyst")).status_code == 404


def test_a_newcomer_using_a_blocked_campaigns_indicator_is_blocked_on_arrival(
    workspace_copy: Path,
) -> None:
    with TestClient(create_app(settings_for(workspace_copy))) as c:
        camps = _campaigns(c)
        policy = Policy()
        found = [
            (camp, ind)
            for camp in camps
            for ind in indicators_of(camp, policy)
            # blockable as detected (v2) or by this deployment's fallback kinds (v1 files)
            if ind["kind"] in ROW_KINDS and ind["kind"] != "ip" and ind["blockable"]
        ]
    assert found, "the detected campaigns should carry blockable infrastructure indicators"
    camp, ind = found[0]
    kind, value = str(ind["kind"]), str(ind["value"])
    # This deployment trusts that indicator kind enough to block on it.
    settings = settings_for(workspace_copy, policy=Policy(fallback_blockable_kinds=(kind,)))
    with TestClient(create_app(settings)) as c:
        assert _decision(c, "newcomer-1")["decision"] == "allow"
        _act(c, camp["campaign_id"], action="block")
        row = {"request_id": "new-1", "timestamp": "2026-03-08T00:00:00Z",
               "account_id": "newcomer-1", "model": "m", "prompt": "hello"}  # fmt: skip
        if kind == "ip_prefix":
            row["ip"] = value.split("/")[0].rsplit(".", 1)[0] + ".77"
        else:
            row[kind] = int(value) if kind == "asn" else value
        r = c.post("/v1/exchanges", content=json.dumps(row).encode(), headers=auth("ingest"))
        assert r.json()["accepted"] == 1
        d = _decision(c, "newcomer-1")
        assert d["decision"] == "block" and d["campaign_id"] == camp["campaign_id"]
        assert value in d["reasons"][0]
        # Dismissing that indicator stops it from deciding anyone.
        _act(c, camp["campaign_id"], action="dismiss", indicator={"kind": kind, "value": value})
        assert _decision(c, "newcomer-1")["decision"] == "allow"


def _newcomer_row(account: str, rid: str, **fields: Any) -> bytes:
    row = {"request_id": rid, "timestamp": "2026-03-08T00:00:00Z", "account_id": account,
           "model": "m", "prompt": "hello", **fields}  # fmt: skip
    return (json.dumps(row) + "\n").encode()


def test_a_new_account_with_an_unreviewed_campaigns_blockable_indicator_is_decided_on_arrival(
    workspace_copy: Path, receiver: Receiver
) -> None:
    """No analyst, no detection run: the first exchange of a new account that uses a blockable
    indicator of a campaign the service throttles is throttled (never more than the campaign);
    a policy that only propagates blocked campaigns' indicators leaves it allowed."""
    hooks = settings_for(workspace_copy, webhooks=(receiver.url,), webhook_timeout=2.0)
    with TestClient(create_app(hooks)) as c:
        found = [
            (camp, ind)
            for camp in _campaigns(c)
            if camp["decision"] in ("throttle", "block")
            for ind in indicators_of(camp, Policy())
            if ind["blockable"] and ind["kind"] in ("email_domain", "payment_fingerprint")
        ]
        assert found, "the detected campaigns should carry a blockable account indicator"
        camp, ind = found[0]
        body = _newcomer_row("newcomer-9", "nc-9", **{str(ind["kind"]): ind["value"]})
        assert c.post("/v1/exchanges", content=body, headers=auth("ingest")).json()["accepted"]
        d = _decision(c, "newcomer-9")
        # Unreviewed: throttled (not blocked) on one shared value, whatever the campaign's own.
        assert d["decision"] == "throttle" and d["campaign_id"] == camp["campaign_id"]
        assert "on arrival" in d["reasons"][0]
        # the campaign grew on arrival: subscribers hear of it
        grew = receiver.wait_for(lambda e: e.get("cause") == "on_arrival")
        assert grew and grew[0]["event"] == "campaign.grew"
        assert grew[0]["campaign_id"] == camp["campaign_id"]
        assert grew[0]["accounts_decided_on_arrival"] == ["newcomer-9"]
        assert grew[0]["account_count"] == grew[0]["previous_account_count"] + 1
    strict = settings_for(workspace_copy, policy=Policy(indicator_from=("block",)))
    with TestClient(create_app(strict)) as c:
        body = _newcomer_row("newcomer-10", "nc-10", **{str(ind["kind"]): ind["value"]})
        assert c.post("/v1/exchanges", content=body, headers=auth("ingest")).json()["accepted"]
        assert _decision(c, "newcomer-10")["decision"] == "allow"
    # A cleared customer (detection config allow_orgs) is never decided on arrival either.
    cleared = settings_for(workspace_copy, detect_config=DetectConfig(allow_orgs=["org-cleared"]))
    with TestClient(create_app(cleared)) as c:
        fields = {str(ind["kind"]): ind["value"], "org_id": "org-cleared"}
        body = _newcomer_row("newcomer-11", "nc-11", **fields)
        assert c.post("/v1/exchanges", content=body, headers=auth("ingest")).json()["accepted"]
        assert _decision(c, "newcomer-11")["decision"] == "allow"
        body = _newcomer_row("newcomer-12", "nc-12", **{str(ind["kind"]): ind["value"]})
        assert c.post("/v1/exchanges", content=body, headers=auth("ingest")).json()["accepted"]
        assert _decision(c, "newcomer-12")["decision"] == "throttle"


def test_a_new_account_sending_a_known_campaigns_prompt_template_is_decided_on_arrival(
    tmp_path: Path,
) -> None:
    """A campaign's blockable prompt-template fingerprint decides a new account whose prompt
    is built from the same template (other payload), at its first exchange; a prompt of another
    template does not."""
    template = 'You are grading answer #{n}. Think step by step and show all reasoning: "{q}"'
    prompts = [template.format(n=7, q="What is 2+2?"), template.format(n=913, q="Name a river.")]
    fps = fingerprints(pa.array(prompts))
    assert fps[0] == fps[1], "the payload is masked: one template, one fingerprint"
    doc = {
        "campaign_id": "X1", "score": 0.8, "accounts": ["old-1", "old-2", "old-3"],
        "recommended_action": "throttle",
        "indicators": [{"kind": "prompt_template", "value": f"{int(fps[0]):016x}",
                        "blockable": True}],
    }  # fmt: skip
    svc = Service(settings_for(tmp_path / "ws"))
    try:
        svc.book.absorb([doc])
        svc.rebuild()
        assert svc.decision("old-1").decision == "throttle"
        svc.ingest(_newcomer_row("fresh-1", "f-1", prompt=prompts[1]))
        svc.ingest(_newcomer_row("fresh-2", "f-2", prompt="Translate into French: good morning"))
        got = svc.decision("fresh-1")
        assert got.decision == "throttle" and got.campaign_id in svc.book.records
        assert "prompt_template" in got.reasons[0]
        assert svc.decision("fresh-2").decision == "allow"
    finally:
        svc.close()


def test_the_policy_decides_and_loads_from_toml_or_json(
    workspace_copy: Path, tmp_path: Path
) -> None:
    toml = tmp_path / "policy.toml"
    toml.write_text('block_score = 0.0\nmax_unreviewed = "block"\nfollow_recommended = false\n')
    policy = load_policy(toml)
    with TestClient(create_app(settings_for(workspace_copy, policy=policy))) as c:
        camp = _campaigns(c)[0]
        assert _decision(c, camp["accounts"][0])["decision"] == "block"
    js = tmp_path / "policy.json"
    js.write_text(
        json.dumps(
            {
                "review_score": 0.99,
                "throttle_score": 0.99,
                "follow_recommended": False,
                "formed": None,
            }
        )
    )
    with TestClient(create_app(settings_for(workspace_copy, policy=load_policy(js)))) as c:
        assert _decision(c, camp["accounts"][0])["decision"] == "allow"


@pytest.mark.parametrize(
    "doc", ['{"block_scor": 0.5}', '{"confirmed": "nuke"}', '{"review_score": 2}', "[1]"]
)
def test_a_bad_policy_is_a_config_error(tmp_path: Path, doc: str) -> None:
    p = tmp_path / "policy.json"
    p.write_text(doc)
    with pytest.raises(ConfigError):
        load_policy(p)


def test_example_exchanges_of_a_campaign_are_its_own_and_text_can_be_withheld(
    detected_client: TestClient,
) -> None:
    camp = _campaigns(detected_client)[0]
    url = f"/v1/campaigns/{camp['campaign_id']}/examples"
    r = detected_client.get(url, params={"limit": 5, "text_chars": 40}, headers=auth("analyst"))
    assert r.status_code == 200
    examples = r.json()["examples"]
    assert 0 < len(examples) <= 5
    assert {e["account_id"] for e in examples} <= set(camp["accounts"])
    assert all(e["prompt"] is None or len(e["prompt"]) <= 40 for e in examples)
    bare = detected_client.get(url, params={"text_chars": 0}, headers=auth("analyst")).json()
    assert all(e["prompt"] is None and e["response"] is None for e in bare["examples"])
    assert (
        detected_client.get("/v1/campaigns/NOPE/examples", headers=auth("analyst")).status_code
        == 404
    )


def test_accounts_a_later_run_leaves_out_stay_throttled_until_an_analyst_dismisses_them(
    tmp_path: Path,
) -> None:
    """A campaign's accounts are throttled while it is unreviewed, also when a later run scores
    it at the line or leaves some of them out; the analyst's dismissal releases them."""
    from distillguard.service.auth import Principal, Role

    doc = {"campaign_id": "H1", "score": 0.8, "threshold": 0.5, "recommended_action": "throttle",
           "accounts": ["h-1", "h-2", "h-3"]}  # fmt: skip
    svc = Service(settings_for(tmp_path / "ws"))
    try:
        svc.book.absorb([doc])
        svc.rebuild()
        assert {svc.decision(a).decision for a in doc["accounts"]} == {"throttle"}
        svc.book.absorb([{**doc, "score": 0.51, "recommended_action": "review",
                          "accounts": ["h-2", "h-3", "h-4"]}])  # fmt: skip
        svc.rebuild()
        assert [svc.decision(a).decision for a in ("h-1", "h-2", "h-4")] == [
            "throttle", "throttle", "review",
        ]  # fmt: skip
        svc.act("H1", "dismiss", Principal(Role.ANALYST, "t"), target={"account_id": "h-1"})
        assert svc.decision("h-1").decision == "allow"
        svc.act("H1", "dismiss", Principal(Role.ANALYST, "t"))
        assert {svc.decision(a).decision for a in ("h-2", "h-3", "h-4")} == {"allow"}
    finally:
        svc.close()

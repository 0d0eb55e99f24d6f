"""An account's harvest level as the decision ranks it: one request that asks for reasoning is
not yet an account that harvests, so it does not outrank accounts that do so all the time."""

from __future__ import annotations

import polars as pl

from distillguard.accounts.table import score_accounts


def test_one_request_does_not_outrank_an_account_that_harvests_on_hundreds() -> None:
    light = 40  # ordinary light users: a few requests each, rarely asking for reasoning
    accounts = pl.DataFrame(
        {
            "account_id": ["one-shot", "harvester", *[f"user-{k}" for k in range(light)]],
            "org_id": [None] * (light + 2),
            "n": [1, 300, *[3] * light],
            "trace_share": [1.0, 0.8, *[0.0] * light],
        },
        schema_overrides={"org_id": pl.String},
    )
    scored, _ = score_accounts(accounts)
    raw = dict(zip(scored["account_id"], scored["harvest"], strict=True))
    credible = dict(zip(scored["account_id"], scored["harvest_credible"], strict=True))
    assert raw["one-shot"] > raw["harvester"], "on its one request the share is 1.0"
    assert credible["harvester"] > credible["one-shot"]
    assert abs(credible["harvester"] - raw["harvester"]) < 0.01, "heavy traffic keeps its level"
    assert credible["user-0"] == raw["user-0"], "an ordinary user stays where it was"

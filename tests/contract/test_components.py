"""One contract suite over every registered component (as river's ``check_estimator``): each
linker, request signal and engine gets the same checks, and a new one gets them by being
registered."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from distillguard.checks import engine_checks, linker_checks, signal_checks
from distillguard.engine import ENGINES
from distillguard.linkage import LINKERS, build_linkers, default_linkage
from distillguard.signals import REQUEST_SIGNALS

# One configured instance per registered linker: the generic key linker needs its key named.
CONFIGURED = {"shared_key": {"family": "asn", "columns": ["asn"], "reliability": 0.2,
                             "description": "send from the same autonomous system"}}  # fmt: skip
LINKER_IDS = sorted(LINKERS)
LINKER_CHECKS = [name for name, _ in linker_checks(build_linkers(default_linkage())[0])]
SIGNAL_CHECKS = [name for name, _ in signal_checks(next(iter(REQUEST_SIGNALS.values())))]


def _run(checks: list[tuple[str, Callable[[], None]]], which: str) -> None:
    dict(checks)[which]()


@pytest.mark.slow
@pytest.mark.parametrize("check", LINKER_CHECKS)
@pytest.mark.parametrize("linker_id", LINKER_IDS)
def test_every_linker_keeps_the_contract(linker_id: str, check: str) -> None:
    (linker,) = build_linkers([{"linker": linker_id, **CONFIGURED.get(linker_id, {})}])
    _run(list(linker_checks(linker)), check)


@pytest.mark.parametrize("check", SIGNAL_CHECKS)
@pytest.mark.parametrize("signal_id", sorted(REQUEST_SIGNALS))
def test_every_signal_keeps_the_contract(signal_id: str, check: str) -> None:
    _run(list(signal_checks(REQUEST_SIGNALS[signal_id])), check)


ENGINE_PARAMS = [
    pytest.param(name, marks=[pytest.mark.spark] if name == "spark" else []) for name in ENGINES
]


@pytest.mark.parametrize("engine_id", ENGINE_PARAMS)
def test_every_engine_keeps_the_contract(engine_id: str, tmp_path: Path, request: Any) -> None:
    if engine_id == "spark":
        request.getfixturevalue("spark")  # shared session; skips without Java
    every = [
        {"linker": name, **CONFIGURED.get(name, {})} for name in LINKER_IDS
    ]  # every registered linker, opt-in ones included
    for _, check in engine_checks(ENGINES[engine_id], tmp_path, build_linkers(every)):
        check()

"""A new component is one registration away from the whole contract suite, and a mistake in
its registration fails at start-up with a clear message, before any data is read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pytest

from distillguard.checks import linker_checks
from distillguard.errors import ConfigError
from distillguard.linkage import LINKERS, LinkContext, Linker, build_linkers
from distillguard.linkage.base import canonical_edges, empty_edges
from distillguard.pipeline import DetectConfig, config_from_dict


@dataclass
class SameModelLinker(Linker):
    """Toy linker: accounts whose requests all went to one model, chained in index order."""

    family: str = "same_model"
    reliability: float = 0.1
    description: str = "use only the same model"

    def link(self, ctx: LinkContext) -> pl.DataFrame:
        if ctx.accounts.is_empty():
            return empty_edges()
        one = ctx.accounts.filter(pl.col("n_models") == 1)["idx"].to_numpy()
        if len(one) < 2:
            return empty_edges()
        return canonical_edges(one[:-1], one[1:], np.full(len(one) - 1, 0.5), self.family)


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(LINKERS, "same_model", SameModelLinker)  # the one line a plug-in adds


@pytest.mark.slow
def test_a_registered_toy_linker_gets_the_contract_suite(registered: None) -> None:
    (linker,) = build_linkers([{"linker": "same_model"}])
    ran = []
    for name, check in linker_checks(linker):
        check()
        ran.append(name)
    assert {"empty_input", "one_account", "edge_schema", "deterministic"} <= set(ran)
    # and detection accepts it as configuration, its reliability taken from the class
    cfg = config_from_dict({"linkage": [{"linker": "network"}, {"linker": "same_model"}]})
    assert cfg.check().cluster.reliability == {"network": 0.35, "same_model": 0.1}


def test_a_broken_toy_linker_is_caught_by_the_suite(registered: None) -> None:
    @dataclass
    class Reversed(SameModelLinker):
        def link(self, ctx: LinkContext) -> pl.DataFrame:
            edges = super().link(ctx)
            return edges.with_columns(a=pl.col("b"), b=pl.col("a"))

    checks = dict(linker_checks(Reversed()))
    with pytest.raises(AssertionError, match="a < b"):
        checks["edge_schema"]()


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"linker": "nope"}, "unknown linker 'nope'"),
        ({"linker": "network", "fanout": "x"}, "fanout"),
        ({"linker": "network", "colour": 1}, "bad parameters for linker 'network'"),
        ({"linker": "shared_key", "family": "asn", "columns": ["asn"]}, "needs a reliability"),
        ({"linker": "network", "reliability": 1.5}, "needs a reliability in \\(0, 1\\]"),
        ({"linker": "twin", "k": -1}, "k must be >= 0"),
    ],
)
def test_linkage_mistakes_fail_at_start_up(entry: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_linkers([entry])


def test_two_linkers_claiming_one_family_fail_at_start_up() -> None:
    entry = {"linker": "shared_key", "family": "network", "columns": ["asn"]}
    with pytest.raises(ConfigError, match="duplicate linker family 'network'"):
        build_linkers([{"linker": "network"}, {**entry, "reliability": 0.9, "description": "x"}])


def test_a_linker_without_reliability_never_drops_edges_silently() -> None:
    @dataclass
    class NoReliability(SameModelLinker):
        reliability: float = float("nan")

    with pytest.raises(ConfigError, match="needs a reliability"):
        NoReliability().check()


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"flag_threshold": 1.5}, "DetectConfig.flag_threshold must be in \\[0.0, 1.0\\]"),
        ({"cluster": {"min_edge": -0.1}}, "ClusterConfig.min_edge"),
        ({"cluster": {"reliability": {"nope": 0.5}}}, "no configured linker produces: nope"),
        ({"cluster": {"reliability": {"network": 0}}}, "reliability\\['network'\\]"),
        ({"sample_per_account": "many"}, "must be a number"),
        ({"unknown_knob": 1}, "bad detection config"),
    ],
)
def test_config_mistakes_fail_at_start_up(doc: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict(doc)


def test_configured_reliability_overrides_the_declared_one() -> None:
    cfg = DetectConfig(linkage=[{"linker": "network"}, {"linker": "payment"}])
    cfg.cluster.reliability["network"] = 0.2
    assert cfg.check().cluster.reliability == {"network": 0.2, "payment": 0.55}

"""Named scenarios: legitimate background plus campaigns, sized at ``--scale 1``.

``--scale`` multiplies accounts and exchanges of every cohort; minimum counts keep every persona
and campaign present at small scales (``--scale 0.05`` still has all of them).

``--small-accounts`` multiplies the accounts of the small-account personas only
(:data:`SMALL_ACCOUNT_PERSONAS`), at the same exchange count (each still sends at least
``MIN_EXCHANGES_PER_ACCOUNT``): real gateway logs have far more light users than the benchmark
mix, and this is the axis along which clustering cost grows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from distillguard.errors import ConfigError
from distillguard.simulate.personas import PERSONAS
from distillguard.simulate.spec import Cohort
from distillguard.simulate.tactics import (
    AccountPool,
    Campaign,
    Capabilities,
    ClientMix,
    CoverageSweep,
    HumanJitter,
    LongHorizonDecomposition,
    LowAndSlow,
    ModelPivot,
    OrdinaryAccounts,
    Pathway,
    PaymentReuse,
    PhaseShift,
    ProxyNetwork,
    QuietAged,
    Sampling,
    SyncTiming,
    TrafficMixing,
    TrajectorySynthesis,
    Wrappers,
)

MIN_ACCOUNTS = 3
MIN_CAMPAIGN_ACCOUNTS = 6
MIN_EXCHANGES_PER_ACCOUNT = 8
SMALL_ACCOUNT_PERSONAS = frozenset({"individual_developer", "campus"})


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    start: datetime
    days: float
    release_day: float
    personas: tuple[tuple[str, int, int], ...]
    campaigns: tuple[Campaign, ...]

    def cohorts(self, scale: float, small_accounts: float = 1.0) -> list[Cohort]:
        if not scale > 0:
            raise ConfigError(f"--scale must be positive, got {scale}")
        if not small_accounts >= 1:
            raise ConfigError(f"--small-accounts must be at least 1, got {small_accounts}")
        out: list[Cohort] = []
        for name, accounts, exchanges in self.personas:
            more = small_accounts if name in SMALL_ACCOUNT_PERSONAS else 1.0
            a = max(MIN_ACCOUNTS, round(accounts * scale * more))
            e = max(a * MIN_EXCHANGES_PER_ACCOUNT, round(exchanges * scale))
            out.append(PERSONAS[name](a, e))
        for camp in self.campaigns:
            a = max(MIN_CAMPAIGN_ACCOUNTS, round(camp.accounts * scale))
            e = max(a * MIN_EXCHANGES_PER_ACCOUNT, round(camp.exchanges * scale))
            out.append(replace(camp, accounts=a, exchanges=e).cohort())
        return out


def _hydra(cid: str, accounts: int, exchanges: int, *, obfuscated: bool = True) -> Campaign:
    return Campaign(
        cid,
        accounts,
        exchanges,
        (
            AccountPool("gradual", -20, 30),
            Pathway("individual"),
            PaymentReuse(0),
            ProxyNetwork("residential", pool_size=max(accounts // 2, 40), sticky=3),
            HumanJitter(operator_tz=8.0, session_mean=4, gap_s=60),
            TrafficMixing(0.35),
            Wrappers(obfuscated=obfuscated),
            Capabilities(
                (("reasoning_trace", 0.35), ("agentic", 0.25), ("swe", 0.2), ("coercion", 0.2))
            ),
            Sampling(((8192, 0.5), (16000, 0.5)), ((1.0, 0.7), (0.7, 0.3)), noise=0.3),
            ClientMix((("openai-python", 0.4), ("litellm", 0.3), ("httpx", 0.3))),
            ModelPivot(0.5, 14),
        ),
    )


def _low_slow(cid: str, accounts: int, exchanges: int) -> Campaign:
    return Campaign(
        cid,
        accounts,
        exchanges,
        (
            AccountPool("gradual", -30, 40),
            Pathway("individual"),
            PaymentReuse(0),
            ProxyNetwork("residential", pool_size=accounts * 2, sticky=2),
            HumanJitter(operator_tz=8.0, session_mean=2, gap_s=120),
            LowAndSlow(0.3),
            Wrappers(obfuscated=True),
            Capabilities((("reasoning_trace", 0.6), ("rubric_grading", 0.4))),
            Sampling(((8192, 0.6), (16000, 0.4)), ((0.7, 0.6), (1.0, 0.4)), noise=0.35),
            ClientMix((("openai-python", 0.4), ("anthropic-python", 0.3), ("browser", 0.3))),
        ),
    )


def _loud(cid: str, accounts: int, exchanges: int) -> Campaign:
    return Campaign(
        cid,
        accounts,
        exchanges,
        (
            AccountPool("burst", -2, 2),
            Pathway("startup", orgs=4),
            PaymentReuse(3),
            ProxyNetwork("datacenter", pool_size=40),
            SyncTiming(wave_share=0.6, jitter_s=10),
            Wrappers(obfuscated=False, templates_per_account=1),
            Capabilities(
                (("reasoning_trace", 0.5), ("rubric_grading", 0.3), ("sensitive_rewrite", 0.2))
            ),
            Sampling(((32000, 1.0),), ((0.6, 1.0),), noise=0.05),
            ModelPivot(0.5, 6),
        ),
    )


def _coercion(cid: str, accounts: int, exchanges: int) -> Campaign:
    return Campaign(
        cid,
        accounts,
        exchanges,
        (
            AccountPool("burst", 1, 5),
            Pathway("education", orgs=25),
            PaymentReuse(8),
            ProxyNetwork("datacenter", pool_size=120, sticky=4, countries=("SG", "HK", "JP", "US")),
            HumanJitter(operator_tz=8.0, session_mean=6, gap_s=30),
            Wrappers(obfuscated=True),
            Capabilities((("coercion", 0.6), ("coercion_code", 0.4))),
            Sampling(((16000, 0.7), (32000, 0.3)), ((1.0, 1.0),), noise=0.1),
            ModelPivot(0.5, 18),
        ),
    )


def _agentic(cid: str, accounts: int, exchanges: int) -> Campaign:
    return Campaign(
        cid,
        accounts,
        exchanges,
        (
            AccountPool("gradual", -10, 14),
            Pathway("startup", orgs=10),
            PaymentReuse(6),
            ProxyNetwork("datacenter", pool_size=80, sticky=2),
            SyncTiming(wave_share=0.3, jitter_s=90, session_mean=12, gap_s=8),
            Wrappers(obfuscated=True),
            Capabilities(
                (("agentic", 0.4), ("swe", 0.35), ("long_horizon", 0.25)), fabricated_history=0.7
            ),
            Sampling(((16000, 0.5), (32000, 0.5)), ((1.0, 0.8), (0.0, 0.2)), noise=0.15),
            ClientMix((("anthropic-python", 0.5), ("anthropic-js", 0.2), ("coding-agent", 0.3))),
        ),
    )


def _agentic_harvest(cid: str, accounts: int, exchanges: int) -> Campaign:
    """One-shot trajectories and long-horizon decomposition over a sharded task grid, from
    ordinary-looking accounts (~100 requests a month each), part switching to reasoning traces
    for supplied answers midway."""
    return Campaign(
        cid,
        accounts,
        exchanges,
        (
            Wrappers(obfuscated=True),
            TrajectorySynthesis(0.55),
            LongHorizonDecomposition(0.45),
            CoverageSweep(templates=8),
            OrdinaryAccounts(),
            PhaseShift(0.5, 0.4, "reasoning_trace"),
            Sampling(((8192, 0.4), (16000, 0.4), (32000, 0.2)), ((1.0, 0.6), (0.7, 0.4)), 0.3),
        ),
    )


def _quiet_aged(cid: str, accounts: int, exchanges: int, start_day: float = 3.0) -> Campaign:
    """Aged accounts woken on one day, each on its own home line, in real multi-turn tool loops
    on long-horizon and agentic work: nothing shared but the day they started and the asks."""
    return Campaign(
        cid,
        accounts,
        exchanges,
        (
            Wrappers(obfuscated=True),
            Capabilities(
                (("agentic", 0.4), ("swe", 0.3), ("long_horizon", 0.3)), fabricated_history=0.0
            ),
            Sampling(((16000, 0.5), (32000, 0.5)), ((1.0, 0.7), (0.7, 0.3)), noise=0.2),
            QuietAged(start_day=start_day),
        ),
    )


_BENCH_PERSONAS: tuple[tuple[str, int, int], ...] = (
    ("individual_developer", 1400, 60_000),
    ("product_app", 120, 70_000),
    ("enterprise_batch", 40, 60_000),
    ("coding_agent", 300, 70_000),
    ("eval_runner", 40, 30_000),
    ("campus", 500, 30_000),
    ("reseller", 6, 50_000),
    ("synthetic_data", 25, 40_000),
    ("oss_agent_user", 700, 45_000),
    ("harness_runner", 36, 30_000),
    ("trajectory_dataset", 6, 12_000),
)
_BENCH_CAMPAIGNS: tuple[Campaign, ...] = (
    _hydra("hydra-proxy-mix", 150, 40_000),
    _low_slow("low-and-slow", 250, 12_000),
    _loud("loud-sync", 60, 30_000),
    _coercion("multilingual-coercion", 120, 18_000),
    _agentic("agentic-swe", 80, 15_000),
    _agentic_harvest("agentic-harvest", 250, 12_000),
    _quiet_aged("quiet-aged", 25, 3_000),
)


def _scaled(rows: tuple[tuple[str, int, int], ...], f: float) -> tuple[tuple[str, int, int], ...]:
    return tuple((n, max(1, round(a * f)), round(e * f)) for n, a, e in rows)


PRESETS: dict[str, Preset] = {
    "benchmark": Preset(
        "benchmark",
        "every persona and seven campaigns of different styles; ~627 K exchanges, ~4,100 accounts",
        datetime(2026, 3, 2, tzinfo=UTC),
        14,
        6.7,
        _BENCH_PERSONAS,
        _BENCH_CAMPAIGNS,
    ),
    "demo": Preset(
        "demo",
        "small: the benchmark mix at ~1/7 of its size over 7 days (~88 K exchanges)",
        datetime(2026, 3, 2, tzinfo=UTC),
        7,
        3.7,
        _scaled(_BENCH_PERSONAS, 0.14),
        tuple(
            Campaign(
                c.campaign_id, max(8, round(c.accounts * 0.2)), round(c.exchanges * 0.14), c.tactics
            )
            for c in _BENCH_CAMPAIGNS
        ),
    ),
    "feb2026": Preset(
        "feb2026",
        "the three Feb 2026 campaigns (~150 K, ~3.4 M, ~13 M exchanges; ~24 K accounts)",
        datetime(2026, 1, 5, tzinfo=UTC),
        28,
        12.6,
        _scaled(_BENCH_PERSONAS, 40),
        (
            Campaign(
                "feb-A-trace",
                800,
                150_000,
                (
                    AccountPool("burst", -3, 4),
                    Pathway("individual"),
                    PaymentReuse(4),
                    ProxyNetwork("datacenter", pool_size=60),
                    SyncTiming(wave_share=0.6),
                    Wrappers(obfuscated=False),
                    Capabilities(
                        (
                            ("reasoning_trace", 0.5),
                            ("rubric_grading", 0.3),
                            ("sensitive_rewrite", 0.2),
                        )
                    ),
                    Sampling(),
                ),
            ),
            Campaign(
                "feb-B-agentic",
                3200,
                3_400_000,
                (
                    AccountPool("gradual", -14, 20),
                    Pathway("startup", orgs=40),
                    PaymentReuse(30),
                    ProxyNetwork("datacenter", pool_size=600, sticky=3),
                    SyncTiming(wave_share=0.3, jitter_s=60, session_mean=15, gap_s=6),
                    Wrappers(obfuscated=True),
                    Capabilities((("agentic", 0.45), ("swe", 0.35), ("reasoning_trace", 0.2))),
                    Sampling(((16000, 0.5), (32000, 0.5)), ((1.0, 1.0),)),
                ),
            ),
            _hydra("feb-C-hydra", 20_000, 13_000_000),
        ),
    ),
    "jun2026": Preset(
        "jun2026",
        "28.8 M exchanges via ~25 K accounts in six weeks: obfuscated, proxied, agentic/SWE/long",
        datetime(2026, 5, 4, tzinfo=UTC),
        42,
        20.6,
        _scaled(_BENCH_PERSONAS, 50),
        (
            _agentic("jun-A-agentic", 9_250, 14_610_000),
            Campaign(
                "jun-B-swe-slow",
                9_000,
                8_800_000,
                (
                    AccountPool("gradual", -20, 50),
                    Pathway("education", orgs=120),
                    PaymentReuse(0),
                    ProxyNetwork("residential", pool_size=20_000, sticky=2),
                    HumanJitter(8.0),
                    LowAndSlow(0.3),
                    Wrappers(obfuscated=True),
                    Capabilities((("swe", 0.6), ("long_horizon", 0.4)), fabricated_history=0.5),
                    Sampling(((16000, 0.5), (32000, 0.5)), ((1.0, 1.0),), noise=0.3),
                ),
            ),
            _hydra("jun-C-hydra", 4_000, 5_000_000),
            _agentic_harvest("jun-D-agentic-harvest", 2_500, 350_000),
            _quiet_aged("jun-E-quiet-aged", 250, 40_000, start_day=9.0),
        ),
    ),
}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]

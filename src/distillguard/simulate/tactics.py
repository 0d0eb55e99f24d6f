"""Distillation campaigns built from composable tactics.

A tactic is a small frozen dataclass whose :meth:`Tactic.apply` returns a changed copy of a
campaign cohort. A :class:`Campaign` is an id, a size and a list of tactics, applied in order to
:func:`base_campaign`; campaigns are therefore plain data (see :meth:`Campaign.from_dict` and the
:data:`TACTICS` registry). Each tactic's docstring names the public observation it models.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar, Literal

from distillguard.errors import ConfigError
from distillguard.simulate.personas import _reseller_mix
from distillguard.simulate.spec import (
    Cohort,
    ModelUse,
    Network,
    Phase,
    Population,
    Signup,
    Timing,
    Traffic,
    Weights,
)

# Capability target -> (payload pool, wrapper set). Payload pools are shared with legitimate users.
TARGETS: dict[str, tuple[str, str]] = {
    "reasoning_trace": ("qa_pair", "trace"),
    "rubric_grading": ("graded", "rubric"),
    "agentic": ("agentic", "agentic"),
    "swe": ("swe", "swe"),
    "long_horizon": ("long_horizon", "long_horizon"),
    "sensitive_rewrite": ("sensitive", "sensitive"),
    "coercion": ("math", "coercion"),
    "coercion_code": ("code", "coercion"),
}


class Tactic:
    """One composable element of a campaign."""

    name: ClassVar[str]

    def apply(self, c: Cohort) -> Cohort:
        raise NotImplementedError

    def describe(self) -> str:
        args = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))  # type: ignore[arg-type]
        return f"{self.name}({args})"


def _pop(c: Cohort, **kw: Any) -> Cohort:
    return replace(c, population=replace(c.population, **kw))


def _traffic(c: Cohort, **kw: Any) -> Cohort:
    return replace(c, traffic=replace(c.traffic, **kw))


@dataclass(frozen=True)
class AccountPool(Tactic):
    """How the fraudulent accounts were created: a sign-up ``burst`` or ``gradual`` over weeks
    (days relative to the window start), optionally each account burned after ``lifetime_days``."""

    name: ClassVar[str] = "account_pool"
    signup: Literal["burst", "gradual"] = "burst"
    start_day: float = -3.0
    spread_days: float = 3.0
    lifetime_days: float = 0.0

    def apply(self, c: Cohort) -> Cohort:
        return _pop(
            c,
            signup=Signup(self.signup, self.start_day, self.spread_days, 0.0),
            lifetime_days=self.lifetime_days,
        )


@dataclass(frozen=True)
class Pathway(Tactic):
    """Access pathway: ``individual`` (consumer e-mail, one org each), ``startup`` (a few
    company domains and orgs), ``education`` (edu e-mail domains of many universities)."""

    name: ClassVar[str] = "pathway"
    kind: Literal["individual", "startup", "education"] = "individual"
    orgs: int = 12

    def apply(self, c: Cohort) -> Cohort:
        if self.kind == "individual":
            return _pop(c, email="consumer", orgs=0)
        if self.kind == "startup":
            return _pop(c, email="company", orgs=self.orgs)
        return _pop(c, email="edu", email_domains=self.orgs, orgs=0)


@dataclass(frozen=True)
class PaymentReuse(Tactic):
    """A few payment instruments across many accounts (``fingerprints`` > 0), or none shared."""

    name: ClassVar[str] = "payment_reuse"
    fingerprints: int = 5

    def apply(self, c: Cohort) -> Cohort:
        if self.fingerprints <= 0:
            return _pop(c, payment="own", payments=0)
        return _pop(c, payment="shared", payments=self.fingerprints)


@dataclass(frozen=True)
class ProxyNetwork(Tactic):
    """Egress through a rented proxy pool: ``datacenter`` ranges or rotating ``residential`` IPs
    across many ASNs and countries; ``sticky`` addresses per account (0 = rotate per request)."""

    name: ClassVar[str] = "proxy_network"
    kind: Literal["datacenter", "residential"] = "datacenter"
    pool_size: int = 200
    sticky: int = 0
    countries: tuple[str, ...] = ()

    def apply(self, c: Cohort) -> Cohort:
        kind: Literal["proxy_datacenter", "proxy_residential"] = (
            "proxy_datacenter" if self.kind == "datacenter" else "proxy_residential"
        )
        net = Network(
            kind,
            pool_size=self.pool_size,
            sticky=self.sticky,
            pool_countries=self.countries,
            roaming=0.01,
        )
        return _pop(c, network=net)


@dataclass(frozen=True)
class SyncTiming(Tactic):
    """Load-balanced synchronised traffic: accounts' sessions start together in shared waves
    round the clock, requests at a fixed cadence inside a session."""

    name: ClassVar[str] = "sync_timing"
    wave_share: float = 0.5
    jitter_s: float = 15.0
    session_mean: float = 25.0
    gap_s: float = 4.0

    def apply(self, c: Cohort) -> Cohort:
        t = Timing(
            "lockstep",
            wave_share=self.wave_share,
            jitter_s=self.jitter_s,
            session_mean=self.session_mean,
            gap_s=self.gap_s,
            regular=True,
            operator_tz=0.0,
        )
        return replace(c, timing=t)


@dataclass(frozen=True)
class HumanJitter(Tactic):
    """Human-like timing: a working-day curve in one operator time zone, weekends, random gaps."""

    name: ClassVar[str] = "human_jitter"
    operator_tz: float = 8.0
    peak_hour: float = 15.0
    session_mean: float = 3.0
    gap_s: float = 80.0

    def apply(self, c: Cohort) -> Cohort:
        t = Timing(
            "diurnal",
            peak_hour=self.peak_hour,
            weekend=0.5,
            session_mean=self.session_mean,
            gap_s=self.gap_s,
            operator_tz=self.operator_tz,
        )
        return replace(c, timing=t)


@dataclass(frozen=True)
class LowAndSlow(Tactic):
    """Each account stays under typical heavy-user volume: similar, small per-account counts
    (the campaign's size comes from many accounts, not heavy ones)."""

    name: ClassVar[str] = "low_and_slow"
    volume_sigma: float = 0.35

    def apply(self, c: Cohort) -> Cohort:
        return _pop(c, volume_sigma=self.volume_sigma)


@dataclass(frozen=True)
class TrafficMixing(Tactic):
    """A "hydra" reseller: the campaign's accounts also carry ordinary customers' traffic
    (``share`` of their requests, labelled benign per request)."""

    name: ClassVar[str] = "traffic_mixing"
    share: float = 0.4

    def apply(self, c: Cohort) -> Cohort:
        return replace(
            c,
            mix_share=self.share,
            mix_traffic=_reseller_mix(),
            mix_timing=Timing("diurnal", peak_hour=14, weekend=0.6, session_mean=3, gap_s=50),
        )


@dataclass(frozen=True)
class Wrappers(Tactic):
    """Literal templates (``templates_per_account`` fixed variants) or paraphrased/obfuscated
    wrappers (hundreds of variants, multilingual, filler, casing/whitespace noise, homoglyphs)."""

    name: ClassVar[str] = "wrappers"
    obfuscated: bool = True
    templates_per_account: int = 1

    def apply(self, c: Cohort) -> Cohort:
        wr = tuple(
            (cap, w.rstrip("~") + ("~" if self.obfuscated else "")) for cap, w in c.traffic.wrappers
        )
        tpa = 0 if self.obfuscated else self.templates_per_account
        ph = c.traffic.phase
        if ph is not None:
            ph = replace(ph, wrapper=ph.wrapper.rstrip("~") + ("~" if self.obfuscated else ""))
        return _traffic(c, wrappers=wr, templates_per_account=tpa, phase=ph)


@dataclass(frozen=True)
class Capabilities(Tactic):
    """What the campaign harvests: weights over :data:`TARGETS` (reasoning-trace reconstruction,
    rubric grading, agentic tool use without session continuity, SWE, long-horizon, sensitive
    rewrites, non-English reasoning coercion)."""

    name: ClassVar[str] = "capabilities"
    targets: Weights = (("reasoning_trace", 1.0),)
    fabricated_history: float = 0.6

    def apply(self, c: Cohort) -> Cohort:
        caps: dict[str, float] = {}
        wrap: dict[str, str] = {}
        obf = any(w.endswith("~") for _, w in c.traffic.wrappers)
        for target, weight in self.targets:
            if target not in TARGETS:
                raise ConfigError(f"unknown capability target {target!r}; known: {sorted(TARGETS)}")
            cap, wset = TARGETS[target]
            caps[cap] = caps.get(cap, 0.0) + weight
            wrap[cap] = wset + ("~" if obf else "")
        agentic = any(t in ("agentic", "swe", "long_horizon") for t, _ in self.targets)
        return _traffic(
            c,
            capabilities=tuple(caps.items()),
            wrappers=tuple(wrap.items()),
            tools=(4, 16) if agentic else (0, 0),
            fabricated_history=self.fabricated_history if agentic else 0.0,
            system="generic" if agentic else c.traffic.system,
        )


@dataclass(frozen=True)
class ModelPivot(Tactic):
    """Move ``share`` of the traffic to a newly released model within ``lag_h`` hours (< 24)."""

    name: ClassVar[str] = "model_pivot"
    share: float = 0.5
    lag_h: float = 10.0

    def apply(self, c: Cohort) -> Cohort:
        m = replace(c.traffic.model, adopt_share=self.share, lag_h=self.lag_h, ramp_h=4.0)
        return _traffic(c, model=m)


@dataclass(frozen=True)
class Sampling(Tactic):
    """Request parameters: large ``max_tokens`` and a consistent temperature, with ``noise`` the
    share of requests that deviate from each account's setting."""

    name: ClassVar[str] = "sampling"
    max_tokens: tuple[tuple[int, float], ...] = ((16000, 0.6), (32000, 0.4))
    temperature: tuple[tuple[float, float], ...] = ((0.6, 1.0),)
    noise: float = 0.1

    def apply(self, c: Cohort) -> Cohort:
        return _traffic(
            c,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            per_account_noise=self.noise,
        )


@dataclass(frozen=True)
class ClientMix(Tactic):
    """Which client libraries the operator's tooling uses (all are common among customers)."""

    name: ClassVar[str] = "client_mix"
    clients: Weights = (("openai-python", 0.6), ("httpx", 0.4))

    def apply(self, c: Cohort) -> Cohort:
        return _pop(c, clients=self.clients)


# Client libraries as spread as ordinary developers' (see personas.individual_developer).
_ORDINARY_CLIENTS: Weights = (
    ("openai-python", 0.3),
    ("anthropic-python", 0.25),
    ("httpx", 0.1),
    ("requests", 0.1),
    ("langchain", 0.1),
    ("openai-node", 0.1),
    ("curl", 0.05),
)


def _obfuscated(c: Cohort) -> bool:
    return any(w.endswith("~") for _, w in c.traffic.wrappers)


def _add_caps(c: Cohort, caps: dict[str, float], wrapper: str, *, replace_all: bool) -> Cohort:
    """Add (or, first time, replace) capabilities carried by one wrapper set."""
    wset = wrapper + ("~" if _obfuscated(c) else "")
    old_caps = {} if replace_all else dict(c.traffic.capabilities)
    old_wrap = {} if replace_all else dict(c.traffic.wrappers)
    old_wrap.pop("*", None)
    for cap, w in caps.items():
        old_caps[cap] = old_caps.get(cap, 0.0) + w
        old_wrap[cap] = wset
    return _traffic(c, capabilities=tuple(old_caps.items()), wrappers=tuple(old_wrap.items()))


def _is_agentic_mix(c: Cohort) -> bool:
    wrappers = {w.rstrip("~") for _, w in c.traffic.wrappers}
    return bool(wrappers & {"trajectory", "decompose"})


@dataclass(frozen=True)
class TrajectorySynthesis(Tactic):
    """One-shot trajectory synthesis: tools are defined (``tool_count`` > 0) but the prompt asks
    for the whole agent run written out in one response (plan, every tool call with arguments,
    expected observations, error handling, final answer). Never a tool loop: every request is
    the first turn of a new conversation, no tool result is ever sent back. Public record: the
    June 2026 campaign targeted agentic reasoning and tool use; eliciting whole trajectories
    without running tools is the cheap way to harvest them."""

    name: ClassVar[str] = "trajectory_synthesis"
    weight: float = 0.5
    tools: tuple[int, int] = (3, 14)

    def apply(self, c: Cohort) -> Cohort:
        w = self.weight / 2
        c = _add_caps(c, {"agentic": w, "swe": w}, "trajectory", replace_all=not _is_agentic_mix(c))
        return _traffic(
            c, conversation="single", fabricated_history=0.0, tools=self.tools, system="harvest"
        )


@dataclass(frozen=True)
class LongHorizonDecomposition(Tactic):
    """Long-horizon decomposition: a large project cut into many requests, each a new
    conversation (``turn_index`` 0) that carries the state pasted into the prompt (progress so
    far, file tree, decisions) instead of a conversation history. Public record: long-horizon
    tasks were among the June 2026 campaign's targets."""

    name: ClassVar[str] = "long_horizon_decomposition"
    weight: float = 0.3

    def apply(self, c: Cohort) -> Cohort:
        c = _add_caps(
            c, {"long_horizon": self.weight}, "decompose", replace_all=not _is_agentic_mix(c)
        )
        states = tuple(dict.fromkeys((*c.traffic.state_caps, "long_horizon")))
        return _traffic(c, conversation="single", fabricated_history=0.0, state_caps=states)


@dataclass(frozen=True)
class CoverageSweep(Tactic):
    """Coverage sweep: the accounts walk disjoint slices of one task grid (task x environment x
    tool set, written into the prompt), so no two accounts repeat a task; what they share is a
    handful of wrapper variants (``templates``) and of system prompts, across many unrelated
    organisations. Public record: harvesting operations shard a task list across accounts to
    maximise coverage while keeping each account unremarkable."""

    name: ClassVar[str] = "coverage_sweep"
    templates: int = 8

    def apply(self, c: Cohort) -> Cohort:
        return _traffic(c, coverage="grid", shared_templates=self.templates, system="harvest")


@dataclass(frozen=True)
class OrdinaryAccounts(Tactic):
    """Ordinary-looking accounts: each its own organisation, on a home network or one small
    cloud server, working hours in its own time zone, few requests each (set the campaign's
    exchanges to ~100 per account per month); origins mixed (student sign-ups, small startups,
    individuals); ``card_share`` of the accounts pay with cards shared by ``card_group``
    accounts. Public record: access through education and startup programmes, shared payment
    methods, traffic made to look like ordinary users."""

    name: ClassVar[str] = "ordinary_accounts"
    origins: Weights = (("student", 0.4), ("startup", 0.15), ("individual", 0.45))
    cloud_share: float = 0.25
    card_share: float = 0.5
    card_group: tuple[int, int] = (2, 4)
    created_days: float = 150.0

    def apply(self, c: Cohort) -> Cohort:
        c = _pop(
            c,
            countries=(),
            email="blend",
            origins=self.origins,
            orgs=0,
            org_size=(0, 0),
            payment="groups",
            payment_share=self.card_share,
            payment_group=self.card_group,
            volume_sigma=0.35,
            signup=Signup("gradual", -self.created_days, self.created_days - 1.0, 0.0),
            network=Network("home_cloud", 1.3, cloud_share=self.cloud_share, roaming=0.04),
            clients=_ORDINARY_CLIENTS,
        )
        t = Timing("diurnal", peak_hour=15, weekend=0.45, session_mean=2.5, gap_s=110)
        return replace(c, timing=t)


@dataclass(frozen=True)
class PhaseShift(Tactic):
    """Midway (``at`` of the window) ``share`` of the traffic switches to another target,
    by default reconstructing the reasoning for supplied answers. Public record: campaigns
    changed targets during their run (pivots within the window)."""

    name: ClassVar[str] = "phase_shift"
    at: float = 0.5
    share: float = 0.4
    target: str = "reasoning_trace"

    def apply(self, c: Cohort) -> Cohort:
        if self.target not in TARGETS:
            raise ConfigError(
                f"unknown capability target {self.target!r}; known: {sorted(TARGETS)}"
            )
        cap, wset = TARGETS[self.target]
        wrapper = wset + ("~" if _obfuscated(c) else "")
        return _traffic(c, phase=Phase(self.at, self.share, cap, wrapper))


@dataclass(frozen=True)
class QuietAged(Tactic):
    """Quiet aged accounts: created long ago (``min_age_days``..``max_age_days`` before the
    window), each with its own stable home address, organisation, card and time zone (no
    shared infrastructure), working long-horizon and agentic tasks in genuine multi-turn
    sessions with tool results sent back; all of them start on ``start_day``. Public record:
    aged accounts bought or held in reserve and woken together for one operation."""

    name: ClassVar[str] = "quiet_aged"
    start_day: float = 3.0
    min_age_days: float = 200.0
    max_age_days: float = 1100.0
    session_mean: float = 8.0

    def apply(self, c: Cohort) -> Cohort:
        c = _pop(
            c,
            countries=(),
            email="mixed",
            company_share=0.2,
            orgs=0,
            payment="own",
            volume_sigma=0.4,
            signup=Signup("old", -self.min_age_days, self.max_age_days - self.min_age_days, 0.0),
            network=Network("residential", 1.0, roaming=0.0),
            active_from_day=self.start_day,
            active_spread_h=20.0,
            clients=_ORDINARY_CLIENTS,
        )
        c = _traffic(
            c,
            conversation="multi",
            fabricated_history=0.0,
            tool_loop=True,
            tools=(c.traffic.tools[0] or 4, c.traffic.tools[1] or 14),
        )
        t = Timing("diurnal", peak_hour=16, weekend=0.5, session_mean=self.session_mean, gap_s=45)
        return replace(c, timing=t)


TACTICS: dict[str, type[Tactic]] = {
    cls.name: cls
    for cls in (
        AccountPool,
        Pathway,
        PaymentReuse,
        ProxyNetwork,
        SyncTiming,
        HumanJitter,
        LowAndSlow,
        TrafficMixing,
        Wrappers,
        Capabilities,
        ModelPivot,
        Sampling,
        ClientMix,
        TrajectorySynthesis,
        LongHorizonDecomposition,
        CoverageSweep,
        OrdinaryAccounts,
        PhaseShift,
        QuietAged,
    )
}


def base_campaign(campaign_id: str, accounts: int, exchanges: int) -> Cohort:
    """The starting point every campaign's tactics modify: single-turn, systematic coverage."""
    return Cohort(
        name=campaign_id,
        persona="campaign",
        accounts=accounts,
        exchanges=exchanges,
        campaign_id=campaign_id,
        population=Population(
            email="consumer",
            clients=(("openai-python", 0.5), ("anthropic-python", 0.3), ("httpx", 0.2)),
            volume_sigma=0.6,
            signup=Signup("burst", -5, 4, 0.0),
            network=Network("residential"),
        ),
        traffic=Traffic(
            capabilities=(("qa_pair", 1.0),),
            wrappers=(("*", "trace"),),
            coverage="systematic",
            conversation="single",
            max_tokens=((16000, 0.6), (32000, 0.4)),
            temperature=((0.6, 1.0),),
            per_account_noise=0.1,
            output_mean=1600,
            model=ModelUse(0.1, 0.2, 72, 96),
        ),
        timing=Timing("flat", session_mean=10, gap_s=20),
    )


@dataclass(frozen=True)
class Campaign:
    """A campaign: id, size and tactics (applied in order)."""

    campaign_id: str
    accounts: int
    exchanges: int
    tactics: tuple[Tactic, ...] = field(default=())

    def cohort(self) -> Cohort:
        c = base_campaign(self.campaign_id, self.accounts, self.exchanges)
        for t in self.tactics:
            c = t.apply(c)
        return replace(c, tactics=tuple(t.describe() for t in self.tactics))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Campaign:
        """Build from plain data: ``{"campaign_id", "accounts", "exchanges", "tactics": [{"name":
        ..., **params}]}``."""
        tactics = []
        for spec in d.get("tactics", []):
            params = dict(spec)
            name = params.pop("name")
            if name not in TACTICS:
                raise ConfigError(f"unknown tactic {name!r}; known: {sorted(TACTICS)}")
            params = {
                k: tuple(map(tuple, v))
                if isinstance(v, list) and v and isinstance(v[0], list)
                else tuple(v)
                if isinstance(v, list)
                else v
                for k, v in params.items()
            }
            tactics.append(TACTICS[name](**params))
        return cls(str(d["campaign_id"]), int(d["accounts"]), int(d["exchanges"]), tuple(tactics))

"""Plain-data description of a cohort of accounts: who they are (population), where they connect
from (network), when they send (timing) and what they send (traffic).

Personas and campaign tactics only build and modify these dataclasses; :mod:`.generate` turns one
:class:`Cohort` into rows. Everything is frozen, so a tactic returns a changed copy
(:func:`dataclasses.replace`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Weights = tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Signup:
    """When accounts were created, in days relative to the window start.

    ``old``: spread over ``spread_days`` before ``start_day`` (established customers);
    ``burst``: within ``spread_days`` after ``start_day`` (a sign-up burst);
    ``gradual``: uniform over ``spread_days`` after ``start_day``.
    ``new_share`` of an ``old`` population signs up during the window instead.
    """

    kind: Literal["old", "burst", "gradual"] = "old"
    start_day: float = 0.0
    spread_days: float = 700.0
    new_share: float = 0.05


@dataclass(frozen=True)
class Network:
    """Where requests come from.

    ``residential``: 1–3 home IPs per account on its country's ISPs; ``datacenter``: the customer's
    own cloud servers (IPs shared within an org); ``home_cloud``: home IPs, except that
    ``cloud_share`` of the accounts each run from one address of their own on a small cloud host
    (a VPS); ``nat``: everyone behind a small pool of NAT addresses; ``proxy_datacenter`` /
    ``proxy_residential``: a rented pool of ``pool_size`` exit addresses shared by all accounts,
    each account using ``sticky`` of them (0 = any, per request).
    ``roaming`` is the share of requests from a second, random network (VPN, mobile, travel).
    """

    kind: Literal[
        "residential", "datacenter", "home_cloud", "nat", "proxy_datacenter", "proxy_residential"
    ] = "residential"
    ips_per_account: float = 1.5
    pool_size: int = 0
    sticky: int = 0
    asns: tuple[int, ...] = ()
    pool_countries: tuple[str, ...] = ()
    roaming: float = 0.03
    cloud_share: float = 0.0


@dataclass(frozen=True)
class Timing:
    """When sessions start and how rows follow each other inside a session.

    ``diurnal``: working-hours curve in each account's local time, weekends scaled by ``weekend``;
    ``flat``: round the clock; ``nightly``: one run per day starting ``start_hour`` local,
    rows ``gap_s`` apart; ``lockstep``: sessions of all accounts start together in shared waves
    (``wave_share`` of the accounts per wave, ``jitter_s`` spread), the load-balanced pattern.
    """

    kind: Literal["diurnal", "flat", "nightly", "lockstep"] = "diurnal"
    peak_hour: float = 14.0
    weekend: float = 0.35
    start_hour: float = 1.0
    session_mean: float = 3.0
    gap_s: float = 90.0
    regular: bool = False
    wave_share: float = 0.5
    jitter_s: float = 20.0
    operator_tz: float | None = None


@dataclass(frozen=True)
class ModelUse:
    """Model choice: ``mini_share`` of frontier-2 traffic goes to the mini model; after the new
    model's release each account switches ``adopt_share`` of its traffic after ``lag_h`` plus an
    exponential delay with mean ``ramp_h`` hours."""

    mini_share: float = 0.3
    adopt_share: float = 0.3
    lag_h: float = 24.0
    ramp_h: float = 96.0


@dataclass(frozen=True)
class Population:
    """The accounts of a cohort and what stays fixed per account.

    ``orgs`` > 0 puts the accounts into that many organisations (heavy-tailed sizes);
    ``org_size`` = (lo, hi) instead groups consecutive accounts into organisations of lo..hi
    accounts each. ``email="blend"`` draws each account's origin from ``origins`` (``student``:
    an edu address at one of many universities, ``startup``: its own company domain,
    ``individual``: a consumer address). ``payment="groups"`` gives ``payment_share`` of the
    accounts cards shared by ``payment_group`` = (lo, hi) accounts each, the rest their own.
    ``active_from_day`` starts every account's traffic on that day of the window (within
    ``active_spread_h`` hours), whenever the account was created.
    """

    countries: Weights = ()
    email: Literal["consumer", "company", "edu", "campus", "mixed", "blend"] = "consumer"
    email_domains: int = 0
    company_share: float = 0.3
    origins: Weights = (("individual", 1.0),)
    orgs: int = 0
    org_size: tuple[int, int] = (0, 0)
    payment: Literal["own", "org", "shared", "groups", "none"] = "own"
    payments: int = 0
    payment_group: tuple[int, int] = (2, 4)
    payment_share: float = 0.0
    keys_per_account: float = 1.3
    clients: Weights = (("openai-python", 1.0),)
    volume_sigma: float = 1.2
    signup: Signup = field(default_factory=Signup)
    network: Network = field(default_factory=Network)
    lifetime_days: float = 0.0
    active_from_day: float | None = None
    active_spread_h: float = 18.0


@dataclass(frozen=True)
class Phase:
    """From ``at`` (a fraction of the window) on, ``share`` of the rows switch to another
    capability with another wrapper set (single turn, no tools)."""

    at: float = 0.5
    share: float = 0.4
    capability: str = "qa_pair"
    wrapper: str = "trace"


@dataclass(frozen=True)
class Traffic:
    """What rows look like: payload capability mix, wrappers, conversation shape, parameters.

    ``coverage``: ``popular`` (a few payloads often), ``uniform``, ``systematic`` (the stream's
    rows walk one shuffled payload list, so accounts get consecutive slices), ``grid`` (rows walk
    a shuffled grid of payload x environment x tool set, so no grid cell is used twice until the
    grid is exhausted; the environment and tool list are written into the prompt and the tool
    set fixes ``tool_count``) or ``sweep`` (every account walks the same payload list from its
    start, one payload per session, as benchmark harnesses do).
    ``shared_templates`` > 0: all accounts draw their wrapper from the same few variants.
    ``state_caps``: capabilities whose first turn carries a pasted project state (progress, file
    tree, decisions). ``tool_loop``: later turns of a conversation are tool results sent back,
    with the same tool definitions, and input tokens that grow with the history.
    """

    capabilities: Weights = (("chat", 1.0),)
    wrappers: tuple[tuple[str, str], ...] = (("*", "plain"),)
    templates_per_account: int = 0
    shared_templates: int = 0
    coverage: Literal["popular", "systematic", "uniform", "grid", "sweep"] = "popular"
    conversation: Literal["multi", "single", "none"] = "multi"
    fabricated_history: float = 0.0
    system: Literal[
        "none", "app", "agent", "generic", "mixed", "oss_agent", "harness", "harvest", "dataset"
    ] = "none"
    tools: tuple[int, int] = (0, 0)
    state_caps: tuple[str, ...] = ()
    tool_loop: bool = False
    phase: Phase | None = None
    max_tokens: tuple[tuple[int, float], ...] = ((1024, 0.5), (4096, 0.5))
    temperature: tuple[tuple[float, float], ...] = ((1.0, 0.6), (0.7, 0.4))
    per_account_noise: float = 0.3
    output_mean: float = 450.0
    error_rate: float = 0.01
    refusal_rate: float = 0.003
    model: ModelUse = field(default_factory=ModelUse)


@dataclass(frozen=True)
class Cohort:
    """A group of accounts generated together: a legitimate persona or one campaign."""

    name: str
    persona: str
    accounts: int
    exchanges: int
    population: Population
    traffic: Traffic
    timing: Timing
    campaign_id: str | None = None
    mix_share: float = 0.0
    mix_traffic: Traffic | None = None
    mix_timing: Timing | None = None
    tactics: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return "benign" if self.campaign_id is None else "attack"

"""Turn one :class:`~.spec.Cohort` into request rows, chunk by chunk, without a per-row loop.

A cohort has one or two *streams* of rows over the same accounts: its main traffic and, for a
traffic-mixing campaign, ordinary customers' traffic carried by the same accounts (labelled benign
per request). Every column is built with NumPy and ``pyarrow.compute`` over whole chunks; prompts
are ``prefix + payload + suffix`` joined with :func:`pyarrow.compute.binary_join_element_wise`.
Python loops only run over accounts, orgs, time zones or distinct capabilities.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.schema import REQUEST_LABELS_SCHEMA, REQUEST_SCHEMA
from distillguard.simulate import world
from distillguard.simulate.corpora import Pool
from distillguard.simulate.spec import Cohort, Network, Population, Timing, Traffic
from distillguard.simulate.text import (
    ENVIRONMENTS,
    SYSTEM_PROMPTS,
    TOOLSETS,
    grid_parts,
    state_parts,
    tool_results,
    wrapper_pool,
)

DAY = 86400.0
CHUNK_ROWS = 100_000
# DigitalOcean, Hetzner, OVH, Linode, Vultr: where individuals and small teams rent a server.
_SMALL_CLOUD_ASNS = (14061, 24940, 16276, 63949, 20473)

# Keys that make the different id kinds unrelated to each other (mixed with the seed).
_K_ACCT, _K_ORG, _K_PAY, _K_KEY, _K_CONV, _K_REQ = 11, 23, 37, 41, 53, 67


@dataclass(frozen=True)
class Window:
    """The simulated period and the release time of the new model (seconds from ``start``)."""

    start: datetime
    days: float
    release_s: float

    @property
    def seconds(self) -> float:
        return self.days * DAY

    @property
    def start_us(self) -> int:
        return int(self.start.timestamp() * 1_000_000)


def stable_key(*parts: object) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode())


def rng_for(seed: int, *parts: object) -> np.random.Generator:
    return np.random.default_rng([seed, stable_key(*parts)])


@dataclass
class Accounts:
    """Per-account arrays of one cohort (index 0..A-1) and its address pool."""

    gidx: np.ndarray  # global account index
    ids: pa.StringArray
    created_s: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    tz: np.ndarray
    org: pa.StringArray
    payment: pa.StringArray
    email: pa.StringArray
    keys: np.ndarray
    ua: np.ndarray  # primary user-agent variant index
    ua2: np.ndarray  # occasional secondary variant
    ip_off: np.ndarray
    ip_len: np.ndarray
    pool_ip: pa.StringArray
    pool_asn: pa.Int64Array
    pool_country: pa.StringArray
    roam_off: int
    roam_len: int
    base: np.ndarray  # per-account random integer (template choice, system prompt)

    def __len__(self) -> int:
        return len(self.gidx)


def _country_weights(pop: Population) -> tuple[np.ndarray, np.ndarray]:
    if not pop.countries:
        return np.arange(len(world.COUNTRIES)), np.array(world.DEVELOPER_MIX)
    idx: list[int] = []
    w: list[float] = []
    for code, weight in pop.countries:
        entries = world.country_index(code)
        idx += entries
        w += [weight / len(entries)] * len(entries)
    return np.array(idx), np.array(w)


def _choice(
    rng: np.random.Generator, values: np.ndarray, weights: np.ndarray, n: int
) -> np.ndarray:
    p = np.asarray(weights, float)
    return values[rng.choice(len(values), size=n, p=p / p.sum())]


def _signup(c: Cohort, rng: np.random.Generator, window: Window) -> np.ndarray:
    s = c.population.signup
    a = c.accounts
    if s.kind == "old":
        created = (s.start_day - rng.random(a) * s.spread_days) * DAY
        new = rng.random(a) < s.new_share
        created[new] = rng.random(int(new.sum())) * max(window.days - 1.0, 0.5) * DAY
    elif s.kind == "burst":
        created = (s.start_day + rng.beta(1.2, 3.0, a) * s.spread_days) * DAY
    else:
        created = (s.start_day + rng.random(a) * s.spread_days) * DAY
    return np.minimum(created, window.seconds - DAY / 2)


def _network(
    net: Network,
    rng: np.random.Generator,
    country: np.ndarray,
    org_of: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str], int]:
    """Address pool (asn, country code per entry) and each account's slice of it."""
    a = len(country)
    asns: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    off = np.zeros(a, np.int64)
    ln = np.ones(a, np.int64)
    dc = np.array(net.asns or [x for x, _ in world.DATACENTER_ASNS], np.int64)
    if net.kind in ("residential", "home_cloud"):
        ln = 1 + rng.poisson(max(net.ips_per_account - 1.0, 0.0), a)
        cloud = np.zeros(a, bool)
        if net.kind == "home_cloud":
            cloud = rng.random(a) < net.cloud_share
            ln = np.where(cloud, 1, ln)
        off = np.concatenate([[0], np.cumsum(ln)[:-1]])
        ctry = np.repeat(country, ln)
        res = [world.COUNTRIES[int(i)].residential_asns for i in ctry]
        home = np.array(
            [r[int(k) % len(r)] for r, k in zip(res, rng.integers(0, 97, len(ctry)), strict=True)]
        )
        if net.kind == "home_cloud":
            # One VPS address each, on the small clouds individuals rent (not the hyperscalers).
            small = np.array(net.asns or _SMALL_CLOUD_ASNS, np.int64)
            vps = np.repeat(small[rng.integers(0, len(small), a)], ln)
            home = np.where(np.repeat(cloud, ln), vps, home)
        asns.append(home)
        codes.append(ctry)
    elif net.kind == "datacenter":
        orgs, first = np.unique(org_of, return_index=True)
        per_org = 1 + rng.poisson(max(net.ips_per_account - 1.0, 0.0), len(orgs))
        org_off = np.concatenate([[0], np.cumsum(per_org)[:-1]])
        org_asn = dc[rng.integers(0, len(dc), len(orgs))]
        asns.append(np.repeat(org_asn, per_org))
        codes.append(np.repeat(country[first], per_org))
        pos = np.searchsorted(orgs, org_of)
        off, ln = org_off[pos], per_org[pos]
    else:
        size = max(net.pool_size, 1)
        if net.kind == "nat":
            pool_asn = np.full(size, net.asns[0] if net.asns else world.RESEARCH_ASNS[0])
            pool_ctry = np.full(size, country[0])
        elif net.kind == "proxy_datacenter":
            pool_asn = dc[rng.integers(0, len(dc), size)]
            pc_idx = np.array(world.country_index(*(net.pool_countries or ("US", "SG", "DE"))))
            pool_ctry = pc_idx[rng.integers(0, len(pc_idx), size)]
        else:  # proxy_residential: many ISPs across many countries
            pc_idx = np.array(world.country_index(*(net.pool_countries or world.COUNTRY_CODES)))
            pool_ctry = pc_idx[rng.integers(0, len(pc_idx), size)]
            res = [world.COUNTRIES[int(i)].residential_asns for i in pool_ctry]
            pool_asn = np.array(
                [r[int(k) % len(r)] for r, k in zip(res, rng.integers(0, 97, size), strict=True)]
            )
        asns.append(pool_asn.astype(np.int64))
        codes.append(pool_ctry)
        if net.sticky > 0 and net.sticky < size:
            off = rng.integers(0, size - net.sticky + 1, a)
            ln = np.full(a, net.sticky)
        else:
            ln = np.full(a, size)
    main_len = int(sum(len(x) for x in asns))
    # Roaming: a shared pool of VPN egress (Cloudflare WARP) and mobile carrier addresses.
    roam = 128
    rc = rng.integers(0, len(world.COUNTRIES), roam)
    res = [world.COUNTRIES[int(i)].residential_asns for i in rc]
    ra = np.array([r[0] for r in res], np.int64)
    ra[: roam // 2] = 13335
    asns.append(ra)
    codes.append(rc)
    all_asn = np.concatenate(asns).astype(np.int64)
    all_codes = [world.COUNTRIES[int(i)].code for i in np.concatenate(codes)]
    return all_asn, off, ln, all_codes, main_len


def _groups(rng: np.random.Generator, n: int, lo: int, hi: int) -> np.ndarray:
    """Group index of each of ``n`` consecutive items, groups of ``lo..hi`` items (the last
    group may be smaller)."""
    lo, hi = max(lo, 1), max(hi, lo, 1)
    sizes = rng.integers(lo, hi + 1, n // lo + 1)
    return np.repeat(np.arange(len(sizes)), sizes)[:n]


def _card_groups(
    rng: np.random.Generator, gidx: np.ndarray, share: float, size: tuple[int, int]
) -> np.ndarray:
    """Payment owner per account: ``share`` of the accounts (chosen at random) share a card in
    groups of ``size`` = (lo, hi) accounts; everyone else pays with their own."""
    a = len(gidx)
    owner = gidx.copy()
    lo, hi = max(size[0], 2), max(size[1], size[0], 2)
    sizes = rng.integers(lo, hi + 1, a // lo + 1)
    fits = np.cumsum(sizes) <= round(share * a)
    sizes = sizes[fits]
    members = rng.permutation(a)[: int(sizes.sum())]
    group = np.repeat(np.arange(len(sizes)), sizes)
    first = members[np.concatenate([[0], np.cumsum(sizes)[:-1]])] if len(sizes) else members
    owner[members] = gidx[first[group]]
    return owner


def _blend_emails(rng: np.random.Generator, pop: Population, consumer: np.ndarray) -> list[str]:
    """Each account's e-mail domain from its origin: students at many universities, small
    startups with their own domain, individuals with consumer mail."""
    a = len(consumer)
    names = np.array([n for n, _ in pop.origins], object)
    origin = _choice(rng, names, np.array([w for _, w in pop.origins]), a)
    edu = world.edu_domains(rng, max(pop.email_domains, a // 6, 1))
    company = world.company_domains(rng, a)
    picks = rng.integers(0, len(edu), a)
    return [
        edu[picks[i]] if o == "student" else company[i] if o == "startup" else str(consumer[i])
        for i, o in enumerate(origin)
    ]


def build_accounts(c: Cohort, seed: int, window: Window, account_offset: int) -> Accounts:
    """Everything fixed per account: identity, sign-up, billing, client, network slice."""
    rng = rng_for(seed, c.name, "accounts")
    pop = c.population
    a = c.accounts
    gidx = np.arange(account_offset, account_offset + a, dtype=np.uint64)
    cidx, cw = _country_weights(pop)
    country = _choice(rng, cidx, cw, a)
    tz = np.array([world.COUNTRIES[int(i)].utc_offset for i in country], float)
    if c.timing.operator_tz is not None:
        tz[:] = c.timing.operator_tz
    created = _signup(c, rng, window)
    lo = np.clip(created + rng.random(a) * 6 * 3600, 0, window.seconds - 3600)
    hi = np.full(a, window.seconds)
    if pop.lifetime_days > 0:
        life = pop.lifetime_days * DAY * (0.5 + rng.random(a))
        hi = np.minimum(hi, lo + life)
    hi = np.maximum(hi, lo + 3600)

    n_orgs = a if pop.orgs <= 0 else min(pop.orgs, a)
    org_local = np.arange(a) if pop.orgs <= 0 else np.sort(rng.zipf(1.6, a) - 1) % n_orgs
    # Features added later draw from their own stream, so older cohorts stay byte-identical.
    rng2 = rng_for(seed, c.name, "accounts2")
    if pop.org_size[1] > 0:
        org_local = _groups(rng2, a, *pop.org_size)
        n_orgs = int(org_local.max()) + 1 if a else 0
    org_g = (account_offset + org_local).astype(np.uint64)
    key = stable_key(seed)
    org_ids = world.encode_ids("org_", world.mix64(org_g, key + _K_ORG))
    if pop.payment == "none":
        payment = pa.nulls(a, pa.string())
    else:
        if pop.payment == "own":
            pay_g = gidx
        elif pop.payment == "org":
            pay_g = org_g
        elif pop.payment == "groups":
            pay_g = _card_groups(rng2, gidx, pop.payment_share, pop.payment_group)
        else:
            k = max(1, min(pop.payments, a))
            pay_g = (account_offset + rng.integers(0, k, a)).astype(np.uint64)
        payment = world.encode_ids("pm_", world.mix64(pay_g, key + _K_PAY))

    cons = [d for d, _ in world.CONSUMER_DOMAINS]
    cons_w = np.array([w for _, w in world.CONSUMER_DOMAINS])
    consumer = _choice(rng, np.array(cons, object), cons_w, a)
    if pop.email == "consumer":
        email = list(consumer)
    elif pop.email == "campus":
        email = world.edu_domains(rng, 1) * a
    elif pop.email == "edu":
        doms = world.edu_domains(rng, max(pop.email_domains, 1))
        email = [doms[i] for i in rng.integers(0, len(doms), a)]
    elif pop.email == "blend":
        email = _blend_emails(rng2, pop, consumer)
    else:
        org_dom = world.company_domains(rng, n_orgs)
        share = 1.0 if pop.email == "company" else pop.company_share
        uses = rng.random(n_orgs) < share
        email = [org_dom[o] if uses[o] else consumer[i] for i, o in enumerate(org_local)]

    names = np.array([n for n, _ in pop.clients], object)
    weights = np.array([w for _, w in pop.clients])
    spans = {n: world.CLIENT_SPAN[n] for n in names}

    def variant(picks: np.ndarray) -> np.ndarray:
        start = np.array([spans[p][0] for p in picks])
        size = np.array([spans[p][1] for p in picks])
        return np.asarray(start + rng.integers(0, 1 << 20, len(picks)) % size)

    ua = variant(_choice(rng, names, weights, a))
    ua2 = variant(_choice(rng, names, weights, a))

    asn, ip_off, ip_len, codes, main_len = _network(pop.network, rng, country, org_local)
    pool_ip = world.make_ips(rng, asn)
    if pop.active_from_day is not None:
        day0 = pop.active_from_day * DAY + rng2.random(a) * pop.active_spread_h * 3600
        lo = np.clip(np.maximum(lo, day0), 0, window.seconds - 3600)
        hi = np.maximum(hi, lo + 3600)
    return Accounts(
        gidx=gidx,
        ids=world.encode_ids("acct_", world.mix64(gidx, key + _K_ACCT)),
        created_s=created,
        lo=lo,
        hi=hi,
        tz=tz,
        org=org_ids,
        payment=payment,
        email=pa.array(email, pa.string()),
        keys=1 + rng.poisson(max(pop.keys_per_account - 1.0, 0.0), a),
        ua=ua,
        ua2=ua2,
        ip_off=ip_off,
        ip_len=ip_len,
        pool_ip=pool_ip,
        pool_asn=pa.array(asn, pa.int64()),
        pool_country=pa.array(codes, pa.string()),
        roam_off=main_len,
        roam_len=len(asn) - main_len,
        base=rng.integers(0, 1 << 30, a),
    )


def allocate(c: Cohort, seed: int, acc: Accounts) -> tuple[np.ndarray, np.ndarray]:
    """Rows per account: heavy-tailed (log-normal) and proportional to the active time.

    Returns (main rows, mixed-in benign rows) per account; every account sends at least one.
    """
    rng = rng_for(seed, c.name, "volume")
    a = len(acc)
    total = max(c.exchanges, a)
    span = (acc.hi - acc.lo) / DAY
    w = rng.lognormal(0.0, c.population.volume_sigma, a) * np.maximum(span, 0.05)
    n = 1 + rng.multinomial(total - a, w / w.sum())
    mix = rng.binomial(n, c.mix_share) if c.mix_share > 0 else np.zeros(a, np.int64)
    mix = np.minimum(mix, n - 1)
    return (n - mix).astype(np.int64), mix.astype(np.int64)


def _diurnal(t: Timing) -> np.ndarray:
    h = np.arange(24, dtype=float)
    if t.kind == "flat":
        return 0.8 + 0.2 * np.cos((h - t.peak_hour) / 24 * 2 * np.pi)
    d = np.minimum(np.abs(h - t.peak_hour), 24 - np.abs(h - t.peak_hour))
    curve = 0.04 + np.exp(-0.5 * (d / 3.2) ** 2)
    d2 = np.minimum(np.abs(h - t.peak_hour + 4), 24 - np.abs(h - t.peak_hour + 4))
    return np.asarray(curve + 0.5 * np.exp(-0.5 * (d2 / 2.0) ** 2))


def _hour_cdf(t: Timing, window: Window, tz: float) -> np.ndarray:
    hours = int(np.ceil(window.days * 24))
    utc_h = np.arange(hours)
    local = utc_h + tz
    w = _diurnal(t)[np.floor(local).astype(np.int64) % 24]
    dow = (window.start.weekday() + np.floor(local / 24).astype(np.int64)) % 7
    if t.kind != "flat":
        w = w * np.where(dow >= 5, t.weekend, 1.0)
    return np.concatenate([[0.0], np.cumsum(w)])


@dataclass(frozen=True)
class Stream:
    """One kind of traffic of a cohort: rows ``row_offset ..`` (global numbering)."""

    traffic: Traffic
    timing: Timing
    counts: np.ndarray
    row_offset: int
    label: str
    campaign_id: str | None
    key: str


class _Content:
    """Per-stream lookup tables: payload pool and wrapper pools, concatenated per capability."""

    def __init__(self, t: Traffic, pools: dict[str, Pool], obfuscated: bool, seed: int) -> None:
        self.caps = [c for c, _ in t.capabilities]
        w = np.array([x for _, x in t.capabilities], float)
        self.cap_p = w / w.sum()
        wmap = dict(t.wrappers)
        texts: list[pa.Array] = []
        tools: list[np.ndarray] = []
        pre: list[pa.Array] = []
        suf: list[pa.Array] = []
        self.p_off, self.p_len, self.w_off, self.w_len, self.s_off, self.s_len = (
            np.zeros(len(self.caps), np.int64) for _ in range(6)
        )
        po = wo = so = 0
        for i, cap in enumerate(self.caps):
            pool = pools[cap]
            texts.append(pool.text)
            tools.append(pool.tools)
            self.p_off[i], self.p_len[i] = po, len(pool)
            po += len(pool)
            wp = wrapper_pool(
                wmap.get(cap, wmap.get("*", "plain")), obfuscated=obfuscated, seed=seed
            )
            pre.append(wp.prefix)
            suf.append(wp.suffix)
            self.w_off[i], self.w_len[i] = wo, len(wp.prefix)
            self.s_off[i], self.s_len[i] = so, len(wp.suffix)
            wo += len(wp.prefix)
            so += len(wp.suffix)
        self.payload = pa.concat_arrays(texts)
        self.tools = np.concatenate(tools)
        self.prefix = pa.concat_arrays(pre)
        self.suffix = pa.concat_arrays(suf)
        rng = np.random.default_rng([seed, 7])
        self.perm = np.concatenate(
            [self.p_off[i] + rng.permutation(self.p_len[i]) for i in range(len(self.caps))]
        )


def _pick(rng: np.random.Generator, choices: tuple[tuple[float, float], ...], n: int) -> np.ndarray:
    vals = np.array([v for v, _ in choices], float)
    w = np.array([x for _, x in choices], float)
    return vals[rng.choice(len(vals), size=n, p=w / w.sum())]


class StreamGenerator:
    """Generates the rows of one stream in chunks of at most :data:`CHUNK_ROWS`."""

    def __init__(
        self,
        c: Cohort,
        s: Stream,
        acc: Accounts,
        window: Window,
        pools: dict[str, Pool],
        seed: int,
        obfuscated: bool,
    ) -> None:
        self.c, self.s, self.acc, self.window, self.seed = c, s, acc, window, seed
        self.key = stable_key(seed)
        self.content = _Content(s.traffic, pools, obfuscated, stable_key(seed, c.name))
        self.starts = np.concatenate([[0], np.cumsum(s.counts)])
        self.total = int(self.starts[-1])
        rng = rng_for(seed, c.name, s.key, "prefs")
        a = len(acc)
        t = s.traffic
        self.pref_max = _pick(rng, tuple((float(v), w) for v, w in t.max_tokens), a)
        self.pref_temp = _pick(rng, t.temperature, a)
        m = t.model
        self.switch_s = (
            window.release_s + (m.lag_h + rng.exponential(max(m.ramp_h, 1e-3), a)) * 3600
        )
        self.adopt = np.clip(rng.normal(m.adopt_share, 0.12, a), 0.0, 1.0)
        self.cdf: dict[float, np.ndarray] = {}
        self._agentic_setup(pools, obfuscated)
        tm = s.timing
        if tm.kind == "lockstep":
            sessions = max(self.total / max(tm.session_mean, 1.0), 1.0)
            per_acc = sessions / max(a, 1)
            n_waves = max(4, round(per_acc / max(tm.wave_share, 1e-3)))
            lo = float(acc.lo.min())
            cdf = self._cdf(tm.operator_tz if tm.operator_tz is not None else 0.0)
            u = np.sort(rng.random(n_waves))
            span = cdf[-1] - cdf[int(lo // 3600)]
            h = np.searchsorted(cdf, cdf[int(lo // 3600)] + u * span, side="right") - 1
            self.waves = np.sort(h * 3600.0 + rng.random(n_waves) * 3600.0)

    def _agentic_setup(self, pools: dict[str, Pool], obfuscated: bool) -> None:
        """Lookup tables for the task grid, pasted states, tool loops, sweeps and phase shifts."""
        t, ct = self.s.traffic, self.content
        # The switch only ever changes campaign traffic: legitimate rows look the same either way.
        obfuscated = obfuscated and self.s.label == "attack"
        grng = np.random.default_rng([stable_key(self.seed, self.c.name), 13])
        self.n_env, self.n_tools = len(ENVIRONMENTS), len(TOOLSETS)
        if t.coverage == "grid":
            self.env_lines, self.tool_lines, self.tool_sizes = grid_parts(obfuscated)
            # A task text listed under two capabilities (tau2 is agentic and long-horizon) gets
            # grid cells under the first only, so no cell can come up twice.
            seen: set[str] = set()
            keep: list[np.ndarray] = []
            for i, cap in enumerate(ct.caps):
                fresh: list[int] = []
                for k, text in enumerate(pools[cap].text.to_pylist()):
                    if text not in seen:
                        seen.add(text)
                        fresh.append(k)
                keep.append(ct.p_off[i] + np.array(fresh or [0], np.int64))
            self.g_payload = np.concatenate(keep)
            self.g_poff = np.concatenate([[0], np.cumsum([len(k) for k in keep])[:-1]])
            cells = np.array([len(k) for k in keep], np.int64) * self.n_env * self.n_tools
            self.g_off = np.concatenate([[0], np.cumsum(cells)[:-1]])
            self.g_len = cells
            self.g_perm = np.concatenate([grng.permutation(int(g)) for g in cells])
        self.state_cap = np.array([cap in t.state_caps for cap in ct.caps], bool)
        if self.state_cap.any():
            self.state = state_parts(obfuscated)
        self.sess_seen = np.zeros(len(self.acc), np.int64)
        self.phase: _Content | None = None
        if t.phase is not None:
            ph = t.phase
            self.phase = _Content(
                Traffic(
                    capabilities=((ph.capability, 1.0),), wrappers=((ph.capability, ph.wrapper),)
                ),
                pools,
                obfuscated,
                stable_key(self.seed, self.c.name, "phase"),
            )

    def _state(
        self, rng: np.random.Generator, a: np.ndarray, rank: np.ndarray, mask: np.ndarray
    ) -> pa.Array:
        """A pasted project state for the rows in ``mask`` (empty elsewhere): each account works
        on its own project (file tree, decisions) and its step number advances with its rows."""
        heads, done, trees, decisions = self.state
        base = self.acc.base[a]
        total = 12 + base % 30
        step = 1 + rank % total
        text = pc.binary_join_element_wise(
            heads.take(pa.array(rng.integers(0, len(heads), len(a)))),
            pa.scalar("Progress: step "),
            pc.cast(pa.array(step), pa.string()),
            pa.scalar(" of "),
            pc.cast(pa.array(total), pa.string()),
            done.take(pa.array(rank % len(done))),
            trees.take(pa.array((base // 7) % len(trees))),
            decisions.take(pa.array((base // 11) % len(decisions))),
            "",
        )
        return pc.if_else(pa.array(mask), text, pa.scalar("", pa.string()))

    def _phase(
        self,
        rng: np.random.Generator,
        ts: np.ndarray,
        r0: int,
        prompt: pa.Array,
        tools: np.ndarray,
        at: float,
        share: float,
    ) -> tuple[pa.Array, np.ndarray]:
        """From ``at`` of the window on, ``share`` of the rows become the phase's requests."""
        ph = self.phase
        assert ph is not None
        m = (ts >= at * self.window.seconds) & (rng.random(len(ts)) < share)
        idx = np.flatnonzero(m)
        if not len(idx):
            return prompt, tools
        j = ph.perm[(self.s.row_offset + r0 + idx) % ph.p_len[0]]
        pi = rng.integers(0, 1 << 30, len(idx)) % ph.w_len[0]
        si = rng.integers(0, 1 << 30, len(idx)) % ph.s_len[0]
        text = pc.binary_join_element_wise(
            ph.prefix.take(pa.array(pi)),
            ph.payload.take(pa.array(j)),
            ph.suffix.take(pa.array(si)),
            "",
        )
        tools = tools.copy()
        tools[idx] = 0
        return pc.replace_with_mask(prompt, pa.array(m), text), tools

    def _cdf(self, tz: float) -> np.ndarray:
        if tz not in self.cdf:
            self.cdf[tz] = _hour_cdf(self.s.timing, self.window, tz)
        return self.cdf[tz]

    def chunks(self) -> Iterator[tuple[pa.Table, pa.Table]]:
        for k, r0 in enumerate(range(0, self.total, CHUNK_ROWS)):
            yield self._chunk(k, r0, min(r0 + CHUNK_ROWS, self.total))

    def _session_starts(self, rng: np.random.Generator, sacc: np.ndarray, n: int) -> np.ndarray:
        acc, tm = self.acc, self.s.timing
        lo, hi = acc.lo[sacc], acc.hi[sacc]
        out = np.empty(n)
        if tm.kind == "lockstep":
            w = self.waves
            i0 = np.searchsorted(w, lo)
            i1 = np.searchsorted(w, hi)
            has = i1 > i0
            pick = i0 + np.floor(rng.random(n) * np.maximum(i1 - i0, 1)).astype(np.int64)
            pick = np.minimum(pick, len(w) - 1)
            out = np.where(
                has, w[pick] + np.abs(rng.normal(0, tm.jitter_s, n)), lo + rng.random(n) * (hi - lo)
            )
            return np.asarray(out)
        u = rng.random(n)
        frac = rng.random(n)
        for tz in np.unique(acc.tz[sacc]):
            sel = acc.tz[sacc] == tz
            cdf = self._cdf(float(tz))
            h_lo = np.clip(lo[sel] / 3600, 0, len(cdf) - 1)
            h_hi = np.clip(hi[sel] / 3600, 0, len(cdf) - 1)
            c_lo = np.interp(h_lo, np.arange(len(cdf)), cdf)
            c_hi = np.interp(h_hi, np.arange(len(cdf)), cdf)
            target = c_lo + u[sel] * (c_hi - c_lo)
            h = np.searchsorted(cdf, target, side="right") - 1
            out[sel] = (h + frac[sel]) * 3600.0
        return np.clip(out, lo, hi)

    def _chunk(self, k: int, r0: int, r1: int) -> tuple[pa.Table, pa.Table]:
        c, s, acc, t, tm = self.c, self.s, self.acc, self.s.traffic, self.s.timing
        rng = rng_for(self.seed, c.name, s.key, "chunk", k)
        n = r1 - r0
        rows = np.arange(r0, r1)
        a = np.searchsorted(self.starts, rows, side="right") - 1
        rank = rows - self.starts[a]
        first = np.ones(n, bool)
        first[1:] = a[1:] != a[:-1]

        # Sessions: geometric sizes (or one run per day for nightly batch jobs).
        if tm.kind == "nightly":
            days = np.maximum(np.ceil((acc.hi[a] - acc.lo[a]) / DAY), 1)
            day = np.floor(rank * days / s.counts[a])
            flag = first.copy()
            flag[1:] |= day[1:] != day[:-1]
        else:
            flag = first | (rng.random(n) < 1.0 / max(tm.session_mean, 1.0))
        sid = np.cumsum(flag) - 1
        s_first = np.flatnonzero(flag)
        pos = np.arange(n) - s_first[sid]
        sacc = a[s_first]
        n_s = len(s_first)
        if tm.kind == "nightly":
            d0 = np.floor(acc.lo[sacc] / DAY) + day[s_first]
            h = world.mix64(acc.gidx[sacc] * np.uint64(4096) + d0.astype(np.uint64), self.key)
            jitter = (h % np.uint64(1800)).astype(float)
            start = d0 * DAY + ((tm.start_hour - acc.tz[sacc]) % 24) * 3600 + jitter
        else:
            start = self._session_starts(rng, sacc, n_s)
        rng2 = rng_for(self.seed, c.name, s.key, "chunk2", k)
        if c.population.active_from_day is not None:
            # Woken together: every account's first session opens within hours of its start.
            opening = rank[s_first] == 0
            wake = acc.lo[sacc] + rng2.exponential(2 * 3600.0, n_s)
            start = np.where(opening, np.minimum(wake, acc.hi[sacc] - 60), start)
        if tm.regular:
            gap = tm.gap_s * (1 + 0.03 * rng.standard_normal(n))
        else:
            gap = rng.exponential(tm.gap_s, n)
        gap[flag] = 0.0
        cum = np.cumsum(gap)
        offset = cum - cum[s_first][sid]
        ts = start[sid] + offset
        ts = np.where(ts >= self.window.seconds, self.window.seconds - rng.random(n) * 1800, ts)
        ts = np.maximum(ts, 0.0)

        # Content.
        ct = self.content
        multi = t.conversation == "multi"
        cap = rng.choice(len(ct.caps), size=n_s if multi else n, p=ct.cap_p)
        if multi:
            cap = cap[sid]
        u = rng.random(n)
        if t.coverage == "popular":
            j = ct.p_off[cap] + np.floor(ct.p_len[cap] * u**2.5).astype(np.int64)
        elif t.coverage == "systematic":
            j = ct.perm[ct.p_off[cap] + (s.row_offset + rows) % ct.p_len[cap]]
        elif t.coverage == "grid":
            # Each row takes the next unused cell of a shuffled payload x environment x tool-set
            # grid; an account's rows are consecutive, so accounts get disjoint slices.
            cell = self.g_perm[self.g_off[cap] + (s.row_offset + rows) % self.g_len[cap]]
            per_payload = self.n_env * self.n_tools
            j = self.g_payload[self.g_poff[cap] + cell // per_payload]
            env_i = (cell // self.n_tools) % self.n_env
            tool_i = cell % self.n_tools
        elif t.coverage == "sweep":
            # Every account walks the same task list in order, one task per session.
            new_acc = np.ones(n_s, bool)
            new_acc[1:] = sacc[1:] != sacc[:-1]
            first_s = np.flatnonzero(new_acc)
            ordinal = np.arange(n_s) - first_s[np.cumsum(new_acc) - 1] + self.sess_seen[sacc]
            self.sess_seen += np.bincount(sacc, minlength=len(acc))
            j = ct.p_off[cap] + ordinal[sid] % ct.p_len[cap]
        else:
            j = ct.p_off[cap] + np.floor(ct.p_len[cap] * u).astype(np.int64)
        if t.templates_per_account > 0:
            tk = acc.base[a] + rng.integers(0, t.templates_per_account, n)
        else:
            tk = rng.integers(0, 1 << 30, n)
        if t.shared_templates > 0:
            # The whole cohort shares the same few wrapper variants.
            tk = stable_key(self.seed, c.name, "templates") + tk % t.shared_templates
        pi = ct.w_off[cap] + tk % ct.w_len[cap]
        si = ct.s_off[cap] + rng.integers(0, 1 << 30, n) % ct.s_len[cap]
        parts = [ct.prefix.take(pa.array(pi))]
        pos0 = pos == 0 if multi else np.ones(n, bool)
        if self.state_cap.any():
            parts.append(self._state(rng2, a, rank, self.state_cap[cap] & pos0))
        if t.coverage == "grid":
            lab = rng2.integers(0, len(self.env_lines) // self.n_env, n)
            parts.append(self.env_lines.take(pa.array(lab * self.n_env + env_i)))
            parts.append(self.tool_lines.take(pa.array(lab * self.n_tools + tool_i)))
        parts += [ct.payload.take(pa.array(j)), ct.suffix.take(pa.array(si))]
        prompt = pc.binary_join_element_wise(*parts, "")

        tools = ct.tools[j]
        if t.tools[1] > 0:
            drawn = rng.integers(t.tools[0], t.tools[1] + 1, n_s)[sid]
            tools = np.maximum(tools, drawn)
        if t.coverage == "grid":
            tools = self.tool_sizes[tool_i]
        if t.tool_loop and multi:
            # Later turns send tool output back, under the same tool definitions.
            tools = tools[s_first][sid]
            res = tool_results()
            later = pa.array(~pos0)
            prompt = pc.if_else(later, res.take(pa.array(rng2.integers(0, len(res), n))), prompt)
        if self.phase is not None and t.phase is not None:
            prompt, tools = self._phase(rng2, ts, r0, prompt, tools, t.phase.at, t.phase.share)

        gid = s.row_offset + rows
        if t.conversation == "multi":
            conv = world.encode_ids(
                "conv_", world.mix64(gid[s_first][sid].astype(np.uint64), self.key + _K_CONV)
            )
            turn = pos.astype(np.int64)
        elif t.conversation == "single":
            conv = world.encode_ids("conv_", world.mix64(gid.astype(np.uint64), self.key + _K_CONV))
            turn = np.where(rng.random(n) < t.fabricated_history, rng.integers(1, 9, n), 0)
        else:
            conv = pa.nulls(n, pa.string())
            turn = None

        if t.system == "none":
            system = pa.nulls(n, pa.string())
        else:
            kind = "app" if t.system == "mixed" else t.system
            sp = pa.array(SYSTEM_PROMPTS[kind], pa.string())
            system = sp.take(pa.array(acc.base[a] % len(sp)))
            if t.system == "mixed":
                system = pc.if_else(
                    pa.array(rng.random(n) < 0.5), system, pa.scalar(None, pa.string())
                )

        noise = t.per_account_noise
        own = rng.random(n) >= noise
        max_tokens = np.where(
            own, self.pref_max[a], _pick(rng, tuple((float(v), w) for v, w in t.max_tokens), n)
        ).astype(np.int64)
        temp = np.where(rng.random(n) >= noise, self.pref_temp[a], _pick(rng, t.temperature, n))

        m = t.model
        new = (ts >= self.switch_s[a]) & (rng.random(n) < self.adopt[a])
        mini = rng.random(n) < m.mini_share
        model_idx = np.where(new, 2, np.where(mini, 1, 0))
        models = pa.array(world.MODELS, pa.string()).take(pa.array(model_idx))

        plen = pc.utf8_length(prompt).to_numpy(zero_copy_only=False)
        slen = pc.utf8_length(system).fill_null(0).to_numpy(zero_copy_only=False)
        hist = (0 if turn is None else turn) * rng.integers(150, 900, n)
        input_tokens = np.ceil((plen + slen) / 3.6).astype(np.int64) + hist + tools * 110
        out = rng.lognormal(np.log(max(t.output_mean, 1.0)), 0.6, n)
        output_tokens = np.minimum(out, max_tokens).astype(np.int64)
        r = rng.random(n)
        status_idx = np.where(
            r < t.error_rate, 1, np.where(r < t.error_rate + t.refusal_rate, 2, 0)
        )
        output_tokens = np.where(status_idx == 1, 0, output_tokens)
        if t.tool_loop and multi:
            # The whole history is re-sent each turn: every earlier message and reply counts.
            turn_cost = np.ceil(plen / 3.6).astype(np.int64) + output_tokens
            cs = np.cumsum(turn_cost) - turn_cost
            history = cs - cs[s_first][sid]
            input_tokens = np.ceil((plen + slen) / 3.6).astype(np.int64) + tools * 110 + history
        status = pa.array(["ok", "error", "refused"], pa.string()).take(pa.array(status_idx))

        pool_i = acc.ip_off[a] + np.floor(rng.random(n) * acc.ip_len[a]).astype(np.int64)
        roam = rng.random(n) < c.population.network.roaming
        pool_i = np.where(roam, acc.roam_off + rng.integers(0, acc.roam_len, n), pool_i)
        ua_i = np.where(rng.random(n) < 0.04, acc.ua2[a], acc.ua[a])
        key_i = acc.gidx[a] * np.uint64(8) + (rng.integers(0, 1 << 20, n) % acc.keys[a]).astype(
            np.uint64
        )

        ai = pa.array(a)
        ts_us = self.window.start_us + (ts * 1e6).astype(np.int64)
        req = world.encode_ids("req_", world.mix64(gid.astype(np.uint64), self.key + _K_REQ))
        cols: dict[str, pa.Array] = {
            "request_id": req,
            "timestamp": pa.array(ts_us, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "account_id": acc.ids.take(ai),
            "org_id": acc.org.take(ai),
            "api_key_id": world.encode_ids("key_", world.mix64(key_i, self.key + _K_KEY)),
            "ip": acc.pool_ip.take(pa.array(pool_i)),
            "asn": acc.pool_asn.take(pa.array(pool_i)),
            "country": acc.pool_country.take(pa.array(pool_i)),
            "user_agent": world.UA_VARIANTS.take(pa.array(ua_i)),
            "tls_fingerprint": world.TLS_VARIANTS.take(pa.array(ua_i)),
            "payment_fingerprint": acc.payment.take(ai),
            "account_created_at": pa.array(
                self.window.start_us + (acc.created_s[a] * 1e6).astype(np.int64), pa.int64()
            ).cast(pa.timestamp("us", tz="UTC")),
            "email_domain": acc.email.take(ai),
            "model": models,
            "conversation_id": conv,
            "turn_index": pa.nulls(n, pa.int64()) if turn is None else pa.array(turn, pa.int64()),
            "system_prompt": system,
            "prompt": prompt,
            "tool_count": pa.array(tools, pa.int64()),
            "max_tokens": pa.array(max_tokens, pa.int64()),
            "temperature": pa.array(temp, pa.float64(), mask=np.isnan(temp)),
            "input_tokens": pa.array(input_tokens, pa.int64()),
            "output_tokens": pa.array(output_tokens, pa.int64()),
            "response": pa.nulls(n, pa.string()),
            "status": status,
        }
        table = pa.Table.from_arrays([cols[f.name] for f in REQUEST_SCHEMA], schema=REQUEST_SCHEMA)
        labels = pa.Table.from_arrays(
            [
                req,
                pa.array(np.full(n, s.label, object), pa.string()),
                pa.nulls(n, pa.string())
                if s.campaign_id is None
                else pa.array(np.full(n, s.campaign_id, object), pa.string()),
            ],
            schema=REQUEST_LABELS_SCHEMA,
        )
        return table, labels


def streams(c: Cohort, main: np.ndarray, mix: np.ndarray, row_offset: int) -> list[Stream]:
    """The main stream (labelled by the cohort) and, if any, the mixed-in benign stream."""
    out = [Stream(c.traffic, c.timing, main, row_offset, c.label, c.campaign_id, "main")]
    if c.mix_traffic is not None and int(mix.sum()) > 0:
        out.append(
            Stream(
                c.mix_traffic,
                c.mix_timing or c.timing,
                mix,
                row_offset + int(main.sum()),
                "benign",
                None,
                "mix",
            )
        )
    return out

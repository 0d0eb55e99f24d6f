"""Who sends traffic and when: legitimate populations (with hard negatives) and campaigns.

Each population function registers its accounts, decides request times (and conversations),
and emits parts. ``POPULATIONS`` is the one table of built-ins; each entry gets its own seeded
random stream, so adding or resizing one population does not reshuffle the others.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from benchmarks.holdout import phrasing as P
from benchmarks.holdout.world import (
    ASNS,
    DAY,
    HOUR,
    SEC,
    START_US,
    TZ,
    UA_BROWSER,
    UA_OSS_AGENT,
    UA_SDK,
    UA_SDK_JS,
    UA_SDK_PY,
    Content,
    World,
    cat,
    choose,
)

Rng = np.random.Generator

FREEMAIL = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "hotmail.com"]
SYLL = ["ka", "lo", "mi", "ra", "ven", "tor", "lix", "na", "quo", "bel", "dra", "sen", "vo", "ter"]
TLDS = [".io", ".com", ".ai", ".dev", ".net", ".co", ".xyz", ".app"]


def domain(rng: Rng) -> str:
    k = int(rng.integers(2, 4))
    return "".join(rng.choice(SYLL, k)) + str(rng.choice(TLDS))


def emails(
    rng: Rng, n: int, free_share: float, own: Sequence[str] | None = None
) -> list[str | None]:
    """Mix of free-mail providers and ``own`` (or freshly invented) domains."""
    out: list[str | None] = []
    for _ in range(n):
        if rng.random() < free_share:
            out.append(str(rng.choice(FREEMAIL, p=[0.5, 0.18, 0.08, 0.1, 0.07, 0.07])))
        else:
            out.append(str(rng.choice(list(own))) if own else domain(rng))
    return out


def heavy(rng: Rng, n: int, median: float, sigma: float, hi: float = 6000) -> np.ndarray:
    return np.clip(rng.lognormal(np.log(median), sigma, n), 1, hi * max(1.0, median / 50)).astype(
        np.int64
    )


def days_us(d: np.ndarray | float) -> np.ndarray:
    return (START_US + np.asarray(d) * DAY).astype(np.int64)


def diurnal(
    w: World, rng: Rng, tz: np.ndarray, lo: np.ndarray, hi: np.ndarray, weekend: float = 0.45
) -> np.ndarray:
    """Human-paced times: a day in [lo, hi) (days from start), an hour from ``HOUR_PMF`` local."""
    from benchmarks.holdout.world import HOUR_PMF

    n = len(tz)
    span = np.maximum(hi - lo, 0.5)
    day = np.floor(lo + rng.random(n) * span)
    wk = (day % 7) >= 5
    redraw = wk & (rng.random(n) > weekend)
    day = np.where(redraw, np.floor(lo + rng.random(n) * span), day)
    hour = rng.choice(24, size=n, p=HOUR_PMF)
    t = day * DAY + (hour - tz) * HOUR + rng.random(n) * HOUR
    out: np.ndarray = (START_US + t).astype(np.int64)
    return out


def sessions(
    w: World,
    rng: Rng,
    volume: np.ndarray,
    turns_median: float,
    gap_s: float,
    start: Callable[[np.ndarray], np.ndarray],
    turns_sigma: float = 0.8,
    gap_sigma: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split each account's volume into conversations; returns (local, ts, conv, turn)."""
    n_sess = np.maximum(1, np.round(volume / max(turns_median * 1.2, 1)).astype(np.int64))
    s_local = np.repeat(np.arange(len(volume)), n_sess)
    turns = np.maximum(1, rng.lognormal(np.log(turns_median), turns_sigma, len(s_local))).astype(
        np.int64
    )
    if turns_median <= 1:
        turns[:] = 1
    s_start = start(s_local)
    conv_ids = w.new_convs(len(s_local))
    rep = np.repeat(np.arange(len(s_local)), turns)
    first = np.cumsum(turns) - turns
    turn = np.arange(len(rep)) - first[rep]
    gaps = rng.lognormal(np.log(gap_s), gap_sigma, len(rep)) * SEC
    gaps[turn == 0] = 0
    cs = np.cumsum(gaps)
    base = cs[first] - gaps[first]
    ts = s_start[rep] + (cs - base[rep]).astype(np.int64)
    return s_local[rep], ts, conv_ids[rep], turn.astype(np.int64)


def mix_rows(rng: Rng, local: np.ndarray, mix: np.ndarray) -> np.ndarray:
    """Per-row builder choice from a per-account mixture matrix (rows sum to 1)."""
    cum = np.cumsum(mix, axis=1)
    cum /= cum[:, -1:]
    pick: np.ndarray = (rng.random(len(local))[:, None] > cum[local]).sum(axis=1)
    return pick.clip(0, mix.shape[1] - 1)


def org_range(w: World, rng: Rng, kind: str, hosts: int) -> np.ndarray:
    rows = w.asn_rows(kind)
    return w.new_ips_in24(rng, int(rng.choice(rows)), hosts)


def ua_pick(rng: Rng, n: int, py: float, js: float, browser: float) -> np.ndarray:
    other = max(0.0, 1 - py - js - browser)
    grp = choose(rng, n, [py, js, browser, other])
    pools = [UA_SDK_PY, UA_SDK_JS, UA_BROWSER, UA_SDK]
    return np.array([int(rng.choice(pools[g])) for g in grp], dtype=np.int64)


def cc_of_row(row: int) -> str:
    return ASNS[row][1]


def follow_up(
    rng: Rng, which: np.ndarray, turn: np.ndarray, follow_kind: int, p: float
) -> np.ndarray:
    return np.where((turn > 0) & (rng.random(len(turn)) < p), follow_kind, which)


# ====================================================================== legitimate populations
DEV_KINDS = [
    "chat",
    "code",
    "tool",
    "math",
    "write_en",
    "write_zh",
    "swe_dev",
    "ml_casual",
    "chat_follow",
]


def developers(w: World, rng: Rng) -> None:
    """Ordinary developers and hobbyists: heavy-tailed volume, home/mobile IPs, human hours."""
    n = w.n(1000)
    res = w.asn_rows("r")
    pop = np.array([6.0 if ASNS[r][1] in ("US", "IN", "DE", "GB", "BR") else 1.0 for r in res])
    home = rng.choice(res, n, p=pop / pop.sum())
    cc = [cc_of_row(int(r)) for r in home]
    tz = np.array([TZ[c] for c in cc], dtype=float)
    created_d = np.where(
        rng.random(n) < 0.08, rng.uniform(0, w.days - 1, n), -rng.uniform(1, 720, n)
    )
    g = w.add_accounts(
        "developer",
        n,
        email=emails(rng, n, 0.6),
        payment=[None if rng.random() < 0.12 else w.new_pay() for _ in range(n)],
        created_us=days_us(created_d),
    )
    vpn = rng.random(n) < 0.06
    ips = np.stack(
        [
            np.where(
                vpn, w.new_ips(rng, rng.choice(w.asn_rows("d"), n)), w.new_ips(rng, home, 0.15)
            ),
            w.new_ips(rng, home, 0.15),
            w.new_ips(rng, rng.choice(w.asn_rows("m"), n), 0.3),
            w.new_ips(rng, rng.choice(res, n)),
        ],
        axis=1,
    )
    ipw = rng.dirichlet([3, 1.5, 0.5, 0.2], n)
    h = w.habits(
        rng,
        g,
        ips,
        ipw,
        ua=ua_pick(rng, n, 0.5, 0.2, 0.15),
        system=w.system_ids(P.GENERIC_SYSTEMS)[rng.integers(0, 5, n)],
        sys_p=0.3,
    )
    h.sys_p = rng.random(n) * 0.6
    base = np.array([3, 2.5, 0.8, 0.8, 1.2, 0.1, 0.5, 0.2, 0.0])
    mix = rng.dirichlet(base + 0.05, n)
    zh = np.array([c in ("CN", "TW", "HK") for c in cc])
    mix[zh, 5] += 0.5
    mix[zh, 7] += 0.2
    vol = heavy(rng, n, 16, 1.5)
    lo = np.maximum(created_d, 0)

    def start(loc: np.ndarray) -> np.ndarray:
        return diurnal(w, rng, tz[loc], lo[loc], np.full(len(loc), w.days))

    local, ts, conv, turn = sessions(w, rng, vol, 2.0, 50, start)
    which = follow_up(rng, mix_rows(rng, local, mix), turn, 8, 0.5)
    w.emit(rng, h, local, ts, w.content(rng, DEV_KINDS, which), conv=conv, turn=turn)


def small_apps(w: World, rng: Rng) -> None:
    """Products built on the API: per-org system prompt, cloud egress, end-user conversations."""
    kinds = ["support", "chat", "write_en", "code", "tool", "write_zh", "chat_follow"]
    for _ in range(w.n(55)):
        k = int(rng.choice([1, 1, 1, 2, 2, 3, 4]))
        org, pay, dom = w.new_org(), w.new_pay(), domain(rng)
        g = w.add_accounts(
            "small_app",
            k,
            org=[org] * k,
            payment=[pay] * k,
            email=[dom] * k,
            created_us=days_us(np.full(k, -rng.uniform(30, 600))),
        )
        egress = org_range(w, rng, "d", 4)
        name = str(rng.choice(P.APP_NAMES))
        sysi = w.system_ids([str(rng.choice(P.APP_SYSTEMS)).format(name=name)])
        h = w.habits(
            rng,
            g,
            np.tile(egress, (k, 1)),
            ua=np.full(k, int(rng.choice(UA_SDK))),
            ua2=np.full(k, int(rng.choice(UA_SDK))),
            model_p=(0.3, 0.65, 0.05),
            model_conc=20,
            system=np.repeat(sysi, k),
            sys_p=0.97,
            no_conv=0.2,
        )
        h.temp[:], h.max_tok[:] = h.temp[0], h.max_tok[0]
        tz = float(rng.choice([-6, -5, 0, 1, 5.5, 8, 9]))
        mix = np.zeros((k, len(kinds)))
        for j in rng.choice(6, int(rng.integers(1, 3)), replace=False):
            mix[:, j] = rng.uniform(0.5, 1.0)
        vol = heavy(rng, k, 240, 1.0)

        def start(loc: np.ndarray, tz: float = tz) -> np.ndarray:
            return diurnal(
                w,
                rng,
                np.full(len(loc), tz),
                np.zeros(len(loc)),
                np.full(len(loc), w.days),
                weekend=0.8,
            )

        local, ts, conv, turn = sessions(w, rng, vol, 3.0, 35, start)
        which = follow_up(rng, mix_rows(rng, local, mix), turn, 6, 0.6)
        w.emit(rng, h, local, ts, w.content(rng, kinds, which), conv=conv, turn=turn)


def eval_teams(w: World, rng: Rng) -> None:
    """Benchmark teams: full CoT sweeps at temperature 0, launched together, incl. the new model."""
    benches = [("eval_cot", 100), ("eval_mcq", 200), ("eval_code", 164), ("eval_judge", 100)]
    for size in (5, 3):
        org, pay, dom = w.new_org(), w.new_pay(), domain(rng)
        g = w.add_accounts(
            "eval_team",
            size,
            org=[org] * size,
            payment=[pay] * size,
            email=[dom] * size,
            created_us=days_us(np.full(size, -rng.uniform(60, 400))),
        )
        h = w.habits(
            rng,
            g,
            np.tile(org_range(w, rng, "d", 3), (size, 1)),
            ua=np.full(size, 4),
            nkeys=np.full(size, 1),
        )
        n_sweeps = max(3, int(w.days * 0.7))
        starts = diurnal(
            w,
            rng,
            np.full(n_sweeps, 1.0),
            np.zeros(n_sweeps),
            np.full(n_sweeps, w.days),
            weekend=0.2,
        )
        starts = np.append(starts, w.release_us + int(rng.uniform(0.5, 3) * HOUR))
        for s_i, s0 in enumerate(starts):
            new = s0 > w.release_us and (s_i == len(starts) - 1 or rng.random() < 0.7)
            samples = int(rng.choice([1, 1, 3]))
            for j in range(size):
                kind, m = benches[(j + s_i) % 4]
                pl = np.tile(np.arange(m), samples)
                rate = rng.uniform(2, 6)
                ts = (
                    s0
                    + int(rng.uniform(0, 8) * SEC)
                    + np.cumsum(rng.exponential(1 / rate, len(pl)) * SEC).astype(np.int64)
                )
                mdl = np.full(len(pl), 3 if new else int(rng.choice([0, 1])))
                c = w.content(rng, [kind], np.zeros(len(pl), np.int64), payload=pl)
                w.emit(
                    rng,
                    h,
                    np.full(len(pl), j),
                    ts,
                    c,
                    model=mdl,
                    temp=np.full(len(pl), 0.0 if samples == 1 else 0.8),
                    max_tok=np.full(len(pl), 2048),
                    conv=np.full(len(pl), -1),
                )


def etl_batch(w: World, rng: Rng) -> None:
    """Enterprise extraction pipelines: one template over many documents, fixed cadence."""
    sysi = w.system_ids(["You are a data extraction service. Output valid JSON only."])
    for size in (1, 2):
        org, pay, dom = w.new_org(), w.new_pay(), domain(rng)
        g = w.add_accounts(
            "etl_batch",
            size,
            org=[org] * size,
            payment=[pay] * size,
            email=[dom] * size,
            created_us=days_us(np.full(size, -rng.uniform(100, 500))),
        )
        h = w.habits(
            rng,
            g,
            np.tile(org_range(w, rng, "d", 2), (size, 1)),
            ua=np.full(size, 11),
            ua2=np.full(size, 11),
            nkeys=np.full(size, 1),
            system=np.repeat(sysi, size),
            sys_p=1.0,
            no_conv=1.0,
        )
        for j in range(size):
            hour0, hours, every = rng.uniform(0, 20), rng.uniform(4, 7), rng.uniform(35, 60)
            per_day = int(hours * 3600 / every)
            days = np.flatnonzero(rng.random(w.days) > 0.05)
            k = np.tile(np.arange(per_day), len(days))
            d = np.repeat(days, per_day)
            ts = (
                START_US
                + d * DAY
                + int(hour0 * HOUR)
                + (k * every * SEC)
                + rng.normal(0, 0.3 * SEC, len(k))
            ).astype(np.int64)
            n = len(ts)
            c = w.content(rng, ["etl"], np.zeros(n, np.int64))
            w.emit(
                rng,
                h,
                np.full(n, j),
                ts,
                c,
                model=np.full(n, 1),
                temp=np.zeros(n),
                max_tok=np.full(n, 512),
            )


AGENT_SYSTEM = (
    "You are Stackpilot Agent, an autonomous coding assistant working inside the user's "
    "repository. Use the provided tools to read files, run commands and apply patches. Keep "
    "changes minimal, run the tests after every edit, and summarise what you did."
)


def coding_agent(w: World, rng: Rng) -> None:
    """A coding-agent product: long tool-using sessions with real continuity."""
    k = w.n(10, 2)
    org, pay = w.new_org(), w.new_pay()
    g = w.add_accounts(
        "coding_agent",
        k,
        org=[org] * k,
        payment=[pay] * k,
        email=["stackpilot.dev"] * k,
        created_us=days_us(-rng.uniform(90, 300, k)),
    )
    egress = org_range(w, rng, "d", 8)
    h = w.habits(
        rng,
        g,
        np.stack([rng.choice(egress, 4, replace=False) for _ in range(k)]),
        ua=np.full(k, 2),
        ua2=np.full(k, 17),
        model_p=(0.85, 0.1, 0.05),
        lag_h=np.full(k, 40.0),
        adopt=np.full(k, 0.6),
        temp=(0.2,),
        temp_p=(1,),
        max_tok=(8192,),
        max_tok_p=(1,),
        system=np.repeat(w.system_ids([AGENT_SYSTEM]), k),
        sys_p=1.0,
        no_conv=0.0,
    )
    vol = heavy(rng, k, 1700, 0.4)

    def start(loc: np.ndarray) -> np.ndarray:
        tz = rng.choice([-6.0, 1.0, 5.5, 8.0], len(loc))
        return diurnal(w, rng, tz, np.zeros(len(loc)), np.full(len(loc), w.days), weekend=0.5)

    local, ts, conv, turn = sessions(w, rng, vol, 22, 7, start, turns_sigma=0.9, gap_sigma=0.9)
    which = np.where(
        turn == 0, rng.integers(0, 2, len(turn)), np.where(rng.random(len(turn)) < 0.85, 2, 1)
    )
    c = w.content(rng, ["swe_dev", "code", "agent_follow"], which)
    c.tools[:] = 14
    w.emit(rng, h, local, ts, c, conv=conv, turn=turn, hist_per_turn=1100)


def university(w: World, rng: Rng) -> None:
    """A campus behind a few NAT IPs, one e-mail domain, cohort sign-up, homework deadlines."""
    n = w.n(220, 3)
    uni = w.asn_rows("u")[0]
    course_org = w.new_org()
    created = -28 - rng.uniform(0, 6, n)
    g = w.add_accounts(
        "university",
        n,
        org=[course_org if rng.random() < 0.6 else w.new_org() for _ in range(n)],
        payment=[None if rng.random() < 0.7 else w.new_pay() for _ in range(n)],
        email=["stud.tu-marsberg.de" if rng.random() < 0.9 else "gmail.com" for _ in range(n)],
        created_us=days_us(created),
    )
    nat = w.new_ips_in24(rng, int(uni), 4)
    home = w.new_ips(rng, rng.choice(w.asn_rows("r", "DE"), n), 0.2)
    ips = np.stack([rng.choice(nat, n), rng.choice(nat, n), rng.choice(nat, n), home], axis=1)
    h = w.habits(
        rng,
        g,
        ips,
        rng.dirichlet([2, 2, 2, 1.5], n),
        ua=ua_pick(rng, n, 0.45, 0.05, 0.5),
        model_p=(0.4, 0.6, 0.0),
        temp_p=(0.8, 0.05, 0.05, 0.05, 0.05),
    )
    vol = heavy(rng, n, 24, 0.9)
    deadlines = np.array([int(w.days * 0.35), int(w.days * 0.8)]) + 23 / 24 - 1 / 24

    def start(loc: np.ndarray) -> np.ndarray:
        m = len(loc)
        t = diurnal(w, rng, np.full(m, 1.0), np.zeros(m), np.full(m, w.days), weekend=0.7)
        dl = rng.choice(deadlines, m)
        rush = days_us(dl - rng.beta(2, 1.2, m) * 1.5)
        return np.where(rng.random(m) < 0.45, rush, t)

    local, ts, conv, turn = sessions(w, rng, vol, 2.5, 60, start)
    kinds = ["math", "code", "write_en", "chat", "chat_follow"]
    which = follow_up(rng, choose(rng, len(local), [0.45, 0.3, 0.1, 0.15, 0]), turn, 4, 0.5)
    homework = rng.choice(100, 24, replace=False)  # the assignment sheets everyone works on
    pl = np.where(
        rng.random(len(local)) < 0.8,
        rng.choice(homework, len(local)),
        rng.integers(0, 1000, len(local)),
    )
    w.emit(rng, h, local, ts, w.content(rng, kinds, which, payload=pl), conv=conv, turn=turn)


def reseller(w: World, rng: Rng) -> None:
    """A legitimate API reseller: tenant sub-accounts, shared billing, datacenter gateways."""
    k = w.n(45, 2)
    org = w.new_org()
    pays = [w.new_pay(), w.new_pay()]
    g = w.add_accounts(
        "reseller",
        k,
        org=[org] * k,
        payment=[pays[int(rng.random() < 0.3)] for _ in range(k)],
        email=["relaybridge.io"] * k,
        created_us=days_us(-rng.uniform(60, 500, k)),
    )
    pool = np.concatenate([org_range(w, rng, "d", 6) for _ in range(3)])
    h = w.habits(
        rng,
        g,
        np.stack([rng.choice(pool, 4) for _ in range(k)]),
        ua=np.full(k, 21),
        lag_h=rng.uniform(3, 10, k),
        adopt=rng.uniform(0.2, 0.45, k),
        no_conv=0.4,
    )
    kinds = ["chat", "code", "write_en", "write_zh", "tool", "support", "math", "chat_follow"]
    mix = rng.dirichlet(np.array([3, 2, 1.5, 0.7, 1, 1, 0.8, 0.01]) * 2, k)
    vol = heavy(rng, k, 330, 1.1)
    tz = rng.choice([-6.0, 0.0, 1.0, 5.5, 8.0], k)

    def start(loc: np.ndarray) -> np.ndarray:
        d = diurnal(w, rng, tz[loc], np.zeros(len(loc)), np.full(len(loc), w.days), 0.9)
        flat = days_us(rng.uniform(0, w.days, len(loc)))
        return np.where(rng.random(len(loc)) < 0.5, d, flat)

    local, ts, conv, turn = sessions(w, rng, vol, 2.5, 40, start)
    which = follow_up(rng, mix_rows(rng, local, mix), turn, 7, 0.5)
    w.emit(rng, h, local, ts, w.content(rng, kinds, which), conv=conv, turn=turn)


def synthetic_data(w: World, rng: Rng) -> None:
    """A young startup generating fine-tuning data: templated, high-volume, wants explanations."""
    k = w.n(4, 2)
    org, pay = w.new_org(), w.new_pay()
    g = w.add_accounts(
        "synthetic_data",
        k,
        org=[org] * k,
        payment=[pay] * k,
        email=["tunecraft.ai"] * k,
        created_us=days_us(-rng.uniform(18, 24, k)),
    )
    h = w.habits(
        rng,
        g,
        np.tile(org_range(w, rng, "d", 4), (k, 1)),
        ua=np.full(k, 5),
        lag_h=np.full(k, 30.0),
        adopt=np.full(k, 0.5),
        no_conv=1.0,
    )
    for j in range(k):
        for _ in range(max(1, int(w.days / 2.5))):
            m = int(rng.lognormal(np.log(650), 0.5))
            t0 = days_us(rng.uniform(0, w.days))
            ts = t0 + np.cumsum(rng.exponential(1 / rng.uniform(3, 8), m) * SEC).astype(np.int64)
            which = (rng.random(m) < 0.15).astype(np.int64)
            c = w.content(rng, ["synth", "eval_cot"], which)
            w.emit(rng, h, np.full(m, j), ts, c, temp=np.full(m, 0.9), max_tok=np.full(m, 4096))


def enterprise(w: World, rng: Rng) -> None:
    """Employees of one company behind a corporate egress, office hours, shared invoice."""
    k = w.n(40, 2)
    org = w.new_org()
    g = w.add_accounts(
        "enterprise",
        k,
        org=[org] * k,
        payment=[None] * k,
        email=["quorvex.com"] * k,
        created_us=days_us(-rng.uniform(100, 140, k)),
    )
    egress = org_range(w, rng, "d", 2)
    home = w.new_ips(rng, rng.choice(w.asn_rows("r", "DE"), k))
    ips = np.stack([np.full(k, egress[0]), np.full(k, egress[1]), np.full(k, egress[0]), home], 1)
    h = w.habits(
        rng,
        g,
        ips,
        rng.dirichlet([4, 4, 1, 1], k),
        ua=ua_pick(rng, k, 0.2, 0.0, 0.8),
        system=np.repeat(w.system_ids([P.APP_SYSTEMS[7].format(name="Quorvex")]), k),
        sys_p=0.9,
    )
    vol = heavy(rng, k, 35, 1.0)

    def start(loc: np.ndarray) -> np.ndarray:
        m = len(loc)
        return diurnal(w, rng, np.full(m, 1.0), np.zeros(m), np.full(m, w.days), weekend=0.1)

    local, ts, conv, turn = sessions(w, rng, vol, 3.0, 70, start)
    kinds = ["write_en", "chat", "code", "support", "chat_follow"]
    which = follow_up(rng, choose(rng, len(local), [0.4, 0.3, 0.2, 0.1, 0]), turn, 4, 0.6)
    w.emit(rng, h, local, ts, w.content(rng, kinds, which), conv=conv, turn=turn)


# ====================================================================== campaigns
def _pivot(rng: Rng, n: int, lag_h: float, share: float) -> tuple[np.ndarray, np.ndarray]:
    return lag_h + rng.uniform(0, 3, n), np.clip(rng.normal(share, 0.08, n), 0, 1)


def mosaic(w: World, rng: Rng) -> None:
    """Large, low-and-slow: hundreds of short-lived accounts, residential proxies per request."""
    cid = "hc-mosaic"
    n = w.n(320, 4)
    waves = np.array([-35, -21, -10, 3.0])
    created = rng.choice(waves, n) + rng.uniform(0, 2, n)
    bulk = [domain(rng) for _ in range(max(1, n // 16))]
    g = w.add_accounts(
        "distiller",
        n,
        label="attack",
        campaign=cid,
        email=emails(rng, n, 0.8, bulk),
        created_us=days_us(created),
    )
    lag, adopt = _pivot(rng, n, rng.uniform(5, 14), 0.55)
    h = w.habits(
        rng,
        g,
        np.zeros((n, 4), np.int64),
        ua=np.full(n, 0),
        model_p=(0.9, 0.08, 0.02),
        model_conc=30,
        lag_h=lag,
        adopt=adopt,
        temp=(np.nan, 0.7, 1.0),
        temp_p=(3, 4, 2),
        max_tok=(-1, 8192, 16384),
        max_tok_p=(2, 4, 3),
        no_conv=0.5,
        system=w.system_ids(P.GENERIC_SYSTEMS)[rng.integers(0, 3, n)],
        sys_p=0.4,
    )
    vol = heavy(rng, n, 90, 0.45)
    lo = np.maximum(created + 1, rng.uniform(0, w.days - 3, n) * (created > -12))
    hi = np.minimum(lo + rng.uniform(3, 9, n), w.days)

    def start(loc: np.ndarray) -> np.ndarray:
        return diurnal(w, rng, np.full(len(loc), 8.0), lo[loc], hi[loc], weekend=0.9)

    local, ts, conv, turn = sessions(w, rng, vol, 1, 1, start)
    m = len(local)
    res = w.asn_rows("r")
    wt = np.array([5.0 if ASNS[r][1] in ("US", "GB", "DE", "BR", "IN", "CA") else 1.0 for r in res])
    rows = np.where(
        rng.random(m) < 0.85, rng.choice(res, m, p=wt / wt.sum()), rng.choice(w.asn_rows("m"), m)
    )
    kinds = ["atk_trace", "atk_grade", "atk_swe", "atk_horizon", "chat", "code"]
    which = choose(rng, m, [0.4, 0.2, 0.18, 0.1, 0.07, 0.05])
    w.emit(
        rng,
        h,
        local,
        ts,
        w.content(rng, kinds, which),
        conv=conv,
        turn=turn,
        ip=w.new_ips(rng, rows, 0.2),
        ua=rng.choice(UA_SDK_PY, m),
        refuse=0.03,
        attack=True,
        campaign=cid,
    )


def lockstep(w: World, rng: Rng) -> None:
    """Shared payment instruments and datacenter ranges; synchronised bursts; tool use."""
    cid = "hc-lockstep"
    n = w.n(60, 4)
    pays = [w.new_pay() for _ in range(5)]
    doms = [domain(rng), domain(rng)]
    g = w.add_accounts(
        "distiller",
        n,
        label="attack",
        campaign=cid,
        payment=[pays[int(i)] for i in rng.integers(0, 5, n)],
        email=emails(rng, n, 0.3, doms),
        created_us=days_us(rng.choice([-8.0, -6.0], n) + rng.uniform(0, 0.2, n)),
    )
    ranges = [
        w.new_ips_in24(rng, int(r), 40)
        for r in (w.asn_rows("d")[7], w.asn_rows("d")[9], w.asn_rows("d")[12])
    ]
    ips = np.stack([rng.choice(ranges[int(rng.integers(0, 3))], 4) for _ in range(n)])
    lag, adopt = _pivot(rng, n, 20, 0.5)
    h = w.habits(
        rng,
        g,
        ips,
        ua=np.full(n, 0),
        ua2=np.full(n, 3),
        model_p=(0.95, 0.05, 0.0),
        model_conc=50,
        lag_h=lag,
        adopt=adopt,
        temp=(0.0,),
        temp_p=(1,),
        max_tok=(4096,),
        max_tok_p=(1,),
        nkeys=np.full(n, 1),
    )
    n_b = max(4, int(3.5 * w.days))
    b_start = days_us(np.sort(rng.uniform(0, w.days, n_b)))
    loc_l, ts_l = [], []
    for b in b_start:  # loop over bursts, rows inside are columnar
        part = np.flatnonzero(rng.random(n) < 0.7)
        per = rng.poisson(10, len(part)) + 3
        loc = np.repeat(part, per)
        first = np.cumsum(per) - per
        k = np.arange(len(loc)) - np.repeat(first, per)
        off = np.repeat(rng.uniform(0, 4, len(part)), per) + k * rng.uniform(3, 12, len(loc))
        loc_l.append(loc)
        ts_l.append(b + (off * SEC).astype(np.int64))
    local, ts = np.concatenate(loc_l), np.concatenate(ts_l)
    m = len(local)
    which = choose(rng, m, [0.55, 0.15, 0.3])
    c = w.content(rng, ["atk_tool", "atk_trace", "atk_swe"], which)
    tool = which == 0
    turn = np.where(tool, rng.integers(1, 10, m), 0)
    w.emit(
        rng,
        h,
        local,
        ts,
        c,
        conv=w.new_convs(m),
        turn=turn,
        hist_per_turn=600,
        error=0.03,
        refuse=0.02,
        attack=True,
        campaign=cid,
    )


def hydra(w: World, rng: Rng) -> None:
    """A proxy-reseller network: each account mixes genuine end-user traffic with distillation."""
    cid = "hc-hydra"
    n = w.n(110, 3)
    pays = [w.new_pay() for _ in range(14)]
    doms = [domain(rng) for _ in range(max(1, n // 5))]
    g = w.add_accounts(
        "hydra_reseller",
        n,
        label="attack",
        campaign=cid,
        payment=[pays[int(i)] for i in rng.integers(0, 14, n)],
        email=emails(rng, n, 0.35, doms),
        created_us=days_us(-rng.uniform(30, 200, n)),
    )
    pool = np.concatenate([org_range(w, rng, "d", 12) for _ in range(6)])
    resid = w.new_ips(rng, rng.choice(w.asn_rows("r"), n * 2), 0.1).reshape(n, 2)
    ips = np.concatenate([np.stack([rng.choice(pool, 2) for _ in range(n)]), resid], axis=1)
    ua = np.where(rng.random(n) < 0.6, 22, rng.choice(UA_SDK, n))
    h = w.habits(rng, g, ips, rng.dirichlet([2, 2, 1, 1], n), ua=ua, no_conv=0.35)
    lag, adopt = _pivot(rng, n, 8, 0.5)
    h_atk = dataclasses.replace(h, lag_h=lag, adopt=adopt, no_conv=np.ones(n, bool))
    vol = heavy(rng, n, 380, 0.8)
    share = rng.uniform(0.3, 0.7, n)
    tz = rng.choice([-6.0, 0.0, 1.0, 3.0, 8.0], n)

    def start(loc: np.ndarray) -> np.ndarray:
        d = diurnal(w, rng, tz[loc], np.zeros(len(loc)), np.full(len(loc), w.days), 0.9)
        return np.where(rng.random(len(loc)) < 0.5, d, days_us(rng.uniform(0, w.days, len(loc))))

    kinds = ["chat", "code", "write_en", "write_zh", "tool", "support", "math", "chat_follow"]
    mix = rng.dirichlet(np.array([3, 2, 1.5, 0.8, 1, 1, 0.8, 0.01]) * 2, n)
    local, ts, conv, turn = sessions(
        w, rng, (vol * (1 - share)).astype(np.int64) + 1, 2.5, 40, start
    )
    which = follow_up(rng, mix_rows(rng, local, mix), turn, 7, 0.5)
    w.emit(rng, h, local, ts, w.content(rng, kinds, which), conv=conv, turn=turn)
    local, ts, conv, turn = sessions(w, rng, (vol * share).astype(np.int64) + 1, 1, 1, start)
    akinds = ["atk_swe", "atk_horizon", "atk_grade", "atk_tool"]
    which = choose(rng, len(local), [0.3, 0.3, 0.2, 0.2])
    w.emit(
        rng,
        h_atk,
        local,
        ts,
        w.content(rng, akinds, which),
        conv=conv,
        turn=turn,
        refuse=0.01,
        attack=True,
        campaign=cid,
    )


POLY_LANGS = ["zh", "ru", "ko", "ja", "es", "ar", "vi", "pt", "de", "fr", "tr", "id"]


def polyglot(w: World, rng: Rng) -> None:
    """Non-English reasoning-trace coercion from mobile and residential IPs, nightly batches."""
    cid = "hc-polyglot"
    n = w.n(90, 3)
    pays = [w.new_pay() for _ in range(max(1, n // 4 + 2))]
    g = w.add_accounts(
        "distiller",
        n,
        label="attack",
        campaign=cid,
        payment=[pays[int(i)] for i in rng.integers(0, len(pays), n)],
        email=emails(rng, n, 0.5, ["qq.com", "naver.com", "yandex.ru", "mail.ru", "163.com"]),
        created_us=days_us(-rng.uniform(2, 16, n)),
    )
    ccs = ["KR", "JP", "US", "SG", "HK", "DE"]
    rows_r = np.concatenate([w.asn_rows("r", c) for c in ccs])
    rows_m = np.concatenate([w.asn_rows("m", c) for c in ccs if len(w.asn_rows("m", c))])
    ips = np.stack(
        [
            w.new_ips(rng, rng.choice(rows_m, n), 0.4),
            w.new_ips(rng, rng.choice(rows_m, n)),
            w.new_ips(rng, rng.choice(rows_r, n)),
            w.new_ips(rng, rng.choice(rows_r, n)),
        ],
        1,
    )
    lag, adopt = _pivot(rng, n, 18, 0.5)
    h = w.habits(
        rng,
        g,
        ips,
        ua=rng.choice(UA_SDK_PY + UA_SDK_JS, n),
        lag_h=lag,
        adopt=adopt,
        model_p=(0.85, 0.1, 0.05),
        temp=(0.6, np.nan),
        temp_p=(3, 1),
        max_tok=(16384, -1),
        max_tok_p=(3, 1),
        no_conv=0.6,
    )
    lang_p = np.array([5, 2, 2, 2, 1.5, 1, 1, 1, 0.6, 0.6, 0.6, 0.6])
    lang = rng.choice(len(POLY_LANGS), n, p=lang_p / lang_p.sum())
    active = rng.random((n, w.days)) < 0.7
    acc, day = np.nonzero(active)
    per = rng.poisson(14, len(acc)) + 2
    local = np.repeat(acc, per)
    first = np.cumsum(per) - per
    k = np.arange(len(local)) - np.repeat(first, per)
    s0 = days_us(day + rng.uniform(13, 20, len(acc)) / 24)
    gaps = rng.lognormal(np.log(25), 0.7, len(local)) * SEC
    gaps[k == 0] = 0
    cs = np.cumsum(gaps)
    ts = np.repeat(s0, per) + (cs - np.repeat(cs[first] - gaps[first], per)).astype(np.int64)
    for li, code in enumerate(POLY_LANGS):  # one pass per language
        sel = np.flatnonzero(lang[local] == li)
        if len(sel) == 0:
            continue
        which = choose(rng, len(sel), [0.8, 0.1, 0.1])
        c = w.content(rng, ["atk_trace_ml", "atk_grade", "ml_casual"], which, langs=[code])
        w.emit(
            rng,
            h,
            local[sel],
            ts[sel],
            c,
            conv=w.new_convs(len(sel)),
            turn=np.zeros(len(sel), np.int64),
            refuse=0.05,
            attack=True,
            campaign=cid,
        )


def trickle(w: World, rng: Rng) -> None:
    """Aged accounts that look like ordinary developers; long-horizon and agentic tasks."""
    cid = "hc-trickle"
    n = w.n(25, 2)
    home = rng.choice(np.concatenate([w.asn_rows("r", c) for c in ("US", "GB", "CA")]), n)
    g = w.add_accounts(
        "distiller",
        n,
        label="attack",
        campaign=cid,
        email=emails(rng, n, 0.6),
        created_us=days_us(-rng.uniform(200, 700, n)),
    )
    ips = np.stack(
        [
            w.new_ips(rng, home),
            w.new_ips(rng, home),
            w.new_ips(rng, home),
            w.new_ips(rng, rng.choice(w.asn_rows("m"), n)),
        ],
        1,
    )
    h = w.habits(
        rng,
        g,
        ips,
        ua=ua_pick(rng, n, 0.6, 0.3, 0.0),
        max_tok=(8192, 16384, -1),
        max_tok_p=(2, 2, 1),
    )
    tz = np.array([TZ[ASNS[int(r)][1]] for r in home], dtype=float)
    lo = rng.uniform(2, 2.6, n)
    vol = heavy(rng, n, 140, 0.5)

    def start(loc: np.ndarray) -> np.ndarray:
        return diurnal(w, rng, tz[loc], lo[loc], np.full(len(loc), w.days))

    local, ts, conv, turn = sessions(w, rng, vol, 3.0, 90, start)
    kinds = ["atk_horizon", "atk_swe", "atk_tool", "code", "agent_follow"]
    which = follow_up(rng, choose(rng, len(local), [0.35, 0.35, 0.15, 0.15, 0]), turn, 4, 0.6)
    w.emit(
        rng,
        h,
        local,
        ts,
        w.content(rng, kinds, which),
        conv=conv,
        turn=turn,
        hist_per_turn=900,
        attack=True,
        campaign=cid,
    )


# ====================================================================== agentic (issue 12)
SMALL_CLOUD = {14061, 24940, 16276, 63949, 20473}  # VPS providers a hobbyist or student rents
SWEEP_LANGS = ["en", "zh", "es", "pt", "ru", "ja", "ko", "de", "fr", "vi"]
SWEEP_LANG_P = [0.52, 0.13, 0.07, 0.05, 0.06, 0.05, 0.04, 0.03, 0.03, 0.02]
UNI_DOMAINS = [
    "stud.uni-kaltern.de",
    "mail.ostrava-tech.cz",
    "alumnos.upv-sur.es",
    "st.hanwoo.ac.kr",
    "student.rivermont.edu",
    "g.lakeshore.edu",
    "mails.zhenhua.edu.cn",
    "etu.univ-garonne.fr",
    "iitp-students.ac.in",
    "campus.usp-norte.br",
    "std.moskvin.ru",
    "s.kitaura-u.ac.jp",
]


def rank_in_group(group: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Position of each row among its group's rows in time order (0, 1, 2, ...)."""
    n = len(group)
    order = np.lexsort((ts, group))
    g = group[order]
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    size = np.diff(np.r_[start, n])
    pos = np.arange(n) - np.repeat(start, size)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = pos
    return rank


def share_cards(w: World, rng: Rng, pays: list[int | None], share: float) -> list[int | None]:
    """Some paying accounts pay with one card shared by two to four accounts."""
    payers = [i for i, p in enumerate(pays) if p is not None]
    picked = [i for i in payers if rng.random() < share]
    rng.shuffle(picked)
    out = list(pays)
    i = 0
    while i < len(picked) - 1:
        size = int(rng.integers(2, 5))
        card = w.new_pay()
        for j in picked[i : i + size]:
            out[j] = card
        i += size
    return out


def grid_slices(task_env: np.ndarray, n: int, rng: Rng) -> tuple[np.ndarray, int, np.ndarray]:
    """Cut the task grid into one slice per account so the accounts tile it without overlap.

    A cell is ``task * 3 + tool-set variant``; cells are ordered by environment, then variant,
    then at random, so a slice stays inside one or two environments. Account ``i`` walks
    ``cells[slot[i] * slice_len : (slot[i] + 1) * slice_len]``.
    """
    cell = np.arange(len(task_env) * 3)
    key = task_env[cell // 3] * 4 + cell % 3
    cells = cell[np.lexsort((rng.random(len(cell)), key))]
    slice_len = max(1, len(cells) // n)
    return cells, slice_len, rng.permutation(n)


def sweep(w: World, rng: Rng) -> None:
    """Agentic capability harvesting by ordinary-looking accounts that each walk a grid slice.

    One-shot trajectory synthesis (tools defined, no tool loop), long-horizon decomposition
    (a new conversation per step with pasted state), a handful of shared wrappers across
    unrelated orgs, and midway a switch of part of the traffic to reasoning reconstruction.
    """
    cid = "hc-sweep"
    a = w.corp.agentic
    n = w.n(250, 6)
    origin = rng.choice(3, n, p=[0.35, 0.15, 0.5])  # student, small startup, individual
    mail: list[str | None] = [
        str(rng.choice(UNI_DOMAINS)) if o == 0 else domain(rng) if o == 1 else e
        for o, e in zip(origin, emails(rng, n, 1.0), strict=True)
    ]
    pays = share_cards(
        w,
        rng,
        [None if o == 0 and rng.random() < 0.5 else w.new_pay() for o in origin],
        0.3,
    )
    age = np.where(origin == 0, rng.uniform(15, 200, n), rng.uniform(40, 650, n))
    g = w.add_accounts(
        "distiller",
        n,
        label="attack",
        campaign=cid,
        payment=pays,
        email=mail,
        created_us=days_us(-age),
    )
    res = w.asn_rows("r")
    popw = np.array(
        [4.0 if ASNS[r][1] in ("US", "IN", "GB", "DE", "BR", "CN") else 1.0 for r in res]
    )
    home = rng.choice(res, n, p=popw / popw.sum())
    cloud_rows = np.array(
        [i for i, (asn, _, k) in enumerate(ASNS) if k == "d" and asn in SMALL_CLOUD]
    )
    vps = w.new_ips(rng, rng.choice(cloud_rows, n))
    on_vps = rng.random(n) < 0.35
    h1, h2 = w.new_ips(rng, home, 0.2), w.new_ips(rng, home, 0.2)
    mob = w.new_ips(rng, rng.choice(w.asn_rows("m"), n), 0.3)
    ips = np.stack(
        [np.where(on_vps, vps, h1), np.where(on_vps, vps, h2), np.where(on_vps, vps, h1), mob], 1
    )
    ipw = np.where(on_vps[:, None], [[4.0, 0.1, 0.1, 0.05]], rng.dirichlet([3, 2, 1, 0.4], n))
    wrappers = w.system_ids(P.SWEEP_WRAPPERS)
    h = w.habits(
        rng,
        g,
        ips,
        ipw,
        ua=ua_pick(rng, n, 0.55, 0.25, 0.05),
        model_p=(0.75, 0.2, 0.05),
        temp=(np.nan, 0.3, 0.7, 1.0),
        temp_p=(0.3, 0.2, 0.3, 0.2),
        max_tok=(8192, 16384, 4096, -1),
        max_tok_p=(0.4, 0.25, 0.15, 0.2),
        system=wrappers[rng.integers(0, len(wrappers), n)],
        no_conv=0.1,
    )
    h.sys_p = rng.uniform(0.55, 0.95, n)
    tz = np.array([TZ[ASNS[int(r)][1]] for r in home], dtype=float)
    lang = rng.choice(len(SWEEP_LANGS), n, p=SWEEP_LANG_P)

    cells, slice_len, slot = grid_slices(a.task_env, n, rng)

    vol = heavy(rng, n, 46, 0.35)
    local = np.repeat(np.arange(n), vol)
    m = len(local)
    ts = diurnal(w, rng, tz[local], np.zeros(m), np.full(m, w.days))
    switch = days_us(w.days * 0.45 + rng.uniform(0, 1)) + (rng.uniform(0, 1.5, n) * DAY).astype(
        np.int64
    )
    switched = rng.random(n) < 0.45
    after = switched[local] & (ts >= switch[local])
    fam = np.where(
        after,
        choose(rng, m, [0.2, 0.12, 0.6, 0.05, 0.03]),
        choose(rng, m, [0.5, 0.38, 0.0, 0.07, 0.05]),
    )
    # trajectory rows walk the account's slice in time order
    r_traj = rank_in_group(np.where(fam == 0, local, -1), ts)
    traj_cell = cells[(slot[local] * slice_len + r_traj % slice_len) % len(cells)]
    # decomposition rows: consecutive steps of one project (a task from the slice's end)
    r_step = rank_in_group(np.where(fam == 1, local, -1), ts)
    steps = rng.integers(6, 15, n)[local]
    proj, k = r_step // steps, r_step % steps
    proj_cell = cells[(slot[local] * slice_len + slice_len - 1 - proj % slice_len) % len(cells)]
    step_pl = ((proj_cell // 3) * 64 + k) * 64 + steps
    recon_pl = rng.integers(0, 1 << 20, m) * 3 + choose(rng, m, [0.6, 0.25, 0.15])
    filler = rng.integers(0, 1 << 20, m)
    payload = np.select([fam == 0, fam == 1, fam == 2], [traj_cell, step_pl, recon_pl], filler)
    kinds = ["sweep_traj", "sweep_step", "sweep_recon", "code", "chat"]
    for li, code in enumerate(SWEEP_LANGS):  # one pass per language, rows columnar inside
        sel = np.flatnonzero(lang[local] == li)
        if len(sel) == 0:
            continue
        c = w.content(rng, kinds, fam[sel], payload=payload[sel], langs=[code])
        w.emit(
            rng,
            h,
            local[sel],
            ts[sel],
            c,
            conv=w.new_convs(len(sel)),
            turn=np.zeros(len(sel), np.int64),
            refuse=0.01,
            attack=True,
            campaign=cid,
        )


def oss_agent(w: World, rng: Rng) -> None:
    """Users of a popular open-source agent: thousands of small orgs, one default system prompt,
    real tool loops (the tool results come back turn after turn)."""
    n = w.n(420, 4)
    orgs: list[int | None] = []
    for i in range(n):
        orgs.append(orgs[-1] if i and rng.random() < 0.15 else w.new_org())
    dom = {o: domain(rng) for o in set(orgs)}
    mail = [str(rng.choice(FREEMAIL)) if rng.random() < 0.55 else dom[o] for o in orgs]
    pay_of = {o: (None if rng.random() < 0.05 else w.new_pay()) for o in set(orgs)}
    g = w.add_accounts(
        "oss_agent",
        n,
        org=orgs,
        payment=[pay_of[o] for o in orgs],
        email=mail,
        created_us=days_us(-rng.uniform(5, 600, n)),
    )
    res = w.asn_rows("r")
    popw = np.array(
        [4.0 if ASNS[r][1] in ("US", "IN", "GB", "DE", "BR", "CN") else 1.0 for r in res]
    )
    home = rng.choice(res, n, p=popw / popw.sum())
    cloud_rows = np.array(
        [i for i, (asn, _, k) in enumerate(ASNS) if k == "d" and asn in SMALL_CLOUD]
    )
    net = rng.choice(3, n, p=[0.55, 0.25, 0.2])  # home, dev VPS, company egress
    vps = w.new_ips(rng, rng.choice(cloud_rows, n))
    corp = w.new_ips(rng, rng.choice(w.asn_rows("d"), n))
    h1 = w.new_ips(rng, home, 0.2)
    main_ip = np.select([net == 0, net == 1], [h1, vps], corp)
    ips = np.stack(
        [
            main_ip,
            main_ip,
            w.new_ips(rng, home, 0.2),
            w.new_ips(rng, rng.choice(w.asn_rows("m"), n)),
        ],
        1,
    )
    newer = rng.random(n) < 0.3
    custom = ~newer & (rng.random(n) < 0.06)
    sys_v1, sys_v2 = w.system_ids([P.OSS_AGENT_SYSTEM, P.OSS_AGENT_SYSTEM_NEXT])
    tails = w.system_ids([P.OSS_AGENT_SYSTEM + t for t in P.OSS_CUSTOM_TAIL])
    system = np.where(
        newer, sys_v2, np.where(custom, tails[rng.integers(0, len(tails), n)], sys_v1)
    )
    ua = np.where(newer, UA_OSS_AGENT[1], UA_OSS_AGENT[0])
    h = w.habits(
        rng,
        g,
        ips,
        rng.dirichlet([4, 2, 1, 0.3], n),
        ua=ua,
        ua2=ua,
        model_p=(0.7, 0.2, 0.1),
        temp=(np.nan, 0.0, 0.2),
        temp_p=(0.5, 0.4, 0.1),
        max_tok=(8192, 4096, 16384),
        max_tok_p=(0.6, 0.2, 0.2),
        system=system,
        sys_p=1.0,
        no_conv=0.1,
    )
    tz = np.array([TZ[ASNS[int(r)][1]] for r in home], dtype=float)
    vol = heavy(rng, n, 70, 1.0)

    def start(loc: np.ndarray) -> np.ndarray:
        return diurnal(w, rng, tz[loc], np.zeros(len(loc)), np.full(len(loc), w.days), 0.5)

    local, ts, conv, turn = sessions(w, rng, vol, 14, 9, start, turns_sigma=0.7, gap_sigma=0.8)
    which = np.where(turn == 0, 0, np.where(rng.random(len(turn)) < 0.82, 1, 2))
    c = w.content(rng, ["oss_task", "oss_obs", "oss_user"], which)
    c.tools[:] = np.where(newer[local], 11, 9)
    w.emit(rng, h, local, ts, c, conv=conv, turn=turn, hist_per_turn=700)


def harness_teams(w: World, rng: Rng) -> None:
    """Evaluation teams running shared τ²-bench / SWE-style harnesses: one harness system prompt,
    the full task list in real multi-turn tool loops at temperature 0, incl. the new model."""
    a = w.corp.agentic
    tau_sys = w.system_ids([P.TAU_HARNESS_HEAD + pol for pol in a.tau_policy])
    swe_sys = w.system_ids([P.SWE_HARNESS_SYSTEM])
    plans = ["tau", "swe", "tau", "both", "tau", "swe"]
    for t_i in range(w.n(6, 3)):
        plan = plans[t_i % len(plans)]
        size = int(rng.integers(2, 5))
        org, pay, dom_ = w.new_org(), w.new_pay(), domain(rng)
        g = w.add_accounts(
            "harness_team",
            size,
            org=[org] * size,
            payment=[pay] * size,
            email=[dom_] * size,
            created_us=days_us(np.full(size, -rng.uniform(40, 500))),
        )
        h = w.habits(
            rng,
            g,
            np.tile(org_range(w, rng, "d", 3), (size, 1)),
            ua=np.full(size, int(rng.choice([3, 4, 0]))),
            nkeys=np.full(size, 1),
            no_conv=0.0,
        )
        tz = float(rng.choice([-8.0, -5.0, 0.0, 1.0, 8.0]))
        n_sw = max(1, w.days // 6)
        starts = diurnal(w, rng, np.full(n_sw, tz), np.zeros(n_sw), np.full(n_sw, w.days), 0.1)
        starts = np.append(starts, w.release_us + int(rng.uniform(1, 6) * HOUR))
        models = np.append(rng.choice([0, 1, 2], n_sw, p=[0.6, 0.2, 0.2]), 3)
        models = np.where(starts > w.release_us, 3, models)
        for harness in ["tau", "swe"] if plan == "both" else [plan]:
            loc_l, ts_l, turn_l, task_l, conv_l, mdl_l = [], [], [], [], [], []
            # the full task list; a small-scale world (tests) replays a prefix of it
            full = len(a.tau_off) - 1 if harness == "tau" else len(a.swe_ic)
            n_tasks = max(8, min(full, round(full * w.scale * 2)))
            if harness == "tau":
                t_len = np.diff(a.tau_off)[:n_tasks]
            else:
                t_len = np.clip(rng.lognormal(np.log(9), 0.5, n_tasks), 4, 40).astype(np.int64)
            for s0, mdl in zip(starts, models, strict=True):  # loop over sweeps
                lanes = size * 3  # each worker account runs three tasks at a time
                lane = np.arange(n_tasks) % lanes
                rows = int(t_len.sum())
                task = np.repeat(np.arange(n_tasks), t_len)
                first = np.cumsum(t_len) - t_len
                turn = np.arange(rows) - np.repeat(first, t_len)
                gap = rng.lognormal(np.log(6), 0.5, rows) * SEC
                # tasks of one lane run back to back: order rows by (lane, task, turn)
                order = np.lexsort((turn, task, lane[task]))
                lane_of = lane[task][order]
                cs = np.cumsum(gap[order])
                lane_start = np.r_[0, np.flatnonzero(lane_of[1:] != lane_of[:-1]) + 1]
                base = np.repeat(
                    cs[lane_start] - gap[order][lane_start], np.diff(np.r_[lane_start, rows])
                )
                t_rel = np.empty(rows, dtype=np.int64)
                t_rel[order] = (cs - base).astype(np.int64)
                loc_l.append(lane[task] % size)
                ts_l.append(int(s0) + t_rel + int(rng.uniform(0, 20) * SEC))
                turn_l.append(turn)
                task_l.append(task)
                conv_l.append(w.new_convs(n_tasks)[task])
                mdl_l.append(np.full(rows, mdl))
            local, ts = np.concatenate(loc_l), np.concatenate(ts_l)
            turn, task = np.concatenate(turn_l), np.concatenate(task_l)
            m = len(local)
            if harness == "tau":
                prompt = a.tau_turns.take(pa.array(a.tau_off[task] + turn))
                dom = a.tau_dom[task]
                tools = np.asarray(a.tau_tools)[dom]
                c = Content(prompt, tools, heavy(rng, m, 120, 0.7), pa.nulls(m, pa.string()))
                sysid, max_tok = tau_sys[dom], 4096
            else:
                c = w.content(rng, ["oss_obs"], np.zeros(m, np.int64))
                first_msg = cat(
                    P.SWE_HARNESS_TASK[0], a.swe_ic.take(pa.array(task)), P.SWE_HARNESS_TASK[1]
                )
                c.prompt = pc.if_else(pa.array(turn == 0), first_msg, c.prompt)
                c.tools[:] = 4
                sysid, max_tok = np.full(m, swe_sys[0]), 8192
            for sv in np.unique(sysid):  # system prompt follows the task's domain
                sel = np.flatnonzero(sysid == sv)
                hs = dataclasses.replace(h, system=np.full(size, sv), sys_p=np.ones(size))
                cs_ = Content(
                    c.prompt.take(pa.array(sel)),
                    c.tools[sel],
                    c.out[sel],
                    c.response.take(pa.array(sel)),
                )
                w.emit(
                    rng,
                    hs,
                    local[sel],
                    ts[sel],
                    cs_,
                    conv=np.concatenate(conv_l)[sel],
                    turn=turn[sel],
                    hist_per_turn=900,
                    model=np.concatenate(mdl_l)[sel],
                    temp=np.zeros(len(sel)),
                    temp_noise=0.0,  # a harness pins temperature 0
                    max_tok=np.full(len(sel), max_tok),
                )


Population = Callable[[World, Rng], None]
POPULATIONS: dict[str, Population] = {
    "developer": developers,
    "small_app": small_apps,
    "eval_team": eval_teams,
    "etl_batch": etl_batch,
    "coding_agent": coding_agent,
    "university": university,
    "reseller": reseller,
    "synthetic_data": synthetic_data,
    "enterprise": enterprise,
    "hc-mosaic": mosaic,
    "hc-lockstep": lockstep,
    "hc-hydra": hydra,
    "hc-polyglot": polyglot,
    "hc-trickle": trickle,
    "oss_agent": oss_agent,
    "harness_team": harness_teams,
    "hc-sweep": sweep,
}

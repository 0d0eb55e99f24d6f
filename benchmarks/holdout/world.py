"""The generator's world: accounts, network infrastructure, content builders and the part emitter.

Population code in ``populations.py`` creates accounts here, decides *when* each account sends
requests, and hands the rows to ``World.emit``, which fills every other column from account-level
habits (keys, client, IPs, model preference, sampling settings) and the content builders.
Everything that touches requests is columnar (NumPy / Arrow); loops run over accounts, pools or
populations only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from benchmarks.holdout import phrasing as P
from benchmarks.holdout.corpora import Corpora

SEC = 1_000_000
HOUR = 3600 * SEC
DAY = 24 * HOUR
START_US = 1_777_852_800 * SEC  # 2026-05-04T00:00:00Z, a Monday

MODELS = ["helix-4", "helix-4-mini", "helix-3.7", "helix-4.5"]
NEW_MODEL = 3

# (asn, country, kind): r residential, m mobile, d datacenter/cloud, u university network
ASNS: list[tuple[int, str, str]] = [
    (7922, "US", "r"),
    (20115, "US", "r"),
    (7018, "US", "r"),
    (701, "US", "r"),
    (22773, "US", "r"),
    (3320, "DE", "r"),
    (3209, "DE", "r"),
    (2856, "GB", "r"),
    (5089, "GB", "r"),
    (3215, "FR", "r"),
    (12322, "FR", "r"),
    (3352, "ES", "r"),
    (3269, "IT", "r"),
    (1136, "NL", "r"),
    (812, "CA", "r"),
    (577, "CA", "r"),
    (1221, "AU", "r"),
    (4713, "JP", "r"),
    (2516, "JP", "r"),
    (4766, "KR", "r"),
    (9318, "KR", "r"),
    (3462, "TW", "r"),
    (55836, "IN", "r"),
    (24560, "IN", "r"),
    (27699, "BR", "r"),
    (28573, "BR", "r"),
    (8151, "MX", "r"),
    (12389, "RU", "r"),
    (9121, "TR", "r"),
    (7552, "VN", "r"),
    (7713, "ID", "r"),
    (9299, "PH", "r"),
    (4134, "CN", "r"),
    (4837, "CN", "r"),
    (4760, "HK", "r"),
    (5617, "PL", "r"),
    (5432, "BE", "r"),
    (3303, "CH", "r"),
    (8551, "IL", "r"),
    (5384, "AE", "r"),
    (16637, "ZA", "r"),
    (9506, "SG", "r"),
    (6849, "UA", "r"),
    (8452, "EG", "r"),
    (10620, "CO", "r"),
    (21928, "US", "m"),
    (6167, "US", "m"),
    (45609, "IN", "m"),
    (26599, "BR", "m"),
    (9605, "JP", "m"),
    (17858, "KR", "m"),
    (9808, "CN", "m"),
    (8359, "RU", "m"),
    (3651, "DE", "m"),
    (16509, "US", "d"),
    (16509, "DE", "d"),
    (16509, "SG", "d"),
    (15169, "US", "d"),
    (8075, "US", "d"),
    (8075, "NL", "d"),
    (14061, "US", "d"),
    (24940, "DE", "d"),
    (24940, "FI", "d"),
    (16276, "FR", "d"),
    (16276, "CA", "d"),
    (63949, "US", "d"),
    (20473, "US", "d"),
    (45102, "SG", "d"),
    (132203, "HK", "d"),
    (31898, "US", "d"),
    (13335, "US", "d"),
    (396982, "US", "d"),
    (680, "DE", "u"),
    (2152, "US", "u"),
]
TZ = {
    "US": -6,
    "CA": -5,
    "MX": -6,
    "BR": -3,
    "CO": -5,
    "GB": 0,
    "DE": 1,
    "FR": 1,
    "ES": 1,
    "IT": 1,
    "NL": 1,
    "BE": 1,
    "CH": 1,
    "PL": 1,
    "FI": 2,
    "UA": 2,
    "IL": 2,
    "EG": 2,
    "ZA": 2,
    "TR": 3,
    "RU": 3,
    "AE": 4,
    "IN": 5,
    "VN": 7,
    "ID": 7,
    "CN": 8,
    "HK": 8,
    "TW": 8,
    "SG": 8,
    "PH": 8,
    "JP": 9,
    "KR": 9,
    "AU": 10,
}
# local-hour activity of people at work or at home (index = local hour)
HOUR_PMF = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 4, 6, 7, 7, 6, 6.5, 7, 7, 6.5, 5.5, 4.5, 4, 4, 3.5, 2.5, 1.5]
)
HOUR_PMF = HOUR_PMF / HOUR_PMF.sum()

# client libraries: (user agent, TLS stack). Several libraries share one TLS stack.
CLIENTS: list[tuple[str, str]] = [
    ("helix-python/1.42.0", "py-openssl3"),
    ("helix-python/1.39.2", "py-openssl3"),
    ("helix-python/1.44.1", "py-openssl3"),
    ("python-httpx/0.28.1", "py-openssl3"),
    ("python-requests/2.32.3", "py-openssl3"),
    ("aiohttp/3.10.5", "py-openssl3"),
    ("helix-node/4.8.1", "node22"),
    ("helix-node/4.9.0", "node22"),
    ("axios/1.7.7", "node22"),
    ("undici/6.19.8", "node20"),
    ("curl/8.7.1", "curl"),
    ("Go-http-client/2.0", "go"),
    ("helix-go/0.7.2", "go"),
    ("okhttp/4.12.0", "android"),
    ("Java-http-client/21", "java"),
    ("langchain-helix/0.3.4", "py-openssl3"),
    ("litellm/1.61.0", "py-openssl3"),
    ("helix-cli/0.9.3", "node22"),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/136.0.0.0 Safari/537.36",
        "chrome",
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.5 Safari/605.1.15",
        "safari",
    ),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "firefox"),
    ("relaybridge-gateway/3.2", "go"),
    ("tessera-proxy/1.8", "py-openssl3"),
    ("PostmanRuntime/7.42.0", "node20"),
    ("marlin/0.21.3 (+https://marlin-agent.org)", "node22"),
    ("marlin/0.22.0 (+https://marlin-agent.org)", "node22"),
]
UA_OSS_AGENT = [24, 25]
UA_SDK_PY = [0, 1, 2, 3, 4, 5, 15, 16]
UA_SDK_JS = [6, 7, 8, 9, 17]
UA_SDK = UA_SDK_PY + UA_SDK_JS + [10, 11, 12, 13, 14]
UA_BROWSER = [18, 19, 20, 23]


def _fp(name: str) -> str:
    return hashlib.md5(f"tls:{name}".encode()).hexdigest()


TLS_NAMES = sorted({t for _, t in CLIENTS} | {"py-openssl1", "chrome-old", "rust-rustls"})
TLS_OF_UA = np.array([TLS_NAMES.index(t) for _, t in CLIENTS])

STATUS = ["ok", "error", "refused"]
HEX16 = pa.array([f"{i:x}" for i in range(65536)])


def cat(*parts: pa.Array | pa.Scalar | str) -> pa.Array:
    """Row-wise string concatenation of arrays (scalars broadcast)."""
    args = [pa.scalar(p) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, "")


def pick_frames(
    rng: np.random.Generator, frames: Sequence[Sequence[str]], n: int
) -> list[pa.Array]:
    """Choose one frame per row; return one Arrow array per frame slot."""
    idx = pa.array(rng.integers(0, len(frames), n))
    return [pa.array([f[k] for f in frames]).take(idx) for k in range(len(frames[0]))]


def choose(rng: np.random.Generator, n: int, probs: Sequence[float]) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def seps(
    rng: np.random.Generator, n: int, options: Sequence[str] = (" ", "\n", "\n\n")
) -> pa.Array:
    return pa.array(list(options)).take(pa.array(rng.integers(0, len(options), n)))


def to_str(x: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(x), pa.string())


@dataclass
class Content:
    prompt: pa.Array
    tools: np.ndarray
    out: np.ndarray
    response: pa.Array


@dataclass
class Account:
    persona: str
    label: str
    campaign: str | None
    org: int | None
    payment: int | None
    email: str | None
    created_us: int


@dataclass
class Habits:
    """Per-account client habits for one block of accounts (arrays aligned with ``gidx``)."""

    gidx: np.ndarray
    ips: np.ndarray  # (n, 4) ip-table rows
    ipw: np.ndarray  # (n, 4) cumulative weights
    key0: np.ndarray
    nkeys: np.ndarray
    ua: np.ndarray
    ua2: np.ndarray
    model_p: np.ndarray  # (n, 3) cumulative over MODELS[:3]
    lag_h: np.ndarray
    adopt: np.ndarray
    temp: np.ndarray
    max_tok: np.ndarray
    system: np.ndarray  # index into World.systems, -1 none
    sys_p: np.ndarray
    no_conv: np.ndarray  # client never sends a conversation id


@dataclass
class Part:
    columns: dict[str, pa.Array | np.ndarray]
    attack: bool
    campaign: str | None


@dataclass
class World:
    seed: int
    scale: float
    days: int
    corp: Corpora
    accounts: list[Account] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    systems: list[str] = field(default_factory=list)
    ip_chunks: list[pa.Array] = field(default_factory=list)
    ip_asn: list[np.ndarray] = field(default_factory=list)
    ip_cc: list[np.ndarray] = field(default_factory=list)
    n_ip: int = 0
    n_conv: int = 0
    n_keys: int = 0
    n_orgs: int = 0
    n_pay: int = 0

    def __post_init__(self) -> None:
        rng = np.random.default_rng([self.seed, 7])
        firsts = np.array([x for x in range(11, 224) if x not in (127, 172, 192, 198, 100, 169)])
        self.blk_a = rng.choice(firsts, size=(len(ASNS), 6))
        self.blk_b = rng.integers(0, 256, size=(len(ASNS), 6))
        self.v6 = [f"2{rng.integers(0x400, 0x600):03x}:{rng.integers(0, 65536):x}" for _ in ASNS]
        self.cc_names = sorted({cc for _, cc, _ in ASNS})
        self.asn_cc = np.array([self.cc_names.index(cc) for _, cc, _ in ASNS])
        self.kind = np.array([k for _, _, k in ASNS])
        self.end_us = START_US + self.days * DAY
        self.release_us = START_US + int(self.days * 0.6) * DAY + 17 * HOUR

    # ------------------------------------------------------------- identities and infrastructure
    def n(self, base: float, minimum: int = 1) -> int:
        return max(minimum, round(base * self.scale))

    def asn_rows(self, kind: str, cc: str | None = None) -> np.ndarray:
        mask = self.kind == kind
        if cc is not None:
            mask &= np.array([c == cc for _, c, _ in ASNS])
        return np.flatnonzero(mask)

    def new_ips(
        self, rng: np.random.Generator, rows: np.ndarray, v6_share: float = 0.0
    ) -> np.ndarray:
        """Random hosts inside the given ASN rows; returns ip-table indices."""
        n = len(rows)
        blk = rng.integers(0, 6, n)
        octs = [self.blk_a[rows, blk], self.blk_b[rows, blk], rng.integers(0, 256, n)]
        octs.append(rng.integers(1, 255, n))
        ip = pc.binary_join_element_wise(*[to_str(o) for o in octs], ".")
        v6 = rng.random(n) < v6_share
        if v6.any():
            g = [HEX16.take(pa.array(rng.integers(0, 65536, n))) for _ in range(4)]
            pre = pa.array(self.v6).take(pa.array(rows))
            six = cat(pre, ":", g[0], ":", g[1], ":", g[2], ":", g[3])
            ip = pc.if_else(pa.array(v6), six, ip)
        return self._add_ips(ip, rows)

    def new_ips_in24(self, rng: np.random.Generator, row: int, n_hosts: int) -> np.ndarray:
        """Hosts inside one /24 of one ASN (an organisation's egress range)."""
        b = rng.integers(0, 6)
        prefix = f"{self.blk_a[row, b]}.{self.blk_b[row, b]}.{rng.integers(0, 256)}."
        hosts = rng.choice(np.arange(2, 254), size=n_hosts, replace=False)
        ip = cat(prefix, to_str(hosts))
        return self._add_ips(ip, np.full(n_hosts, row))

    def _add_ips(self, ip: pa.Array, rows: np.ndarray) -> np.ndarray:
        self.ip_chunks.append(ip)
        self.ip_asn.append(np.array([ASNS[r][0] for r in range(len(ASNS))])[rows])
        self.ip_cc.append(self.asn_cc[rows])
        idx = np.arange(self.n_ip, self.n_ip + len(ip))
        self.n_ip += len(ip)
        return idx

    def add_accounts(
        self,
        persona: str,
        n: int,
        *,
        label: str = "benign",
        campaign: str | None = None,
        org: Sequence[int | None] | None = None,
        payment: Sequence[int | None] | None = None,
        email: Sequence[str | None],
        created_us: np.ndarray,
    ) -> np.ndarray:
        """Register ``n`` accounts; missing org/payment get personal ones. Returns global ids."""
        first = len(self.accounts)
        orgs = list(org) if org is not None else [self.new_org() for _ in range(n)]
        pays = list(payment) if payment is not None else [self.new_pay() for _ in range(n)]
        for i in range(n):
            self.accounts.append(
                Account(persona, label, campaign, orgs[i], pays[i], email[i], int(created_us[i]))
            )
        return np.arange(first, first + n)

    def new_org(self) -> int:
        self.n_orgs += 1
        return self.n_orgs

    def new_pay(self) -> int:
        self.n_pay += 1
        return self.n_pay

    def new_convs(self, n: int) -> np.ndarray:
        out = np.arange(self.n_conv, self.n_conv + n)
        self.n_conv += n
        return out

    def system_ids(self, texts: Sequence[str]) -> np.ndarray:
        ids = []
        for t in texts:
            if t not in self.systems:
                self.systems.append(t)
            ids.append(self.systems.index(t))
        return np.array(ids, dtype=np.int64)

    def habits(
        self,
        rng: np.random.Generator,
        gidx: np.ndarray,
        ips: np.ndarray,
        ipw: np.ndarray | None = None,
        *,
        ua: np.ndarray,
        ua2: np.ndarray | None = None,
        model_p: Sequence[float] = (0.6, 0.35, 0.05),
        model_conc: float = 4.0,
        lag_h: np.ndarray | None = None,
        adopt: np.ndarray | None = None,
        temp: Sequence[float] = (np.nan, 0.0, 0.2, 0.7, 1.0),
        temp_p: Sequence[float] = (0.45, 0.15, 0.1, 0.2, 0.1),
        max_tok: Sequence[int] = (-1, 512, 1024, 2048, 4096, 8192),
        max_tok_p: Sequence[float] = (0.35, 0.1, 0.2, 0.15, 0.15, 0.05),
        system: np.ndarray | None = None,
        sys_p: float = 0.0,
        nkeys: np.ndarray | None = None,
        no_conv: float = 0.15,
    ) -> Habits:
        n = len(gidx)
        ips = np.asarray(ips).reshape(n, -1)
        if ips.shape[1] < 4:
            ips = np.concatenate([ips, np.repeat(ips[:, :1], 4 - ips.shape[1], axis=1)], axis=1)
        if ipw is None:
            ipw = rng.dirichlet(np.full(4, 0.7), n)
        mp = rng.dirichlet(np.asarray(model_p) * model_conc + 0.05, n)
        key_n = nkeys if nkeys is not None else rng.choice([1, 1, 1, 2, 2, 3], n)
        key0 = self.n_keys + np.cumsum(key_n) - key_n
        self.n_keys += int(key_n.sum())
        return Habits(
            gidx=gidx,
            ips=ips[:, :4],
            ipw=np.cumsum(ipw, axis=1) / ipw.sum(axis=1, keepdims=True),
            key0=key0,
            nkeys=key_n,
            ua=ua,
            ua2=ua2 if ua2 is not None else rng.choice(UA_SDK + UA_BROWSER, n),
            model_p=np.cumsum(mp, axis=1),
            lag_h=lag_h if lag_h is not None else rng.exponential(72, n) + 2,
            adopt=adopt if adopt is not None else rng.beta(1.5, 4, n),
            temp=np.asarray(temp)[choose(rng, n, temp_p)],
            max_tok=np.asarray(max_tok)[choose(rng, n, max_tok_p)],
            system=system if system is not None else np.full(n, -1),
            sys_p=np.full(n, sys_p),
            no_conv=rng.random(n) < no_conv,
        )

    # ------------------------------------------------------------- content
    def content(
        self,
        rng: np.random.Generator,
        kinds: Sequence[str],
        which: np.ndarray,
        payload: np.ndarray | None = None,
        langs: Sequence[str] = ("zh",),
    ) -> Content:
        """Build prompts: row i uses builder ``kinds[which[i]]`` (optional fixed payload)."""
        n = len(which)
        order = np.argsort(which, kind="stable")
        inv = np.empty(n, dtype=np.int64)
        inv[order] = np.arange(n)
        chunks: list[Content] = []
        for k, name in enumerate(kinds):
            sel = order[which[order] == k]
            if len(sel) == 0:
                continue
            pl = payload[sel] if payload is not None else None
            chunks.append(BUILDERS[name](self, rng, len(sel), pl, langs))
        if not chunks:
            empty = pa.array([], pa.string())
            return Content(empty, np.zeros(0, np.int64), np.zeros(0, np.int64), empty)
        take = pa.array(inv)
        return Content(
            prompt=pa.concat_arrays([c.prompt for c in chunks]).take(take),
            tools=np.concatenate([c.tools for c in chunks])[inv],
            out=np.concatenate([c.out for c in chunks])[inv],
            response=pa.concat_arrays([c.response for c in chunks]).take(take),
        )

    # ------------------------------------------------------------- emitting rows
    def emit(
        self,
        rng: np.random.Generator,
        h: Habits,
        local: np.ndarray,
        ts: np.ndarray,
        content: Content,
        *,
        conv: np.ndarray | None = None,
        turn: np.ndarray | None = None,
        hist_per_turn: float = 350.0,
        ip: np.ndarray | None = None,
        ua: np.ndarray | None = None,
        refuse: float = 0.003,
        error: float = 0.008,
        attack: bool = False,
        campaign: str | None = None,
        model: np.ndarray | None = None,
        temp: np.ndarray | None = None,
        max_tok: np.ndarray | None = None,
        temp_noise: float = 0.05,
    ) -> None:
        """Fill a part from per-row account positions ``local`` (index into ``h``) and times."""
        keep = (ts >= START_US) & (ts < self.end_us)
        n_all = len(ts)

        def k(a: np.ndarray) -> np.ndarray:
            return a[keep]

        local, ts = k(local), k(ts)
        n = len(ts)
        kp = pa.array(np.flatnonzero(keep)) if n != n_all else None
        prompt = content.prompt.take(kp) if kp is not None else content.prompt
        response = content.response.take(kp) if kp is not None else content.response
        tools, out = k(content.tools), k(content.out)
        conv = k(conv) if conv is not None else np.full(n, -1)
        turn = k(turn) if turn is not None else np.zeros(n, np.int64)
        conv = np.where(h.no_conv[local], -1, conv)
        if ip is None:
            col = (rng.random(n)[:, None] > h.ipw[local]).sum(axis=1).clip(0, 3)
            ip = h.ips[local, col]
        else:
            ip = k(ip)
        ua = np.where(rng.random(n) < 0.93, h.ua[local], h.ua2[local]) if ua is None else k(ua)
        if model is None:
            u = rng.random(n)
            mcol = (u[:, None] > h.model_p[local]).sum(axis=1).clip(0, 2)
            ramp = np.clip((ts - self.release_us - h.lag_h[local] * HOUR) / (6 * HOUR), 0, 1)
            model = np.where(rng.random(n) < h.adopt[local] * ramp, NEW_MODEL, mcol)
        else:
            model = k(model)
        t = k(temp) if temp is not None else h.temp[local]
        t = np.where(rng.random(n) < temp_noise, np.round(rng.random(n), 1), t)  # client overrides
        mt = k(max_tok) if max_tok is not None else h.max_tok[local]
        sys_idx = np.where(rng.random(n) < h.sys_p[local], h.system[local], -1)
        u = rng.random(n)
        status = np.where(u < error, 1, np.where(u < error + refuse, 2, 0))
        out = np.where(status == 0, out, np.where(status == 2, rng.integers(12, 60, n), 0))
        hist = (turn * hist_per_turn * rng.uniform(0.5, 1.5, n)).astype(np.int64)
        key = h.key0[local] + (rng.random(n) * h.nkeys[local]).astype(np.int64)
        cols: dict[str, pa.Array | np.ndarray] = {
            "acct": h.gidx[local],
            "ts": ts,
            "model": model,
            "conv": conv,
            "turn": turn,
            "prompt": prompt,
            "system": sys_idx,
            "tools": tools,
            "max_tokens": mt,
            "temperature": t,
            "out": out,
            "hist": hist,
            "response": response,
            "ip": ip,
            "ua": ua,
            "key": key,
            "status": status,
        }
        self.parts.append(Part(cols, attack, campaign))


# ---------------------------------------------------------------- content builders
def _idx(rng: np.random.Generator, n: int, size: int, fixed: np.ndarray | None) -> pa.Array:
    return pa.array(fixed % size if fixed is not None else rng.integers(0, size, n))


def _lognorm(rng: np.random.Generator, n: int, median: float, sigma: float) -> np.ndarray:
    return np.maximum(1, rng.lognormal(np.log(median), sigma, n)).astype(np.int64)


def _null(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


Builder = Callable[[World, np.random.Generator, int, "np.ndarray | None", Sequence[str]], Content]


def _framed(
    frames: Sequence[Sequence[str]], pool: str, median: float, sigma: float = 0.6
) -> Builder:
    def build(
        w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, _: Sequence[str]
    ) -> Content:
        src: pa.Array = getattr(w.corp, pool)
        i = _idx(rng, n, len(src), fx)
        f = pick_frames(rng, frames, n)
        return Content(
            cat(f[0], src.take(i), f[1]),
            np.zeros(n, np.int64),
            _lognorm(rng, n, median, sigma),
            _null(n),
        )

    return build


def b_chat(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, _: Sequence[str]
) -> Content:
    i = _idx(rng, n, len(w.corp.chat), fx)
    pre = pa.array(P.CASUAL_PRE).take(pa.array(rng.integers(0, len(P.CASUAL_PRE), n)))
    post = pa.array(P.CASUAL_POST).take(pa.array(rng.integers(0, len(P.CASUAL_POST), n)))
    return Content(
        cat(pre, w.corp.chat.take(i), post),
        np.zeros(n, np.int64),
        _lognorm(rng, n, 220, 0.7),
        _null(n),
    )


def b_code(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, _: Sequence[str]
) -> Content:
    i = _idx(rng, n, len(w.corp.code), fx)
    f = pick_frames(rng, P.CODE_HELP, n)
    return Content(
        cat(f[0], w.corp.code.take(i), f[1]),
        np.zeros(n, np.int64),
        _lognorm(rng, n, 320, 0.6),
        w.corp.code_sol.take(i),
    )


def b_tool(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, _: Sequence[str]
) -> Content:
    i = _idx(rng, n, len(w.corp.tool_q), fx)
    tools = w.corp.tool_n[i.to_numpy()] + rng.choice([0, 0, 1, 3], n)
    return Content(w.corp.tool_q.take(i), tools, _lognorm(rng, n, 90, 0.6), _null(n))


def b_math_student(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, _: Sequence[str]
) -> Content:
    i = _idx(rng, n, len(w.corp.math_q), fx)
    q, a = w.corp.math_q.take(i), w.corp.math_a.take(i)
    f = pick_frames(rng, P.STUDENT_MATH, n)
    g = pick_frames(rng, P.STUDENT_CHECK, n)
    plain = cat(f[0], q, f[1])
    check = pc.if_else(
        pc.equal(g[0], "I got "),
        cat(g[0], a, g[1], q),
        cat(q, g[1], a, g[2]),
    )
    prompt = pc.if_else(pa.array(rng.random(n) < 0.15), check, plain)
    return Content(
        prompt, np.zeros(n, np.int64), _lognorm(rng, n, 330, 0.5), w.corp.math_sol.take(i)
    )


def b_ml_casual(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, _: Sequence[str]
) -> Content:
    i = _idx(rng, n, len(w.corp.math_q), fx)
    j = pa.array(rng.integers(0, len(w.corp.chat), n))
    src = pc.if_else(pa.array(rng.random(n) < 0.5), w.corp.math_q.take(i), w.corp.chat.take(j))
    f = pick_frames(rng, P.ML_CASUAL, n)
    return Content(
        cat(f[0], src, f[1]), np.zeros(n, np.int64), _lognorm(rng, n, 300, 0.6), _null(n)
    )


def b_eval_judge(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, _: Sequence[str]
) -> Content:
    i = _idx(rng, n, len(w.corp.math_q), fx)
    j = P.EVAL_JUDGE
    prompt = cat(
        j[0],
        w.corp.math_q.take(i),
        j[1],
        w.corp.math_a.take(i),
        j[2],
        w.corp.math_sol.take(i),
        j[3],
    )
    return Content(prompt, np.zeros(n, np.int64), _lognorm(rng, n, 35, 0.4), _null(n))


def b_etl(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, _: Sequence[str]
) -> Content:
    i = _idx(rng, n, len(w.corp.support), fx)
    j = pa.array(rng.integers(0, len(w.corp.chat), n))
    doc = pc.if_else(pa.array(rng.random(n) < 0.6), w.corp.support.take(i), w.corp.chat.take(j))
    return Content(
        cat(P.ETL_TEMPLATE, doc), np.zeros(n, np.int64), _lognorm(rng, n, 70, 0.25), _null(n)
    )


def b_synth(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, _: Sequence[str]
) -> Content:
    i = _idx(rng, n, len(w.corp.math_q), fx)
    j = pa.array(rng.integers(0, len(w.corp.code), n))
    f = pick_frames(rng, P.SYNTH_TEMPLATES, n)
    is_code = pc.equal(f[0], P.SYNTH_TEMPLATES[2][0])
    src = pc.if_else(is_code, w.corp.code.take(j), w.corp.math_q.take(i))
    return Content(
        cat(f[0], src, f[1]), np.zeros(n, np.int64), _lognorm(rng, n, 900, 0.35), _null(n)
    )


def _lines(pool: Sequence[str], median: float) -> Builder:
    def build(
        w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, _: Sequence[str]
    ) -> Content:
        p = pa.array(list(pool)).take(pa.array(rng.integers(0, len(pool), n)))
        return Content(p, np.zeros(n, np.int64), _lognorm(rng, n, median, 0.9), _null(n))

    return build


def b_trace(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, _: Sequence[str]
) -> Content:
    i = _idx(rng, n, len(w.corp.math_q), fx)
    o = pa.array(P.TRACE_OPEN).take(pa.array(rng.integers(0, len(P.TRACE_OPEN), n)))
    fm = pa.array(P.TRACE_FMT).take(pa.array(rng.integers(0, len(P.TRACE_FMT), n)))
    c = pick_frames(rng, P.TRACE_CORE, n)
    math = cat(
        o,
        seps(rng, n),
        c[0],
        w.corp.math_q.take(i),
        c[1],
        w.corp.math_a.take(i),
        c[2],
        seps(rng, n),
        fm,
    )
    j = pa.array(rng.integers(0, len(w.corp.code), n))
    d = pick_frames(rng, P.CODE_TRACE, n)
    code = cat(d[0], w.corp.code.take(j), d[1], w.corp.code_sol.take(j), d[2])
    use_code = pa.array(rng.random(n) < 0.25)
    prompt = pc.utf8_trim_whitespace(pc.if_else(use_code, code, math))
    resp = pc.if_else(use_code, _null(n), w.corp.math_sol.take(i))
    return Content(prompt, np.zeros(n, np.int64), _lognorm(rng, n, 1000, 0.45), resp)


def b_trace_ml(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, langs: Sequence[str]
) -> Content:
    i = _idx(rng, n, len(w.corp.math_q), fx)
    frames = [f for lang in langs for f in P.ML_CORE[lang]]
    c = pick_frames(rng, frames, n)
    math = cat(c[0], w.corp.math_q.take(i), c[1], w.corp.math_a.take(i), c[2])
    j = pa.array(rng.integers(0, len(w.corp.write_zh), n))
    z = pick_frames(rng, P.ZH_WRITE_COERCE, n)
    write = cat(z[0], w.corp.write_zh.take(j), z[1])
    use_w = pa.array(rng.random(n) < (0.3 if "zh" in langs else 0.0))
    return Content(
        pc.if_else(use_w, write, math),
        np.zeros(n, np.int64),
        _lognorm(rng, n, 1100, 0.45),
        _null(n),
    )


def b_grade(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, _: Sequence[str]
) -> Content:
    i = _idx(rng, n, len(w.corp.math_q), fx)
    j = pa.array(rng.integers(0, len(w.corp.code), n))
    g = pick_frames(rng, P.GRADE, n)
    use_code = pa.array(rng.random(n) < 0.35)
    task = pc.if_else(use_code, w.corp.code.take(j), w.corp.math_q.take(i))
    sol = pc.if_else(use_code, w.corp.code_sol.take(j), w.corp.math_sol.take(i))
    return Content(
        cat(g[0], task, g[1], sol, g[2]),
        np.zeros(n, np.int64),
        _lognorm(rng, n, 420, 0.4),
        _null(n),
    )


def b_agentic(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, _: Sequence[str]
) -> Content:
    i = _idx(rng, n, len(w.corp.tool_q), fx)
    f = pick_frames(rng, P.AGENTIC, n)
    tools = w.corp.tool_n[i.to_numpy()] + rng.integers(2, 9, n)
    return Content(
        cat(f[0], w.corp.tool_q.take(i), f[1]), tools, _lognorm(rng, n, 300, 0.5), _null(n)
    )


# ---------------------------------------------------------------- agentic builders (issue 12)
def _pick(rng: np.random.Generator, pool: Sequence[str], n: int) -> pa.Array:
    return pa.array(list(pool)).take(pa.array(rng.integers(0, len(pool), n)))


def toolset_size(base: np.ndarray, variant: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Tool count sent with a grid cell: the environment's full set, a lean half, or extended."""
    lean = np.maximum(2, base // 2)
    ext = base + rng.integers(3, 7, len(base))
    out: np.ndarray = np.where(variant == 1, lean, np.where(variant == 2, ext, base))
    return out


def b_sweep_traj(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, langs: Sequence[str]
) -> Content:
    """One-shot trajectory synthesis; payload = task * 3 + tool-set variant."""
    a = w.corp.agentic
    fx = fx if fx is not None else rng.integers(0, len(a.task) * 3, n)
    task, variant = (fx // 3) % len(a.task), fx % 3
    frames = [f for lang in langs for f in P.TRAJ[lang]]
    f = pick_frames(rng, frames, n)
    env = pa.array(a.env_names).take(pa.array(a.task_env[task]))
    head = cat(
        "Toolset: ", pa.array(P.TOOLSET_NAMES).take(pa.array(variant)), " | Env: ", env, "\n"
    )
    head = pc.if_else(pa.array(rng.random(n) < 0.45), head, pa.scalar(""))
    prompt = cat(head, f[0], a.task.take(pa.array(task)), f[1], _pick(rng, P.TRAJ_TAIL, n))
    tools = toolset_size(a.task_tools[task], variant, rng)
    return Content(prompt, tools, _lognorm(rng, n, 1900, 0.4), _null(n))


def b_sweep_step(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, langs: Sequence[str]
) -> Content:
    """Long-horizon decomposition step in a new conversation; payload = (task*64 + k)*64 + total."""
    a = w.corp.agentic
    fx = fx if fx is not None else rng.integers(0, len(a.task) * 4096, n)
    task, k, total = (fx // 4096) % len(a.task), (fx // 64) % 64, np.maximum(fx % 64, 1)
    lang = langs[0] if langs[0] in P.STEP_HEAD else "en"
    done1, done2 = _pick(rng, P.STEP_DONE, n), _pick(rng, P.STEP_DONE, n)
    todo = _pick(rng, P.STEP_OPEN, n)
    ks, ts_ = to_str(k + 1), to_str(total)
    fmt = rng.integers(0, 3, n)
    as_json = cat(
        '{"step": ',
        ks,
        ', "of": ',
        ts_,
        ', "done": ["',
        done1,
        '", "',
        done2,
        '"], "next": "',
        todo,
        '"}',
    )
    as_md = cat(
        "## Progress (", ks, "/", ts_, ")\n- [x] ", done1, "\n- [x] ", done2, "\n- [ ] ", todo
    )
    as_txt = cat(
        "STATE: finished ", to_str(k), " of ", ts_, " sub-tasks; last: ", done2, "; current: ", todo
    )
    state = pc.if_else(pa.array(fmt == 0), as_json, pc.if_else(pa.array(fmt == 1), as_md, as_txt))
    prompt = cat(
        _pick(rng, P.STEP_HEAD[lang], n),
        state,
        _pick(rng, P.STEP_MID[lang], n),
        a.task.take(pa.array(task)),
        _pick(rng, P.STEP_TAIL[lang], n),
    )
    tools = np.where(rng.random(n) < 0.4, a.task_tools[task], 0)
    return Content(prompt, tools, _lognorm(rng, n, 1300, 0.45), _null(n))


def b_sweep_recon(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, langs: Sequence[str]
) -> Content:
    """Reasoning reconstructed for a supplied answer: agent actions, maths or code."""
    a = w.corp.agentic
    has = np.flatnonzero(pc.is_valid(a.task_answer).to_numpy(zero_copy_only=False))
    fx = fx if fx is not None else rng.integers(0, 1 << 30, n)
    src, i = fx % 3, fx // 3
    ai = pa.array(has[i % len(has)])
    mi = pa.array(i % len(w.corp.math_q))
    ci = pa.array(i % len(w.corp.code))
    is_a, is_m = pa.array(src == 0), pa.array(src == 1)
    task = pc.if_else(
        is_a, a.task.take(ai), pc.if_else(is_m, w.corp.math_q.take(mi), w.corp.code.take(ci))
    )
    ans = pc.if_else(
        is_a,
        a.task_answer.take(ai),
        pc.if_else(is_m, w.corp.math_a.take(mi), w.corp.code_sol.take(ci)),
    )
    frames = [f for lang in langs for f in P.RECON.get(lang, P.RECON["en"])]
    f = pick_frames(rng, frames, n)
    tools = np.where(src == 0, a.task_tools[has[i % len(has)]], 0)
    return Content(cat(f[0], task, f[1], ans, f[2]), tools, _lognorm(rng, n, 1200, 0.4), _null(n))


def b_oss_task(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, _: Sequence[str]
) -> Content:
    """The first message of an open-source agent session: a ticket, a stub, or a chore."""
    a = w.corp.agentic
    src = rng.choice(3, n, p=[0.45, 0.3, 0.25])
    t1 = w.corp.swe.take(pa.array(rng.integers(0, len(w.corp.swe), n)))
    t2 = cat(
        _pick(
            rng,
            [
                "implement this in utils.py\n",
                "make the tests pass for:\n",
                "",
                "finish this function please\n",
            ],
            n,
        ),
        w.corp.code.take(pa.array(rng.integers(0, len(w.corp.code), n))),
    )
    t3 = a.user_turns.take(pa.array(rng.integers(0, len(a.user_turns), n)))
    prompt = pc.if_else(pa.array(src == 0), t1, pc.if_else(pa.array(src == 1), t2, t3))
    return Content(prompt, np.zeros(n, np.int64), _lognorm(rng, n, 260, 0.7), _null(n))


def b_oss_obs(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, _: Sequence[str]
) -> Content:
    """A tool result sent back to the model: file contents, test runs, diffs, records."""
    a = w.corp.agentic
    kind = rng.choice(4, n, p=[0.4, 0.3, 0.15, 0.15])
    src = cat(
        _pick(rng, P.OBS_FILE_HEAD, n), a.files.take(pa.array(rng.integers(0, len(a.files), n)))
    )
    rec = a.obs.take(pa.array(rng.integers(0, len(a.obs), n)))
    rec = pc.if_else(pa.array(rng.random(n) < 0.5), src, rec)
    passed, failed = rng.integers(0, 240, n), rng.integers(0, 4, n)
    secs = to_str(np.round(rng.gamma(2, 1.5, n), 2))
    tests = cat(
        pc.if_else(
            pa.array(failed > 0),
            cat(
                "FAILED tests/test_core.py::test_case_",
                to_str(rng.integers(1, 40, n)),
                " - ",
                _pick(rng, P.OBS_TEST_ERR, n),
                "\n",
            ),
            pa.scalar(""),
        ),
        "==== ",
        to_str(passed),
        " passed, ",
        to_str(failed),
        " failed in ",
        secs,
        "s ====",
    )
    diff = cat(
        " ",
        to_str(rng.integers(1, 9, n)),
        " files changed, ",
        to_str(rng.integers(1, 300, n)),
        " insertions(+), ",
        to_str(rng.integers(0, 90, n)),
        " deletions(-)",
    )
    code = pc.if_else(
        pa.array(rng.random(n) < 0.5),
        pa.scalar("exit code: 0"),
        cat("exit code: 1\n", _pick(rng, P.OBS_TEST_ERR, n)),
    )
    prompt = pc.if_else(
        pa.array(kind == 0),
        rec,
        pc.if_else(pa.array(kind == 1), tests, pc.if_else(pa.array(kind == 2), diff, code)),
    )
    return Content(prompt, np.zeros(n, np.int64), _lognorm(rng, n, 140, 0.8), _null(n))


def b_oss_user(
    w: World, rng: np.random.Generator, n: int, fx: np.ndarray | None, _: Sequence[str]
) -> Content:
    a = w.corp.agentic
    mine = _pick(rng, P.OSS_FOLLOWUPS, n)
    bfcl = a.user_turns.take(pa.array(rng.integers(0, len(a.user_turns), n)))
    prompt = pc.if_else(pa.array(rng.random(n) < 0.6), mine, bfcl)
    return Content(prompt, np.zeros(n, np.int64), _lognorm(rng, n, 200, 0.7), _null(n))


BUILDERS: dict[str, Builder] = {
    "chat": b_chat,
    "code": b_code,
    "tool": b_tool,
    "math": b_math_student,
    "ml_casual": b_ml_casual,
    "swe_dev": _framed(P.SWE_DEV, "swe", 450),
    "write_en": _framed(P.WRITE_EN, "write_en", 750, 0.5),
    "write_zh": _framed(P.WRITE_ZH, "write_zh", 900, 0.5),
    "support": _framed(P.SUPPORT_USER, "support", 150),
    "eval_cot": _framed(P.EVAL_COT, "math_q", 280, 0.35),
    "eval_mcq": _framed(P.EVAL_MCQ, "mcq", 20, 1.2),
    "eval_code": _framed([("", "")], "code", 160, 0.5),
    "eval_judge": b_eval_judge,
    "etl": b_etl,
    "synth": b_synth,
    "agent_follow": _lines(P.AGENT_FOLLOWUPS, 260),
    "chat_follow": _lines(P.CHAT_FOLLOWUPS, 180),
    "atk_trace": b_trace,
    "atk_trace_ml": b_trace_ml,
    "atk_grade": b_grade,
    "atk_tool": b_agentic,
    "atk_swe": _framed(P.SWE_ATTACK, "swe", 1400, 0.4),
    "atk_horizon": _framed(P.HORIZON, "support", 1500, 0.4),
    "sweep_traj": b_sweep_traj,
    "sweep_step": b_sweep_step,
    "sweep_recon": b_sweep_recon,
    "oss_task": b_oss_task,
    "oss_obs": b_oss_obs,
    "oss_user": b_oss_user,
}

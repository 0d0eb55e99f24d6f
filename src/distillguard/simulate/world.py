"""The shared world every persona and campaign draws from: countries and time zones, networks
(ASNs and address ranges), client libraries (user agent + TLS fingerprint), e-mail domains, models,
and bijective id encoding.

Attackers and legitimate users draw from the same tables: no ASN, client or domain here is used by
one side only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Country:
    code: str
    utc_offset: float  # hours, standard time
    residential_asns: tuple[int, ...]


COUNTRIES: tuple[Country, ...] = (
    Country("US", -5, (7922, 7018, 701, 20115, 22773)),
    Country("US", -8, (7922, 7018, 20001, 5650)),
    Country("CA", -5, (812, 577, 852)),
    Country("MX", -6, (8151, 28403)),
    Country("BR", -3, (28573, 18881, 26599)),
    Country("GB", 0, (2856, 5089, 5607)),
    Country("DE", 1, (3320, 3209, 6805)),
    Country("FR", 1, (3215, 12322, 5410)),
    Country("NL", 1, (1136, 33915)),
    Country("ES", 1, (3352, 12479)),
    Country("PL", 1, (5617, 12741)),
    Country("AE", 4, (5384, 15802)),
    Country("IN", 5.5, (55836, 24560, 45609)),
    Country("SG", 8, (9506, 4657)),
    Country("HK", 8, (4760, 9269)),
    Country("JP", 9, (4713, 2516, 17676)),
    Country("KR", 9, (4766, 9318)),
    Country("AU", 10, (1221, 4804)),
)
COUNTRY_CODES = tuple(c.code for c in COUNTRIES)


def country_index(*codes: str) -> tuple[int, ...]:
    """Indices into :data:`COUNTRIES` of every entry with one of these codes."""
    return tuple(i for i, c in enumerate(COUNTRIES) if c.code in codes)


# Global mix of legitimate API developers by country entry (weights, same order as COUNTRIES).
DEVELOPER_MIX: tuple[float, ...] = (
    0.20,
    0.12,
    0.04,
    0.02,
    0.04,
    0.08,
    0.07,
    0.05,
    0.03,
    0.03,
    0.02,
    0.01,
    0.1,
    0.03,
    0.02,
    0.04,
    0.03,
    0.03,
)

# Cloud and hosting networks: (asn, first octets used for its address ranges).
DATACENTER_ASNS: tuple[tuple[int, tuple[int, ...]], ...] = (
    (16509, (3, 18, 52, 54)),  # Amazon
    (14618, (34, 44, 100)),  # Amazon (us-east)
    (15169, (34, 35)),  # Google
    (396982, (34, 35, 104)),  # Google Cloud
    (8075, (20, 40, 52)),  # Microsoft Azure
    (14061, (104, 159, 164)),  # DigitalOcean
    (24940, (65, 88, 95)),  # Hetzner
    (16276, (51, 54, 137)),  # OVH
    (63949, (45, 139, 172)),  # Akamai / Linode
    (20473, (45, 66, 149)),  # Vultr
    (31898, (129, 130, 132)),  # Oracle Cloud
    (45102, (47, 8)),  # Alibaba Cloud
    (13335, (104, 172)),  # Cloudflare (WARP egress)
)
DC_ASN = np.array([a for a, _ in DATACENTER_ASNS], np.int64)

# National research and education networks (university campuses).
RESEARCH_ASNS: tuple[int, ...] = (11537, 786, 680, 2200, 7575)


def _first_octets(asn: int) -> tuple[int, ...]:
    for a, octets in DATACENTER_ASNS:
        if a == asn:
            return octets
    # Residential ranges: a stable spread of first octets derived from the ASN number.
    return (24 + asn % 50, 64 + asn % 60, 176 + asn % 40)


def make_ips(
    rng: np.random.Generator, asns: np.ndarray, *, subnets_per_asn: int = 64
) -> pa.StringArray:
    """One IPv4 address per entry of ``asns``, inside a range that belongs to that ASN.

    Addresses of one ASN fall into ``subnets_per_asn`` /24 networks, so unrelated customers on a
    cloud or a big ISP do share /24s now and then, as they do in real logs.
    """
    n = len(asns)
    uniq, inv = np.unique(asns, return_inverse=True)
    o1 = np.empty(n, np.int64)
    for k, asn in enumerate(uniq):
        octs = np.array(_first_octets(int(asn)), np.int64)
        sel = inv == k
        o1[sel] = octs[(rng.integers(0, len(octs), int(sel.sum())))]
    base = (asns * 2654435761) % 65536
    subnet = rng.integers(0, subnets_per_asn, n)
    o23 = (base + subnet * 977) % 65536
    o4 = rng.integers(2, 254, n)
    parts = [pc.cast(pa.array(x), pa.string()) for x in (o1, o23 // 256, o23 % 256, o4)]
    out = pc.binary_join_element_wise(*parts, ".")
    assert isinstance(out, pa.StringArray)
    return out


@dataclass(frozen=True)
class Client:
    name: str
    user_agents: tuple[str, ...]
    tls: tuple[str, ...]


_PY_TLS = ("t13d1812h2_85036bcba153_375ca2c5e164", "t13d1813h2_85036bcba153_b0da82dd1658")
_NODE_TLS = ("t13d1516h2_8daaf6152771_02713d6af862", "t13d1517h2_8daaf6152771_b1ff8ab2d16f")
_GO_TLS = ("t13d1311h2_f57a46bbacb6_e7c285222651",)
_CURL_TLS = ("t13d3112h2_e8f1e7e78f70_6bebaf5329ac", "t13d3113h2_e8f1e7e78f70_375ca2c5e164")
_CHROME_TLS = ("t13d1516h2_8daaf6152771_e5627efa2ab1", "t13d1517h2_8daaf6152771_b0da82dd1658")

CLIENTS: tuple[Client, ...] = (
    Client(
        "openai-python",
        tuple(f"OpenAI/Python 1.{m}.{p}" for m in (51, 54, 57, 59, 61) for p in (0, 2)),
        _PY_TLS,
    ),
    Client(
        "anthropic-python",
        tuple(f"Anthropic/Python 0.{m}.{p}" for m in (39, 40, 42, 45) for p in (0, 1)),
        _PY_TLS,
    ),
    Client("anthropic-js", tuple(f"Anthropic/JS 0.{m}.0" for m in (32, 33, 36)), _NODE_TLS),
    Client("openai-node", tuple(f"OpenAI/JS 4.{m}.0" for m in (71, 73, 77)), _NODE_TLS),
    Client(
        "langchain",
        tuple(f"langchain-core/0.3.{p} Anthropic/Python 0.40.0" for p in (21, 28, 29)),
        _PY_TLS,
    ),
    Client("litellm", tuple(f"litellm/1.{m}.0" for m in (55, 56, 59)), _PY_TLS),
    Client("httpx", ("python-httpx/0.27.2", "python-httpx/0.28.1"), _PY_TLS),
    Client("requests", ("python-requests/2.31.0", "python-requests/2.32.3"), _PY_TLS),
    Client("curl", ("curl/7.81.0", "curl/8.5.0", "curl/8.11.1"), _CURL_TLS),
    Client("node", ("node", "undici"), _NODE_TLS),
    Client("go", ("Go-http-client/2.0", "Go-http-client/1.1"), _GO_TLS),
    Client(
        "browser",
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
            "Gecko) Chrome/132.0.0.0 Safari/537.36",
        ),
        _CHROME_TLS,
    ),
    Client("coding-agent", ("cline/3.2.0", "aider/0.72.1", "continue/0.9.2"), _NODE_TLS),
    # A popular open-source coding agent (appended last: earlier variant indices stay put).
    Client(
        "oss-agent",
        ("openhand-coder/1.4.2", "openhand-coder/1.5.0", "openhand-coder/1.5.1"),
        _NODE_TLS,
    ),
)
CLIENT_NAMES = tuple(c.name for c in CLIENTS)

# Flattened (user agent, tls) variants and, per client, the range of its variants.
_UA: list[str] = []
_TLS: list[str] = []
CLIENT_SPAN: dict[str, tuple[int, int]] = {}
for _c in CLIENTS:
    start = len(_UA)
    for _i, _ua in enumerate(_c.user_agents):
        _UA.append(_ua)
        _TLS.append(_c.tls[_i % len(_c.tls)])
    CLIENT_SPAN[_c.name] = (start, len(_UA) - start)
UA_VARIANTS = pa.array(_UA, pa.string())
TLS_VARIANTS = pa.array(_TLS, pa.string())

CONSUMER_DOMAINS: tuple[tuple[str, float], ...] = (
    ("gmail.com", 0.55),
    ("outlook.com", 0.10),
    ("hotmail.com", 0.04),
    ("yahoo.com", 0.04),
    ("icloud.com", 0.07),
    ("proton.me", 0.05),
    ("gmx.de", 0.03),
    ("qq.com", 0.03),
    ("163.com", 0.02),
    ("naver.com", 0.02),
    ("yandex.ru", 0.02),
    ("mail.ru", 0.01),
    ("protonmail.com", 0.02),
)

_SYL = (
    "ar",
    "bel",
    "cor",
    "dan",
    "el",
    "fin",
    "gra",
    "hal",
    "ion",
    "jet",
    "kor",
    "lum",
    "mer",
    "nov",
    "or",
    "pix",
    "quar",
    "ros",
    "sol",
    "tor",
    "ul",
    "ver",
    "wex",
    "yan",
    "zen",
    "tek",
    "byte",
    "data",
    "loop",
    "sig",
)
_TLDS = (".com", ".io", ".ai", ".co", ".de", ".dev", ".app", ".tech")
_EDU = (".edu", ".ac.uk", ".edu.au", ".ac.jp", ".edu.sg", ".uni.de", ".edu.in")


def company_domains(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` plausible company domains (may repeat for large n, as real domains do)."""
    a = rng.integers(0, len(_SYL), n)
    b = rng.integers(0, len(_SYL), n)
    t = rng.integers(0, len(_TLDS), n)
    return [_SYL[i] + _SYL[j] + _TLDS[k] for i, j, k in zip(a, b, t, strict=True)]


def edu_domains(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` university e-mail domains."""
    a = rng.integers(0, len(_SYL), n)
    b = rng.integers(0, len(_SYL), n)
    t = rng.integers(0, len(_EDU), n)
    sub = rng.random(n) < 0.4
    return [
        ("stu." if s else "") + _SYL[i] + _SYL[j] + _EDU[k]
        for i, j, k, s in zip(a, b, t, sub, strict=True)
    ]


MODELS: tuple[str, ...] = ("frontier-2", "frontier-2-mini", "frontier-3")

_ALPHABET = np.frombuffer(b"0123456789abcdefghjkmnpqrstvwxyz", np.uint8)


def mix64(x: np.ndarray, key: int) -> np.ndarray:
    """A bijection on uint64 (splitmix64 finaliser of ``x + key``): no two inputs collide."""
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64) + np.uint64(key & 0xFFFFFFFFFFFFFFFF)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def encode_ids(prefix: str, values: np.ndarray, width: int = 13) -> pa.StringArray:
    """Fixed-width base-32 text ids ``prefix + 13 chars`` for uint64 values, without a row loop."""
    v = values.astype(np.uint64)
    shifts = np.arange(width, dtype=np.uint64) * np.uint64(5)
    digits = ((v[:, None] >> shifts[None, :]) & np.uint64(31)).astype(np.intp)
    chars = _ALPHABET[digits]
    pre = np.frombuffer(prefix.encode(), np.uint8)
    buf = np.concatenate([np.broadcast_to(pre, (len(v), len(pre))), chars], axis=1)
    row = len(pre) + width
    offsets = pa.array(np.arange(len(v) + 1, dtype=np.int32) * row)
    arr = pa.StringArray.from_buffers(
        len(v), offsets.buffers()[1], pa.py_buffer(np.ascontiguousarray(buf).tobytes())
    )
    return arr

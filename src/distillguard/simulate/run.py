"""``simulate(preset, ...)``: plan the cohorts, generate them chunk by chunk and write the log,
the ground truth and a manifest."""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillguard.errors import ConfigError
from distillguard.schema import REQUEST_LABELS_SCHEMA
from distillguard.simulate.corpora import load_pools
from distillguard.simulate.generate import (
    StreamGenerator,
    Window,
    allocate,
    build_accounts,
    streams,
)
from distillguard.simulate.presets import get_preset
from distillguard.simulate.world import MODELS

Format = Literal["parquet", "jsonl"]


@dataclass(frozen=True)
class CohortSummary:
    name: str
    persona: str
    campaign_id: str | None
    accounts: int
    exchanges: int
    attack_exchanges: int
    benign_exchanges: int
    tactics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Manifest:
    """What was generated: parameters, cohorts with their counts, model release times, files."""

    preset: str
    seed: int
    scale: float
    format: str
    obfuscation: bool
    window_start: str
    window_end: str
    models: dict[str, str]
    personas: dict[str, CohortSummary]
    campaigns: dict[str, CohortSummary]
    rows: int
    accounts: int
    files: list[str] = field(default_factory=list)
    small_accounts: float = 1.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _iso(window: Window, seconds: float) -> str:
    return (window.start + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


class _Writer:
    def __init__(self, out: Path, fmt: Format) -> None:
        self.out, self.fmt = out, fmt
        self.files: list[str] = []
        self.labels = pq.ParquetWriter(out / "request_labels.parquet", REQUEST_LABELS_SCHEMA)
        if fmt == "parquet":
            (out / "requests").mkdir()
            self.gz = None
        else:
            self.gz = (out / "requests.jsonl.gz").open("wb")
            self.files.append("requests.jsonl.gz")

    def write(self, table: pa.Table, labels: pa.Table) -> None:
        order = pc.sort_indices(table, [("timestamp", "ascending")])
        table = table.take(order)
        labels = labels.take(order)
        self.labels.write_table(labels)
        if self.gz is None:
            name = f"requests/part-{len(self.files):05d}.parquet"
            pq.write_table(table, self.out / name, compression="zstd")
            self.files.append(name)
        else:
            # Concatenated gzip members form one valid .jsonl.gz stream.
            self.gz.write(_to_jsonl(table, self.out / ".chunk.json.gz"))

    def close(self) -> None:
        self.labels.close()
        if self.gz is not None:
            self.gz.close()


def _to_jsonl(table: pa.Table, tmp: Path) -> bytes:
    """One gzip member of JSON Lines with RFC 3339 timestamps, written by DuckDB."""
    import duckdb

    cols = [
        f"strftime({f.name}, '%Y-%m-%dT%H:%M:%S.%fZ') AS {f.name}"
        if pa.types.is_timestamp(f.type)
        else f.name
        for f in table.schema
    ]
    con = duckdb.connect()
    try:
        con.register("t", table)
        con.execute(
            f"COPY (SELECT {', '.join(cols)} FROM t) TO '{tmp}' (FORMAT json, COMPRESSION gzip)"
        )
    finally:
        con.close()
    data = tmp.read_bytes()
    tmp.unlink()
    return data


def simulate(
    preset: str,
    *,
    scale: float,
    seed: int,
    out: Path,
    fmt: Format = "parquet",
    obfuscation: bool = True,
    small_accounts: float = 1.0,
) -> Manifest:
    """Generate a labelled request log for ``preset`` into ``out`` (must be empty or absent);
    ``small_accounts`` multiplies the light-user personas' accounts (see :mod:`.presets`)."""
    if fmt not in ("parquet", "jsonl"):
        raise ConfigError(f"--format must be parquet or jsonl, got {fmt!r}")
    p = get_preset(preset)
    cohorts = p.cohorts(scale, small_accounts)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"output directory {out} is not empty; choose a new --out")
    out.mkdir(parents=True, exist_ok=True)
    window = Window(p.start, p.days, p.release_day * 86400.0)
    pools = load_pools()

    writer = _Writer(out, fmt)
    label_rows: list[tuple[str, str, str, str]] = []
    personas: dict[str, CohortSummary] = {}
    campaigns: dict[str, CohortSummary] = {}
    acct_off = row_off = 0
    try:
        for c in cohorts:
            acc = build_accounts(c, seed, window, acct_off)
            main, mix = allocate(c, seed, acc)
            ss = streams(c, main, mix, row_off)
            for s in ss:
                gen = StreamGenerator(c, s, acc, window, pools, seed, obfuscation)
                for table, labels in gen.chunks():
                    writer.write(table, labels)
            ids = acc.ids.to_pylist()
            label_rows += [(str(i), c.label, c.campaign_id or "", c.persona) for i in ids]
            n_main, n_mix = int(main.sum()), int(mix.sum()) if len(ss) > 1 else 0
            summary = CohortSummary(
                c.name,
                c.persona,
                c.campaign_id,
                len(acc),
                n_main + n_mix,
                n_main if c.campaign_id else 0,
                n_mix if c.campaign_id else n_main,
                c.tactics,
            )
            (campaigns if c.campaign_id else personas)[c.name] = summary
            acct_off += len(acc)
            row_off += n_main + n_mix
    except BaseException:
        writer.close()
        shutil.rmtree(out, ignore_errors=True)
        raise
    writer.close()
    order = np.argsort([r[0] for r in label_rows], kind="stable")
    with (out / "labels.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["account_id", "label", "campaign_id", "persona"])
        w.writerows(label_rows[i] for i in order)
    manifest = Manifest(
        preset=preset,
        seed=seed,
        scale=scale,
        format=fmt,
        obfuscation=obfuscation,
        window_start=_iso(window, 0),
        window_end=_iso(window, window.seconds),
        models={
            MODELS[0]: "before window",
            MODELS[1]: "before window",
            MODELS[2]: _iso(window, window.release_s),
        },
        personas=personas,
        campaigns=campaigns,
        rows=row_off,
        accounts=acct_off,
        files=[*writer.files, "labels.csv", "request_labels.parquet"],
        small_accounts=small_accounts,
    )
    (out / "manifest.json").write_text(json.dumps(manifest.to_json(), indent=2) + "\n")
    return manifest

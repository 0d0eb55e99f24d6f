"""Small hand-built inline SVG charts for the report (no network, no JavaScript).

Every label that comes from the data (model names, capability names, campaign ids, days) is
XML-escaped here, because the SVG is inserted into the page as markup.

Timelines use a true date axis: a day with no traffic keeps its place (an empty gap), so a
campaign that paused for a week looks paused, and every campaign's chart can be laid over the
same window as the log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

# Colour-blind-safe palette (Okabe-Ito), then greys.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#999999",
    "#666666",
)
OTHER_COLOUR = "#bbbbbb"
LANE_COLOUR = "#D55E00"


def colour(i: int) -> str:
    """The ``i``-th series colour."""
    return PALETTE[i] if i < len(PALETTE) else OTHER_COLOUR


def _fmt(n: float) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    if n >= 1000:
        return f"{n / 1000:.1f}k"
    return f"{n:g}"


def parse_day(text: str) -> date | None:
    """``"2026-02-01"`` (or a timestamp starting with it) as a date; None when it is not one."""
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


@dataclass(frozen=True)
class DayAxis:
    """A continuous run of calendar days, ``start`` to ``end`` inclusive."""

    start: date
    end: date

    @property
    def n_days(self) -> int:
        return (self.end - self.start).days + 1

    def index(self, day: date) -> int:
        return (day - self.start).days

    def ticks(self, max_ticks: int = 7) -> list[date]:
        """Label days at a regular whole-day step from the first day (at most ``max_ticks``)."""
        n = self.n_days
        step = max(-(-n // max_ticks), 1)
        return [self.start + timedelta(days=i) for i in range(0, n, step)]


def day_axis(days: Sequence[str], *, window: tuple[str, str] | None = None) -> DayAxis | None:
    """The axis spanning ``days`` (widened to ``window`` when given); None if no day parses."""
    parsed = [d for d in (parse_day(s) for s in days) if d is not None]
    if window is not None:
        parsed += [d for d in (parse_day(s) for s in window) if d is not None]
    if not parsed:
        return None
    return DayAxis(min(parsed), max(parsed))


def timeline_svg(
    days: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    window: tuple[str, str] | None = None,
    width: int = 760,
    height: int = 170,
) -> str:
    """Bars of exchanges per day on a date axis, stacked by series (e.g. by model), with a legend.

    ``series`` is ``[(name, counts_per_day), ...]`` with one count per entry of ``days``; days
    need not be contiguous (missing days are drawn as gaps). ``window`` widens the axis, e.g. to
    the log's whole time window. Days that are not ISO dates fall back to one bar per entry.
    """
    if not days or not series:
        return _empty_svg(width, "no timeline in the detections")
    axis = day_axis(days, window=window)
    if axis is None or any(parse_day(d) is None for d in days):
        positions = list(range(len(days)))
        n_slots = len(days)
        tick_items = [(i, days[i]) for i in _spread(len(days), 5)]
    else:
        positions = [axis.index(parse_day(d) or axis.start) for d in days]
        n_slots = axis.n_days
        tick_items = [(axis.index(t), t.isoformat()) for t in axis.ticks()]
    left, right, top, bottom = 48, 12, 10, 34
    legend_h = 16 * ((len(series) + 3) // 4) if len(series) > 1 else 0
    plot_w = width - left - right
    plot_h = height - top - bottom
    total_h = height + legend_h
    totals = [sum(s[1][i] for s in series) for i in range(len(days))]
    peak = max(max(totals), 1)
    step = plot_w / n_slots
    bar_w = max(step * 0.8, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{total_h}" viewBox="0 0 {width} {total_h}" role="img" '
        f'aria-label="exchanges per day">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        'stroke="#888" stroke-width="1"/>',
        f'<line x1="{left}" y1="{top}" x2="{width - right}" y2="{top}" '
        'stroke="#eee" stroke-width="1"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" class="tick">{_fmt(peak)}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" class="tick">0</text>',
    ]
    for i, day in enumerate(days):
        x = left + positions[i] * step + (step - bar_w) / 2
        y = float(top + plot_h)
        for k, (name, counts) in enumerate(series):
            n = counts[i]
            if n <= 0:
                continue
            h = plot_h * n / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colour(k)}"><title>{escape(day)} · {escape(name)}: {n:,}</title></rect>'
            )
    parts += _x_ticks(tick_items, left=left, step=step, y=top + plot_h, width=width, right=right)
    if len(series) > 1:
        for k, (name, _) in enumerate(series):
            lx = left + (k % 4) * (plot_w / 4)
            ly = height + 16 * (k // 4) - 4
            parts.append(
                f'<rect x="{lx:.1f}" y="{ly - 9}" width="10" height="10" fill="{colour(k)}"/>'
                f'<text x="{lx + 14:.1f}" y="{ly}" class="legend">{escape(_clip(name, 28))}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def lanes_svg(
    lanes: Sequence[tuple[str, str, Mapping[str, int]]],
    *,
    window: tuple[str, str] | None = None,
    width: int = 1000,
    lane_h: int = 16,
) -> str:
    """Every campaign on one date axis: one lane per campaign, a cell per day it was active.

    ``lanes`` is ``[(label, tooltip_name, {day: exchanges}), ...]``. A cell's opacity is the
    day's exchanges relative to that campaign's busiest day, so a small campaign stays visible
    next to a large one; the exact count is in the cell's tooltip and at the lane's end.
    """
    all_days = [d for _, _, counts in lanes for d in counts]
    axis = day_axis(all_days, window=window)
    if not lanes or axis is None:
        return _empty_svg(width, "no timeline in the detections")
    left, right, top, bottom = 190, 70, 6, 24
    plot_w = width - left - right
    step = plot_w / axis.n_days
    height = top + lane_h * len(lanes) + bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart lanes" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="campaigns over time">'
    ]
    for t in axis.ticks(9):
        x = left + axis.index(t) * step + step / 2
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - bottom}" '
            'stroke="#eee" stroke-width="1"/>'
        )
    for row, (label, name, counts) in enumerate(lanes):
        y = top + row * lane_h
        peak = max(counts.values(), default=0) or 1
        if row % 2 == 0:
            parts.append(
                f'<rect x="{left}" y="{y}" width="{plot_w}" height="{lane_h}" fill="#fafafa"/>'
            )
        parts.append(
            f'<text x="{left - 6}" y="{y + lane_h - 4}" text-anchor="end" class="legend">'
            f"{escape(_clip(label, 28))}</text>"
        )
        for day, n in sorted(counts.items()):
            d = parse_day(day)
            if d is None or n <= 0:
                continue
            x = left + axis.index(d) * step
            opacity = 0.25 + 0.75 * n / peak
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 2}" width="{max(step - 0.5, 1.0):.1f}" '
                f'height="{lane_h - 4}" fill="{LANE_COLOUR}" fill-opacity="{opacity:.2f}">'
                f"<title>{escape(name)} · {escape(day)}: {n:,} exchanges</title></rect>"
            )
        parts.append(
            f'<text x="{width - right + 4}" y="{y + lane_h - 4}" class="tick">'
            f"{_fmt(sum(counts.values()))}</text>"
        )
    tick_items = [(axis.index(t), t.isoformat()) for t in axis.ticks(9)]
    parts += _x_ticks(tick_items, left=left, step=step, y=height - bottom, width=width, right=right)
    parts.append("</svg>")
    return "".join(parts)


def share_bar_svg(shares: Mapping[str, float], *, width: int = 760, height: int = 22) -> str:
    """One horizontal bar split by share (e.g. the capability mix), largest first."""
    items = sorted(((k, float(v)) for k, v in shares.items() if v > 0), key=lambda kv: -kv[1])
    total = sum(v for _, v in items)
    if total <= 0:
        return _empty_svg(width, "no capability mix in the detections")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="share bar">'
    ]
    x = 0.0
    for k, (name, v) in enumerate(items):
        w = width * v / total
        label = f"{escape(name)}: {v / total:.0%}"
        parts.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{colour(k)}">'
            f"<title>{label}</title></rect>"
        )
        if w > 70:
            parts.append(
                f'<text x="{x + 4:.1f}" y="{height - 7}" class="inbar">'
                f"{escape(_clip(name, int(w // 7)))} {v / total:.0%}</text>"
            )
        x += w
    parts.append("</svg>")
    return "".join(parts)


def _x_ticks(
    items: Sequence[tuple[int, str]], *, left: float, step: float, y: float, width: int, right: int
) -> list[str]:
    out = []
    for j, (pos, text) in enumerate(items):
        x = left + pos * step + step / 2
        anchor = "middle"
        if len(items) > 1 and j == 0 and x - left < 40:
            anchor, x = "start", left
        elif len(items) > 1 and j == len(items) - 1 and width - right - x < 40:
            anchor, x = "end", width - right
        out.append(
            f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 4}" stroke="#888"/>'
            f'<text x="{x:.1f}" y="{y + 15}" text-anchor="{anchor}" class="tick">'
            f"{escape(text)}</text>"
        )
    return out


def _spread(n: int, k: int) -> list[int]:
    k = min(n, k)
    return sorted({round(j * (n - 1) / max(k - 1, 1)) for j in range(k)})


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: max(n - 1, 1)] + "…"


def _empty_svg(width: int, message: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="24" '
        f'viewBox="0 0 {width} 24"><text x="4" y="16" class="tick">{escape(message)}</text></svg>'
    )

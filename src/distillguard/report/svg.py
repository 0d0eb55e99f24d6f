"""Small hand-built inline SVG charts for the report (no network, no JavaScript).

Every label that comes from the data (model names, capability names, days) is XML-escaped here,
because the SVG is inserted into the page as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


def timeline_svg(
    days: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
    *,
    width: int = 640,
    height: int = 170,
) -> str:
    """Bars of exchanges per day, stacked by series (e.g. by model), with a legend.

    ``series`` is ``[(name, counts_per_day), ...]`` with one count per entry of ``days``.
    """
    if not days or not series:
        return _empty_svg(width, "no timeline in the detections")
    left, right, top, bottom = 44, 8, 10, 34
    legend_h = 16 * ((len(series) + 3) // 4) if len(series) > 1 else 0
    plot_w = width - left - right
    plot_h = height - top - bottom
    total_h = height + legend_h
    totals = [sum(s[1][i] for s in series) for i in range(len(days))]
    peak = max(max(totals), 1)
    step = plot_w / len(days)
    bar_w = max(step * 0.8, 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" '
        f'height="{total_h}" viewBox="0 0 {width} {total_h}" role="img" '
        f'aria-label="exchanges per day">',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" '
        'stroke="#888" stroke-width="1"/>',
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" class="tick">{_fmt(peak)}</text>',
        f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" class="tick">0</text>',
    ]
    for i, day in enumerate(days):
        x = left + i * step + (step - bar_w) / 2
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
    # Day labels: first, last, and a few in between.
    n_labels = min(len(days), 5)
    idxs = sorted({round(j * (len(days) - 1) / max(n_labels - 1, 1)) for j in range(n_labels)})
    for i in idxs:
        x = left + i * step + step / 2
        anchor = "middle"
        if len(idxs) > 1 and i == idxs[0]:
            anchor, x = "start", left
        elif len(idxs) > 1 and i == idxs[-1]:
            anchor, x = "end", width - right
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 14}" text-anchor="{anchor}" class="tick">'
            f"{escape(days[i])}</text>"
        )
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


def share_bar_svg(shares: Mapping[str, float], *, width: int = 640, height: int = 22) -> str:
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


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: max(n - 1, 1)] + "…"


def _empty_svg(width: int, message: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="24" '
        f'viewBox="0 0 {width} 24"><text x="4" y="16" class="tick">{escape(message)}</text></svg>'
    )

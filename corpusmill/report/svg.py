"""Small inline-SVG charts: the report is one file that needs no network and no JavaScript."""
from __future__ import annotations

import math
from html import escape

COLORS = {"kept": "#2f9e44", "dropped": "#e03131", "in": "#adb5bd", "value": "#1c7ed6",
          "errors": "#f08c00", "not documents": "#ced4da"}


def _fmt(v: float) -> str:
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.3g}"


def hbars(rows: list[tuple[str, dict[str, float]]], series: list[str], title: str,
          width: int = 640, bar_h: int = 16) -> str:
    """Horizontal bars, one group per row label; several series side by side."""
    if not rows:
        return ""
    label_w = min(260, 7 * max(len(r[0]) for r in rows) + 10)
    plot_w = width - label_w - 70
    vmax = max((max(v.values(), default=0) for _, v in rows), default=0) or 1
    group_h = bar_h * len(series) + 6
    height = 42 + group_h * len(rows) + 10
    out = [_open(width, height, title)]
    y = 42
    for label, vals in rows:
        out.append(f'<text x="{label_w - 6}" y="{y + group_h / 2}" text-anchor="end" '
                   f'dominant-baseline="middle" class="lbl">{escape(_clip(label, 38))}</text>')
        for i, s in enumerate(series):
            v = vals.get(s, 0)
            w = plot_w * v / vmax
            yy = y + i * bar_h
            out.append(f'<rect x="{label_w}" y="{yy}" width="{w:.1f}" height="{bar_h - 2}" '
                       f'fill="{COLORS.get(s, COLORS["value"])}"><title>{escape(label)} {s}: '
                       f'{_fmt(v)}</title></rect>')
            if v:
                out.append(f'<text x="{label_w + w + 4:.1f}" y="{yy + bar_h / 2}" '
                           f'dominant-baseline="middle" class="val">{_fmt(v)}</text>')
        y += group_h
    out.append(_legend(series, width) if len(series) > 1 else "")
    out.append("</svg>")
    return "".join(out)


def histogram(samples: dict[str, list[float]], title: str, log: bool = False, bins: int = 30,
              width: int = 640, height: int = 220, xlabel: str = "") -> str:
    """Overlaid histograms (share of each series per bin), optionally on a log10 axis."""
    vals = {k: [math.log10(v + 1) if log else v for v in vs] for k, vs in samples.items() if vs}
    if not vals:
        return ""
    lo = min(min(v) for v in vals.values())
    hi = max(max(v) for v in vals.values())
    if hi <= lo:
        hi = lo + 1
    step = (hi - lo) / bins
    counts = {}
    for k, vs in vals.items():
        c = [0] * bins
        for v in vs:
            c[min(int((v - lo) / step), bins - 1)] += 1
        counts[k] = [x / len(vs) for x in c]
    ymax = max(max(c) for c in counts.values()) or 1
    left, bottom, plot_w, plot_h = 50, height - 40, width - 70, height - 85
    out = [_open(width, height, title)]
    for k, c in counts.items():
        pts = []
        for i, share in enumerate(c):
            x0 = left + plot_w * i / bins
            x1 = left + plot_w * (i + 1) / bins
            y = bottom - plot_h * share / ymax
            pts.append(f"{x0:.1f},{y:.1f} {x1:.1f},{y:.1f}")
        color = COLORS.get(k, COLORS["value"])
        out.append(f'<polyline points="{left},{bottom} {" ".join(pts)} {left + plot_w},{bottom}" '
                   f'fill="{color}" fill-opacity="0.25" stroke="{color}" stroke-width="1.5">'
                   f'<title>{escape(k)}: n={len(vals[k]):,}</title></polyline>')
    for frac in (0, 0.5, 1):
        v = lo + (hi - lo) * frac
        shown = 10 ** v - 1 if log else v
        x = left + plot_w * frac
        out.append(f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" class="val">'
                   f'{_fmt(round(shown, 3))}</text>')
    out.append(f'<line x1="{left}" y1="{bottom}" x2="{left + plot_w}" y2="{bottom}" class="axis"/>')
    if xlabel:
        out.append(f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle" class="lbl">'
                   f'{escape(xlabel)}{" (log scale)" if log else ""}</text>')
    out.append(_legend(list(counts), width))
    out.append("</svg>")
    return "".join(out)


def line(points: list[tuple[float, float]], title: str, xlabel: str, ylabel: str,
         width: int = 640, height: int = 220) -> str:
    if len(points) < 2:
        return ""
    xmax = max(p[0] for p in points) or 1
    ymax = max(p[1] for p in points) or 1
    left, bottom, plot_w, plot_h = 60, height - 40, width - 80, height - 75
    pts = " ".join(f"{left + plot_w * x / xmax:.1f},{bottom - plot_h * y / ymax:.1f}" for x, y in points)
    return "".join([
        _open(width, height, title),
        f'<polyline points="{pts}" fill="none" stroke="{COLORS["value"]}" stroke-width="2"/>',
        f'<line x1="{left}" y1="{bottom}" x2="{left + plot_w}" y2="{bottom}" class="axis"/>',
        f'<line x1="{left}" y1="{bottom}" x2="{left}" y2="{bottom - plot_h}" class="axis"/>',
        f'<text x="{left - 4}" y="{bottom - plot_h}" text-anchor="end" class="val">{_fmt(ymax)}</text>',
        f'<text x="{left + plot_w}" y="{bottom + 14}" text-anchor="end" class="val">{xmax:,.3g}</text>',
        f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle" class="lbl">{escape(xlabel)}'
        f'</text>',
        f'<text x="12" y="{bottom - plot_h / 2}" class="lbl" transform="rotate(-90 12 {bottom - plot_h / 2})"'
        f' text-anchor="middle">{escape(ylabel)}</text>',
        "</svg>",
    ])


def _open(width: int, height: int, title: str) -> str:
    return (f'<svg class="chart" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
            f'<text x="8" y="18" class="ttl">{escape(title)}</text>')


def _legend(series: list[str], width: int) -> str:
    """Series swatches on the line under the title, right-aligned."""
    out = []
    # Each entry as wide as its label (11px text: ~6.5px a character), so long labels do not overlap.
    steps = [max(70, 14 + round(6.5 * len(s)) + 12) for s in series]
    x = width - sum(steps)
    for s, step in zip(series, steps):
        out.append(f'<rect x="{x}" y="24" width="10" height="10" fill="{COLORS.get(s, COLORS["value"])}"/>'
                   f'<text x="{x + 14}" y="33" class="val">{escape(s)}</text>')
        x += step
    return "".join(out)


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "\u2026"

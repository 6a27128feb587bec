"""Two small SVG bar charts for the benchmark report, in plain Python (no matplotlib).

  horizontal_bars   one bar per row, linear or log scale, coloured by kind, with a legend
  grouped_bars      vertical bars in groups (one group per shape), reference lines across

Text widths are estimated (CHAR_W pixels per character) to size the margins so that no
label runs into another; every string is XML-escaped.
"""
import math
from xml.sax.saxutils import escape

CHAR_W = 6.6      # average width of a 12 px sans-serif character, for layout
FONT = 'font-family="DejaVu Sans, Arial, sans-serif" font-size="12"'
REF_COLOUR = "#c0392b"


def _text(x, y, s, anchor="start", extra=""):
    """One <text> element, escaped."""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {extra}>{escape(str(s))}</text>'


def _wrap(s, width_px):
    """Splits a caption into lines that fit width_px."""
    words, lines, line = s.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width_px / CHAR_W:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return lines + [line] if line else lines


def _si(v):
    """A tick label: 1k, 10k, 1M ... for powers of ten, plain digits otherwise."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= div:
            return f"{v / div:g}{suffix}"
    return f"{v:g}"


def _linear_ticks(vmax):
    """Round tick values from 0 to a little above vmax (steps of 1, 2 or 5 x 10^n)."""
    raw = vmax / 5
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 5, 10) if step * m >= raw)
    return [i * step for i in range(int(vmax / step) + 2)]


def _finish(path, width, height, body, caption):
    """Wraps the elements in an <svg> with a white background and a caption; writes it."""
    lines = _wrap(caption, width - 20)
    total = height + 16 * len(lines) + 8
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{total:.0f}" '
           f'viewBox="0 0 {width:.0f} {total:.0f}" {FONT}>',
           '<rect width="100%" height="100%" fill="white"/>'] + body
    svg += [_text(10, height + 14 + 16 * i, line, extra='fill="#555" font-size="11"')
            for i, line in enumerate(lines)]
    path.write_text("\n".join(svg + ["</svg>"]) + "\n")


def _legend(x, y, items):
    """A row of colour swatches with their names; returns the elements."""
    out = []
    for name, colour in items:
        out.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{colour}"/>')
        out.append(_text(x + 16, y, name))
        x += 16 + len(name) * CHAR_W + 18
    return out


def horizontal_bars(path, title, bars, colours, axis_label, caption, log=False):
    """bars: (label, value, kind, value_text) rows, drawn top to bottom.

    colours maps each kind to a colour (and is the legend, in its order). On a log scale the
    axis runs between the powers of ten around the values.
    """
    bars = [b for b in bars if b[1] and b[1] > 0]
    if not bars:
        return False
    values = [b[1] for b in bars]
    left = 14 + CHAR_W * max(len(b[0]) for b in bars)
    plot_w, row = 420, 22
    right = 14 + CHAR_W * max(len(b[3]) for b in bars)
    width = left + plot_w + right
    if log:
        lo, hi = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
        hi += hi == lo
        ticks = [10.0 ** e for e in range(lo, hi + 1)]
        def x(v): return left + (math.log10(v) - lo) / (hi - lo) * plot_w
    else:
        ticks = _linear_ticks(max(values))
        def x(v): return left + v / ticks[-1] * plot_w
    top = 58
    bottom = top + row * len(bars)
    body = [_text(10, 22, title, extra='font-size="15" font-weight="bold"')]
    body += _legend(left, 44, [(k, c) for k, c in colours.items() if any(b[2] == k for b in bars)])
    for t in ticks:  # grid lines first, so the bars lie on top of them
        body.append(f'<line x1="{x(t):.1f}" y1="{top - 4}" x2="{x(t):.1f}" y2="{bottom}" stroke="#ddd"/>')
        body.append(_text(x(t), bottom + 16, _si(t), "middle", 'fill="#333"'))
    for i, (label, v, kind, value_text) in enumerate(bars):
        y = top + i * row
        body.append(_text(left - 8, y + 15, label, "end"))
        body.append(f'<rect x="{left}" y="{y + 4}" width="{max(1.0, x(v) - left):.1f}" '
                    f'height="{row - 8}" fill="{colours[kind]}"/>')
        body.append(_text(x(v) + 5, y + 15, value_text, extra='fill="#222"'))
    body.append(f'<line x1="{left}" y1="{bottom}" x2="{left + plot_w}" y2="{bottom}" stroke="#333"/>')
    scale = "log scale" if log else "linear scale"
    body.append(_text(left + plot_w / 2, bottom + 34, f"{axis_label} ({scale})", "middle"))
    _finish(path, width, bottom + 44, body, caption)
    return True


def grouped_bars(path, title, groups, series, value, axis_label, caption, references=()):
    """Vertical bars: for each group (a matrix shape), one bar per series (a GEMM step).

    series: (name, colour) in drawing order; value(series_name, group) gives the height or
    None; references: (label, value) drawn as dashed horizontal lines across the plot.
    """
    heights = [value(s, g) for s, _ in series for g in groups]
    heights = [h for h in heights if h]
    if not heights:
        return False
    ticks = _linear_ticks(max(heights + [v for _, v in references]))
    bar_w, gap, left, top, plot_h = 11, 26, 64, 40, 300
    group_w = bar_w * len(series) + gap
    plot_w = group_w * len(groups)
    right = 16 + CHAR_W * max([len(f"{r[0]} {r[1]:,.0f}") for r in references] + [0])
    width = left + plot_w + right
    bottom = top + plot_h

    def y(v):
        return bottom - v / ticks[-1] * plot_h

    body = [_text(10, 22, title, extra='font-size="15" font-weight="bold"')]
    for t in ticks:
        body.append(f'<line x1="{left}" y1="{y(t):.1f}" x2="{left + plot_w}" y2="{y(t):.1f}" stroke="#ddd"/>')
        body.append(_text(left - 6, y(t) + 4, _si(t), "end", 'fill="#333"'))
    for gi, group in enumerate(groups):
        x0 = left + gap / 2 + gi * group_w
        for si, (name, colour) in enumerate(series):
            v = value(name, group)
            if v:
                body.append(f'<rect x="{x0 + si * bar_w:.1f}" y="{y(v):.1f}" width="{bar_w - 1}" '
                            f'height="{bottom - y(v):.1f}" fill="{colour}"><title>'
                            f'{escape(f"{name}, {group}: {v:,.1f}")}</title></rect>')
        body.append(_text(x0 + bar_w * len(series) / 2, bottom + 16, group, "middle"))
    for label, v in references:  # the label sits in the right margin, beside its line
        body.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{left + plot_w}" y2="{y(v):.1f}" '
                    f'stroke="{REF_COLOUR}" stroke-dasharray="5 3"/>')
        body.append(_text(left + plot_w + 6, y(v) + 4, f"{label} {v:,.0f}", extra=f'fill="{REF_COLOUR}"'))
    body.append(f'<line x1="{left}" y1="{bottom}" x2="{left + plot_w}" y2="{bottom}" stroke="#333"/>')
    body.append(_text(16, top + plot_h / 2, axis_label, "middle",
                      f'transform="rotate(-90 16 {top + plot_h / 2:.0f})"'))
    # The legend, in rows that fit the width (nine names do not fit on one line).
    legend_y, row_items, row_len = bottom + 40, [], 0
    for name, colour in series:
        item_len = 34 + len(name) * CHAR_W
        if row_items and row_len + item_len > width - left:
            body += _legend(left, legend_y, row_items)
            legend_y, row_items, row_len = legend_y + 20, [], 0
        row_items.append((name, colour))
        row_len += item_len
    body += _legend(left, legend_y, row_items)
    _finish(path, width, legend_y + 12, body, caption)
    return True

#!/usr/bin/env python3
"""Turns `make bench` output (Google Benchmark JSON, one file per stage, plus torch.json)
into build/bench/report.md and two SVG charts, using medians of the repetitions.

  stages.svg   images/s of each stage's forward pass (log scale), and training steps
  gemm.svg     the GEMM ladder in GFLOP/s per shape, OpenBLAS and the measured peak as lines
"""
import json
import math
import pathlib
import platform
import re
import sys
import time

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "build/bench")


def load_medians(path):
    """name -> benchmark dict (the median aggregate when repetitions were run)."""
    data = json.loads(path.read_text())
    rows = {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        agg = b.get("aggregate_name")
        if agg not in (None, "median"):
            continue
        rows[b.get("run_name", b["name"]).replace("/real_time", "")] = b
    return data.get("context", {}), rows


def ms(b):
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
    return b["real_time"] * scale


context, bench = {}, {}
for f in sorted(out.glob("stage*.json")):
    ctx, rows = load_medians(f)
    context = context or ctx
    bench.update(rows)
torch = json.loads((out / "torch.json").read_text()) if (out / "torch.json").exists() else None

machine = f"{platform.node()} ({context.get('num_cpus', '?')} CPUs at {context.get('mhz_per_cpu', '?')} MHz)"
lines = [f"# Benchmark report", "",
         f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {machine}; medians of the "
         f"Google Benchmark repetitions (`make bench`).", ""]

# --- the stages side by side -----------------------------------------------------------
forward = sorted((k, v) for k, v in bench.items() if re.fullmatch(r"stage\d\d\.forward", k))
lines += ["## Forward pass, batch 128", "",
          "| stage | time per batch | images/s | GFLOP/s | vs previous | vs stage 01 |",
          "|---|---|---|---|---|---|"]
first = prev = None
stage_bars = []
for name, b in forward:
    ips = b.get("images/s")
    vs_prev = f"{ips / prev:.1f}x" if prev else "-"
    vs_first = f"{ips / first:.1f}x" if first else "-"
    first = first or ips
    prev = ips
    stage_bars.append((name.split(".")[0] + " forward", ips))
    lines.append(f"| {name.split('.')[0]} | {ms(b):.2f} ms | {ips:,.0f} | {b.get('GFLOP/s', 0):.1f} "
                 f"| {vs_prev} | {vs_first} |")
train = sorted((k, v) for k, v in bench.items() if re.fullmatch(r"stage\d\d\.(train_step|step)", k))
for name, b in train:
    stage_bars.append((name.split(".")[0] + " training", b.get("images/s")))
if torch:
    stage_bars.append((f"PyTorch training", torch["train_images_per_second"]))
    lines += ["", f"PyTorch on the same machine in the same run ({torch['name']}, "
              f"{torch['threads']} threads): {torch['train_images_per_second']:,.0f} training images/s "
              f"(median over epochs after the first), final test accuracy {100 * torch['accuracy']:.2f}%."]

# --- every benchmark -------------------------------------------------------------------
lines += ["", "## Every benchmark", "", "| benchmark | median time | GFLOP/s | images/s |", "|---|---|---|---|"]
for name, b in sorted(bench.items()):
    g = b.get("GFLOP/s")
    i = b.get("images/s")
    lines.append(f"| {name} | {ms(b):.3f} ms | {'' if g is None else f'{g:.1f}'} | "
                 f"{'' if i is None else f'{i:,.0f}'} |")


# --- charts ----------------------------------------------------------------------------
def bar_chart(path, title, bars, unit, log=False, lines_at=()):
    """Horizontal bars; optional vertical reference lines (label, value)."""
    bars = [(label, v) for label, v in bars if v]
    if not bars:
        return False
    width, left, row = 760, 230, 26
    height = 60 + row * len(bars) + 30
    vmax = max([v for _, v in bars] + [v for _, v in lines_at]) * 1.15
    vmin = min(v for _, v in bars) / 2 if log else 0

    def x(v):
        if log:
            return left + (math.log10(v) - math.log10(vmin)) / (math.log10(vmax) - math.log10(vmin)) * (width - left - 20)
        return left + v / vmax * (width - left - 20)

    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="100%" height="100%" fill="white"/>',
           f'<text x="10" y="22" font-size="15" font-weight="bold">{title}</text>']
    for i, (label, v) in enumerate(bars):
        y = 40 + i * row
        svg.append(f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{label}</text>')
        svg.append(f'<rect x="{left}" y="{y + 3}" width="{max(1, x(v) - left):.1f}" height="{row - 8}" fill="#4a78b5"/>')
        svg.append(f'<text x="{x(v) + 4:.1f}" y="{y + 15}">{v:,.1f} {unit}</text>')
    for label, v in lines_at:
        svg.append(f'<line x1="{x(v):.1f}" y1="34" x2="{x(v):.1f}" y2="{height - 24}" stroke="#c0392b" stroke-dasharray="4 3"/>')
        svg.append(f'<text x="{x(v):.1f}" y="{height - 10}" text-anchor="middle" fill="#c0392b">{label} {v:,.0f}</text>')
    svg.append(f'<text x="{width - 10}" y="{height - 10}" text-anchor="end" fill="#777">'
               f'{"log scale" if log else "linear scale"}</text></svg>')
    path.write_text("\n".join(svg) + "\n")
    return True


if bar_chart(out / "stages.svg", "Images per second, per stage (batch 128)", stage_bars, "img/s", log=True):
    lines += ["", "![images/s per stage](stages.svg)"]

gemm = {k: v for k, v in bench.items() if "gemm" in k.lower() and v.get("GFLOP/s")}
peak = next((v["GFLOP/s"] for k, v in bench.items() if "peak" in k.lower() and v.get("GFLOP/s")), None)
if gemm:
    ladder = [(k.replace("stage03.", ""), v["GFLOP/s"]) for k, v in sorted(gemm.items())
              if "openblas" not in k.lower()]
    blas = [(k.replace("stage03.", ""), v["GFLOP/s"]) for k, v in sorted(gemm.items()) if "openblas" in k.lower()]
    refs = ([("peak", peak)] if peak else [])
    if bar_chart(out / "gemm.svg", "GEMM ladder, GFLOP/s", ladder + blas, "GFLOP/s", lines_at=refs):
        lines += ["", "![GEMM ladder](gemm.svg)"]

(out / "report.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines[:20]))
print(f"\n(full report: {out}/report.md)")

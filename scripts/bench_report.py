#!/usr/bin/env python3
"""Turns `make bench` output into build/bench/report.md and its SVG charts.

  python3 scripts/bench_report.py [BENCH_DIR [GPU_DIR]]     (or GPU_DIR in $BENCH_GPU_DIR)

BENCH_DIR (default build/bench) holds Google Benchmark JSON, one file per stage, and
torch.json from reference/pytorch_mnist.py; every number is the median of the repetitions.
GPU_DIR, optional, is what stages/05_cuda/gpu_check.sh wrote on a GPU machine (bench.json,
results.json, maybe torch.json): its rows are labelled as measured on that other machine.

  stages.svg       images/s of every stage, forward and training, PyTorch beside (log scale)
  gemm.svg         stage 03's GEMM ladder in GFLOP/s per shape, OpenBLAS, the measured peak
  gpu_kernels.svg  stage 05's kernels, rung by rung, as a share of the GPU's measured peak
"""
import os
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench_data as data  # noqa: E402
import bench_svg as svg  # noqa: E402

COLOURS = {"forward, CPU": "#4a78b5", "training, CPU": "#2e8b57",
           "training, GPU": "#8e44ad", "PyTorch": "#e67e22"}
RUNG_COLOURS = {"rung 1": "#c5b0d5", "rung 2": "#9467bd", "rung 3": "#5b2c83", "cuBLAS": "#e67e22"}


def fmt_time(ms):
    """A time in ms, or in µs below 0.1 ms (a GPU kernel's few microseconds)."""
    return f"{ms:,.2f} ms" if ms >= 0.1 else f"{ms * 1000:,.2f} µs"


def fmt(v, digits=1):
    """A number with thousands separators; an empty cell for none, or for the zero of a
    counter the benchmark does not measure (a ReLU has no GFLOP/s)."""
    return "" if not v else f"{v:,.{digits}f}"


def gpu_short_name(gpu):
    """"NVIDIA H100 80GB HBM3 (sm_90, ...)" -> "NVIDIA H100 80GB HBM3"."""
    return gpu["context"].get("gpu", "GPU").split(" (")[0]


def header(context, repetitions, build_dir):
    """Title, machine, compiler, date and what the numbers are."""
    compiler = data.compiler_description(build_dir, context) or "compiler not recorded"
    reps = ", ".join(str(r) for r in sorted(repetitions)) or "?"
    return ["# Benchmark report", "",
            f"- **Machine:** {data.cpu_description()}, {context.get('num_cpus', '?')} cores "
            f"at {context.get('mhz_per_cpu', '?')} MHz, host `{context.get('host_name', '?')}`",
            f"- **Compiler:** {compiler}",
            f"- **Measured:** {context.get('date', '?')[:16].replace('T', ' ')} UTC by `make bench`",
            f"- **Numbers:** medians of {reps} repetitions of each Google Benchmark "
            "(time per batch of 128 unless the name says otherwise)", ""]


def forward_rows(bench):
    """(stage, row) for each stage's forward pass at batch 128; stage 04's is the training
    forward (with dropout and the cache for backward), since stage 04 has no other."""
    rows = [(k[:7], v) for k, v in sorted(bench.items()) if re.fullmatch(r"stage\d\d\.forward", k)]
    if "stage04.step.forward" in bench:
        rows.append(("stage04", bench["stage04.step.forward"]))
    return rows


def forward_table(bench, bars):
    """The forward pass of every CPU stage: images/s, GFLOP/s, speed-ups."""
    rows = forward_rows(bench)
    if not rows:
        return []
    # "vs stage 01" unless a BENCH_FILTER left stage 01 out: then against the first one run.
    lines = ["## The stages side by side", "", "### Forward pass, batch 128", "",
             f"| stage | time per batch | images/s | GFLOP/s | vs previous | vs {rows[0][0]} |",
             "|---|---:|---:|---:|---:|---:|"]
    first = prev = None
    for stage, b in rows:
        ips = b["images/s"]
        vs_prev = f"{ips / prev:.1f}x" if prev else "-"
        vs_first = f"{ips / first:.1f}x" if first else "-"
        first, prev = first or ips, ips
        bars.append((f"{stage} forward", ips, "forward, CPU", f"{ips:,.0f}"))
        lines.append(f"| {stage} | {fmt_time(data.milliseconds(b))} | {ips:,.0f} | "
                     f"{fmt(b.get('GFLOP/s'))} | {vs_prev} | {vs_first} |")
    if rows[-1][0] == "stage04":
        lines += ["", "Stage 04's row is its training forward pass (`stage04.step.forward`)."]
    return lines


def training_table(bench, torch, bars):
    """Stage 04's training step, its parts, and PyTorch on the same machine."""
    step = bench.get("stage04.train_step")
    if not step:
        return []
    ips = step["images/s"]
    bars.append(("stage04 training step", ips, "training, CPU", f"{ips:,.0f}"))
    lines = ["", "### Training, batch 128, same machine", "",
             "| run | time per batch | images/s | GFLOP/s | share of the step |",
             "|---|---:|---:|---:|---:|",
             f"| stage 04 training step (`stage04.train_step`) | {fmt_time(data.milliseconds(step))} "
             f"| {ips:,.0f} | {fmt(step.get('GFLOP/s'))} | 100% |"]
    for part in ("forward", "backward", "optimiser"):
        b = bench.get(f"stage04.step.{part}")
        if b:
            share = 100 * data.milliseconds(b) / data.milliseconds(step)
            share_text = f"{share:.0f}%" if share >= 1 else f"{share:.1f}%"
            lines.append(f"| &nbsp;&nbsp;{part} (`stage04.step.{part}`) | "
                         f"{fmt_time(data.milliseconds(b))} | | {fmt(b.get('GFLOP/s'))} | {share_text} |")
    if not torch:
        return lines + ["", "No torch.json: PyTorch was not run (apt-get install python3-torch)."]
    tips = torch["train_images_per_second"]
    bars.append(("PyTorch training (CPU)", tips, "PyTorch", f"{tips:,.0f}"))
    lines.append(f"| {torch['name']}, {torch['threads']} threads (torch.json) | | {tips:,.0f} | | |")
    ratio = ips / tips
    verdict = f"{ratio:.2f}x as fast as" if ratio >= 1 else f"{1 / ratio:.2f}x slower than"
    return lines + ["", f"**Stage 04 trains at {ips:,.0f} images/s, PyTorch at {tips:,.0f} images/s "
                    f"on this machine in this run: stage 04 is {verdict} PyTorch.** (Stage 04's "
                    "number is one timed step; PyTorch's is the median epoch after the first, so "
                    "it also pays for shuffling and batching.)"]


def gpu_training_table(gpu, bars):
    """Stage 05's rungs and PyTorch on the GPU machine, labelled as such.

    The chart gets each run's epoch rate (the same measure for stage 05 and PyTorch), or the
    benchmark's step where the training runs' results.json is missing.
    """
    name, rows = gpu_short_name(gpu), gpu["rows"]
    short = name.split()[1] if len(name.split()) > 1 else name  # "H100"
    lines = ["", f"### Training on {name} (a different machine)", "",
             f"Measured on the GPU machine, not here: `{gpu['file']}`"
             + (f" and `{gpu['results_file']}`" if gpu["results_file"] else "") + ".", "",
             "| run | images/s, one step (benchmark) | images/s, epoch (median after the first) | accuracy |",
             "|---|---:|---:|---:|"]
    epoch_rates = {}
    for rung in (1, 2, 3):
        # Rungs 1 and 2 train launch by launch; rung 3 replays a CUDA graph.
        suffix = "step_graph" if rung == 3 else "step"
        key = next((k for k in rows if re.fullmatch(rf"stage05\.rung{rung}_[^.]+\.{suffix}", k)), None)
        run = gpu["rungs"].get(f"rung{rung}", {})
        if not key and not run:
            continue
        step_ips = rows[key]["images/s"] if key else None
        epoch_ips = run.get("images_per_second")
        label = f"stage05 rung {rung}" + (f" {run['rung_name']}" if run.get("rung_name") else "")
        epoch_rates[label] = epoch_ips
        shown = epoch_ips or step_ips
        bars.append((f"{label} training ({short})", shown, "training, GPU", f"{shown:,.0f}"))
        acc = f"{100 * run['accuracy']:.2f}%" if "accuracy" in run else ""
        lines.append(f"| {label} | {fmt(step_ips, 0)} | {fmt(epoch_ips, 0)} | {acc} |")
    torch = gpu["torch"] or {}
    for r in torch.get("runs", []):
        if "error" in r:
            continue
        ips = data.MNIST_TRAIN_IMAGES / r["steady_epoch_seconds"]
        epoch_rates[f"PyTorch {r['mode']}"] = ips
        bars.append((f"PyTorch {r['mode']} ({short})", ips, "PyTorch", f"{ips:,.0f}"))
        lines.append(f"| PyTorch {torch.get('torch', '')} {r['mode']} | | {ips:,.0f} "
                     f"| {100 * r['accuracy']:.2f}% |")
    return lines + gpu_verdict(epoch_rates)


def gpu_verdict(epoch_rates):
    """One sentence: the fastest rung against the fastest PyTorch mode, per epoch."""
    ours = {k: v for k, v in epoch_rates.items() if k.startswith("stage05") and v}
    theirs = {k: v for k, v in epoch_rates.items() if k.startswith("PyTorch") and v}
    if not ours or not theirs:
        return []
    best, rival = max(ours, key=ours.get), max(theirs, key=theirs.get)
    return ["", f"**Per training epoch, {best} runs at {ours[best]:,.0f} images/s and {rival} "
            f"at {theirs[rival]:,.0f}: {ours[best] / theirs[rival]:.1f}x.**"]


LADDER_SHAPES = ("conv1", "conv2", "dense", "1024")
OURS_BLUES = ["#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]
OPENBLAS_ORANGES = ["#fdae6b", "#e6550d"]


def gemm_ladder(bench):
    """Stage 03's ladder: {(step, shape, threads): GFLOP/s}, the shapes in the order run, and
    the series to draw: (label, step, threads, colour), our steps first, OpenBLAS last."""
    ladder = {}
    for k, b in bench.items():
        # stage03.gemm/<step>/<shape>/threads:N and stage03.openblas/<shape>/threads:N
        m = re.fullmatch(r"stage03\.(?:gemm/(\d_\w+)|openblas)/(\w+)/threads:(\d)", k)
        if m and m.group(2) in LADDER_SHAPES:
            ladder[(m.group(1) or "OpenBLAS", m.group(2), int(m.group(3)))] = b["GFLOP/s"]
    shapes = list(dict.fromkeys(shape for _, shape, _ in ladder))
    steps = sorted({step for step, _, _ in ladder}, key=lambda st: (st == "OpenBLAS", st))
    series = []
    for step in steps:
        threads = sorted({t for st, _, t in ladder if st == step})
        palette = OPENBLAS_ORANGES if step == "OpenBLAS" else OURS_BLUES
        for t in threads:
            # The thread count is named only where a step was run with more than one.
            label = f"{step} ({t} thread{'s' if t > 1 else ''})" if len(threads) > 1 else step
            used = sum(1 for s in series if (s[1] == "OpenBLAS") == (step == "OpenBLAS"))
            series.append((label, step, t, palette[min(used, len(palette) - 1)]))
    return ladder, shapes, series


def gemm_table_and_chart(bench, out, caption):
    """Stage 03's GEMM ladder: table, chart, and the backward shapes."""
    ladder, shapes, series = gemm_ladder(bench)
    if not ladder:
        return []
    peaks = [(f"{n}-core peak", bench[f"stage03.roofline/peak_fma/threads:{n}"]["GFLOP/s"])
             for n in (1, 2) if f"stage03.roofline/peak_fma/threads:{n}" in bench]
    lines = ["", "## The GEMM ladder (stage 03), GFLOP/s", "",
             "| step | " + " | ".join(shapes) + " |", "|---|" + "---:|" * len(shapes)]
    for label, step, t, _ in series:
        cells = [fmt(ladder.get((step, shape, t))) for shape in shapes]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for t in (1, 2):
        pairs = [(ladder.get(("5_threaded", s, t)), ladder.get(("OpenBLAS", s, t))) for s in shapes]
        if all(ours and blas for ours, blas in pairs):
            cells = [f"**{ours / blas:.2f}x**" for ours, blas in pairs]
            lines.append(f"| **5_threaded / OpenBLAS, {t} thread{'s' if t > 1 else ''}** | "
                         + " | ".join(cells) + " |")
    for name, v in peaks:
        lines.append(f"| measured {name} (`peak_fma`) | " + " | ".join(f"{v:,.1f}" for _ in shapes) + " |")
    by_label = {label: (step, t) for label, step, t, _ in series}

    def value(label, shape):
        step, t = by_label[label]
        return ladder.get((step, shape, t))

    if svg.grouped_bars(out / "gemm.svg", "Stage 03 GEMM ladder: GFLOP/s per matrix shape", shapes,
                        [(label, colour) for label, _, _, colour in series], value, "GFLOP/s",
                        caption, references=peaks):
        lines += ["", "![GEMM ladder](gemm.svg)"]
    return lines + backward_gemm_table(bench)


def backward_gemm_table(bench):
    """The backward-pass shapes of stage 03's sgemm against OpenBLAS."""
    shapes = list(dict.fromkeys(m.group(1) for k in bench
                                if (m := re.fullmatch(r"stage03\.gemm/sgemm/(\w+)/threads:\d", k))))
    if not shapes:
        return []
    lines = ["", "Backward-pass shapes (`stage03.gemm/sgemm/...` against `stage03.openblas/...`), "
             "GFLOP/s:", "",
             "| shape | ours, 1 thread | OpenBLAS, 1 thread | ours, 2 threads | OpenBLAS, 2 threads "
             "| ours / OpenBLAS, 2 threads |",
             "|---|---:|---:|---:|---:|---:|"]
    for s in shapes:
        cells = [bench.get(f"stage03.{kind}/{s}/threads:{t}", {}).get("GFLOP/s")
                 for t in (1, 2) for kind in ("gemm/sgemm", "openblas")]
        ratio = f"{cells[2] / cells[3]:.2f}x" if cells[2] and cells[3] else ""
        lines.append(f"| {s} | " + " | ".join(fmt(c) for c in cells) + f" | {ratio} |")
    return lines


def gpu_kernel_table_and_chart(gpu, out):
    """Stage 05's kernels per rung (those worth 1% or more of their rung's step), cuBLAS beside."""
    rows, ctx, name = gpu["rows"], gpu["context"], gpu_short_name(gpu)
    lines = ["", f"## The kernel ladder (stage 05, {name}, a different machine)", "",
             f"From `{gpu['file']}`; each number from one run of --benchmark_min_time=0.1 (its own "
             f"median). Measured ceilings: {float(ctx.get('peak_fp32_GFLOPps', 'nan')):,.0f} GFLOP/s "
             f"float32 FMA, {float(ctx.get('peak_copy_GBps', 'nan')):,.0f} GB/s copy. Kernels under 1% of "
             "their rung's step are left out here (see Every benchmark).", "",
             "| rung | kernel | time | GFLOP/s | GB/s | % FP32 peak | % copy bandwidth |",
             "|---|---|---:|---:|---:|---:|---:|"]
    bars = []
    for k, b in rows.items():
        m = re.fullmatch(r"(stage05\.(?:rung(\d)_[^.]+|cublas))\.(.+)", k)
        if not m or m.group(3) in ("step", "step_graph"):
            continue
        rung = f"rung {m.group(2)}" if m.group(2) else "cuBLAS"
        step = rows.get(m.group(1) + ".step")
        if step and data.milliseconds(b) < 0.01 * data.milliseconds(step):
            continue  # a launch of a few microseconds: in Every benchmark, not in the ladder
        pf, pb = b.get("%peak_flops", 0), b.get("%peak_bw", 0)
        lines.append(f"| {rung} | {m.group(3)} | {fmt_time(data.milliseconds(b))} | {fmt(b.get('GFLOP/s'))} "
                     f"| {fmt(b.get('GB/s'))} | {pf:.1f}% | {pb:.1f}% |")
        bound = f"{pf:.0f}% of FP32 peak" if pf >= pb else f"{pb:.0f}% of copy bandwidth"
        bars.append((f"{rung}: {m.group(3)}", max(pf, pb), rung,
                     f"{bound}, {fmt_time(data.milliseconds(b))}"))
    caption = f"{name}, {ctx.get('date', '?')[:10]}; the larger of the two shares is drawn. {gpu['file']}"
    if svg.horizontal_bars(out / "gpu_kernels.svg", "Stage 05 kernels: share of the measured peak",
                           bars, RUNG_COLOURS, "% of measured peak (FP32 FMA or copy bandwidth)", caption):
        lines += ["", "![stage 05 kernels](gpu_kernels.svg)"]
    return lines


def every_benchmark(bench, gpu):
    """Every benchmark of the run (and the GPU's), alphabetically."""
    lines = ["", "## Every benchmark", "", "| benchmark | time | GFLOP/s | GB/s | images/s |",
             "|---|---:|---:|---:|---:|"]
    if gpu:
        note = f"(stage05 rows: {gpu_short_name(gpu)}, another machine, from `{gpu['file']}`.)"
        lines[3:3] = [note, ""]
    everything = {**bench, **(gpu["rows"] if gpu else {})}
    for name, b in sorted(everything.items()):
        lines.append(f"| {name} | {fmt_time(data.milliseconds(b))} | {fmt(b.get('GFLOP/s'))} | "
                     f"{fmt(b.get('GB/s'))} | {fmt(b.get('images/s'), 0)} |")
    return lines


def main():
    """Reads the folders, writes report.md and the charts, prints the report's start."""
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "build/bench")
    gpu_dir = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("BENCH_GPU_DIR")
    context, bench, repetitions = data.load_dir(out)
    if not bench:
        sys.exit(f"error: {out}: no stage*.json benchmark results (run make bench)")
    torch = data.load_json(out / "torch.json")
    gpu = data.load_gpu_dir(gpu_dir) if gpu_dir else None
    caption = (f"{data.cpu_description()}, {context.get('num_cpus', '?')} cores, "
               f"{context.get('date', '?')[:10]}; medians of `make bench`.")
    bars = []
    lines = header(context, repetitions, out.parent) + forward_table(bench, bars)
    lines += training_table(bench, torch, bars)
    if gpu:
        lines += gpu_training_table(gpu, bars)
    stages_caption = caption
    if gpu:
        source = gpu["results_file"] or gpu["file"]
        stages_caption += f" GPU rows: {gpu_short_name(gpu)}, another machine ({source})."
    if svg.horizontal_bars(out / "stages.svg", "Images per second, every stage (batch 128)", bars,
                           COLOURS, "images per second", stages_caption, log=True):
        lines += ["", "![images/s per stage](stages.svg)"]
    lines += gemm_table_and_chart(bench, out, caption)
    if gpu:
        lines += gpu_kernel_table_and_chart(gpu, out)
    lines += every_benchmark(bench, gpu)
    (out / "report.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:40]))
    print(f"\n(full report: {out}/report.md)")


if __name__ == "__main__":
    main()

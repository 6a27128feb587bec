"""Every number table of the README, the stage READMEs and the docs, made from results files.

Each table is a function of `store`, a dict {"cpu": results or None, "gpu": results or None}
(results files as scripts/results_store.py writes them), returning Markdown lines. TABLES
maps the name used in a page's marker, `<!-- results:NAME -->`, to its function;
scripts/results_pages.py puts the lines between the markers. A table whose numbers are not
in the store says so in one line instead of failing: a reader's machine may have no GPU.
"""
import re

MNIST_TRAIN_IMAGES = 60000


# --- formatting ------------------------------------------------------------------------------

def fmt_time(ms):
    """A time in ms, or in µs below 0.1 ms (a GPU kernel's few microseconds)."""
    return f"{ms:,.2f} ms" if ms >= 0.1 else f"{ms * 1000:,.2f} µs"


def fmt(v, digits=1):
    """A number with thousands separators; an empty cell for none or zero."""
    return "" if not v else f"{v:,.{digits}f}"


def ratio(a, b, digits=2):
    """a/b as '1.23x', or an empty cell."""
    return f"{a / b:.{digits}f}x" if a and b else ""


def machine_line(results, what="Measured on"):
    """The caption that names the machine; every table carries one."""
    m = results["machine"]
    where = m.get("gpu") or m["cpu"]
    cores = f", {m['cores']} cores" if m.get("cores") and not m.get("gpu") else ""
    return (f"{what} {where}{cores}, {m['compiler']} (`results/{m['name']}.json`)."
            if m.get("name") else f"{what} {where}{cores}, {m['compiler']}.")


def missing(kind, what):
    """The one line a table shows when its numbers were not measured."""
    return [f"*(No {kind} results with {what}: run `make bench`"
            + (" and stages/05_cuda/gpu_check.sh on a GPU machine" if kind == "GPU" else "") + ".)*"]


def rows_of(store, kind):
    """The benchmark rows of the CPU or GPU results, or {}."""
    results = store.get(kind)
    return results[kind]["rows"] if results and kind in results else {}


# --- the CPU stages --------------------------------------------------------------------------

def stage00_percentiles(store):
    """The stoplight's time per training iteration, as a distribution, on every device run."""
    lines = ["| binary, device (machine) | iterations | p50 | p90 | p99 | min | first |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    machines = []
    for kind in ("cpu", "gpu"):
        results = store.get(kind)
        runs = results[kind].get("runs", {}) if results and kind in results else {}
        for name, r in sorted(runs.items()):
            if r.get("stage") != "00":
                continue
            us = [f"{r.get(f'iteration_{q}_us', 0):,.3f} us" for q in ("p50", "p90", "p99", "min", "max")]
            where = results["machine"].get("name") or kind
            lines.append(f"| `{name}`, {r.get('device', '')} ({where}) | {r.get('iterations')} | "
                         + " | ".join(us) + " |")
            machines.append(machine_line(results, f"{where}:"))
    if not machines:
        return missing("CPU", "the stoplight's runs")
    return lines + [""] + list(dict.fromkeys(machines))


def forward_rows(rows):
    """(stage, row) for each forward stage's whole forward pass at batch 128."""
    return [(k[:7], v) for k, v in sorted(rows.items()) if re.fullmatch(r"stage\d\d\.forward", k)]


def scoreboard(store):
    """The front page: every stage's images/s, each against the one before and against PyTorch."""
    rows = rows_of(store, "cpu")
    if not rows:
        return missing("CPU", "stage benchmarks")
    lines = ["| what (batch 128) | images/s | GFLOP/s | speed-up |", "|---|---:|---:|---|"]
    first = prev = None
    for stage, b in forward_rows(rows):
        ips = b["images/s"]
        up = "" if not prev else f"{ips / prev:.1f}x stage {prev_stage[5:]}" + (
            f", {ips / first:.0f}x stage 01" if first and prev != first else "")
        lines.append(f"| {stage[:5]} {stage[5:]} forward | {ips:,.0f} | {fmt(b.get('GFLOP/s'))} | {up} |")
        first, prev, prev_stage = first or ips, ips, stage
    step, torch = rows.get("stage04.train_step"), store["cpu"]["cpu"].get("torch")
    rungs = sorted((int(m.group(1)), b) for k, b in rows.items()
                   if (m := re.fullmatch(r"stage04\.rung(\d)\.train_step", k)))
    for label, b in ([("stage 04 training step (rung 1)", step)] if step else []) + \
            [(f"stage 04 training step, rung {n}", b) for n, b in rungs[-1:]]:
        vs = f"**{ratio(b['images/s'], torch['train_images_per_second'])} PyTorch**" if torch else ""
        lines.append(f"| {label} | {b['images/s']:,.0f} | {fmt(b.get('GFLOP/s'))} | {vs} |")
    if torch:
        lines.append(f"| {torch['name']} training, same machine | {torch['train_images_per_second']:,.0f} | | |")
    notes = [machine_line(store["cpu"])]
    gpu = store.get("gpu")
    if gpu and "gpu" in gpu:
        best = best_rung(gpu)
        rivals = torch_gpu_rates(gpu)
        if best:
            label, ips = best
            rival = max(rivals.items(), key=lambda kv: kv[1]) if rivals else None
            vs = f"**{ips / rival[1]:.1f}x PyTorch {rival[0]}**" if rival else ""
            lines.append(f"| stage 05 {label} training epoch | {ips:,.0f} | | {vs} |")
            for mode, r in sorted(rivals.items()):
                lines.append(f"| PyTorch {mode} training epoch, same GPU | {r:,.0f} | | |")
            notes.append("GPU rows: " + machine_line(gpu, "measured on"))
    return lines + [""] + notes


def layer_table(store, stage, previous=None):
    """One forward stage's layers at batch 128: time, GFLOP/s, and the speed-up over the
    stage before it on the same machine in the same run."""
    rows = rows_of(store, "cpu")
    if f"{stage}.forward" not in rows:
        return missing("CPU", f"{stage}'s benchmark")
    head = "| layer (batch 128) | time | GFLOP/s | images/s |"
    rule = "|---|---:|---:|---:|"
    if previous:
        head, rule = head + f" vs {previous} |", rule + "---:|"
    lines = [head, rule]
    for layer in ("conv1", "conv2", "dense", "forward", "test_set"):
        b = rows.get(f"{stage}.{layer}")
        if not b:
            continue
        name = {"forward": "whole forward pass", "test_set": "the 10,000 test images"}.get(layer, layer)
        cells = [name, fmt_time(b["ms"]), fmt(b.get("GFLOP/s")), fmt(b.get("images/s"), 0)]
        if previous:
            before = rows.get(f"{previous}.{layer}")
            cells.append(ratio(before["ms"], b["ms"], 1) if before else "")
        lines.append("| " + " | ".join(cells) + " |")
    return lines + ["", machine_line(store["cpu"]) + " Medians of `make bench`."]


def stage02_loop_order(store):
    """The same triple loop in three orders: GFLOP/s per shape."""
    rows = rows_of(store, "cpu")
    found = {}
    for k, b in rows.items():
        m = re.fullmatch(r"stage02\.gemm_(\w+)/(\w+)", k)
        if m:
            found.setdefault(m.group(2), {})[m.group(1)] = b.get("GFLOP/s")
    if not found:
        return missing("CPU", "stage02's loop-order benchmark")
    lines = ["| shape | i-j-k | **i-k-j** (used) | j-k-i | i-k-j / i-j-k |", "|---|---:|---:|---:|---:|"]
    for shape, g in found.items():
        lines.append(f"| {shape} | {fmt(g.get('ijk'))} | **{fmt(g.get('ikj'))}** | {fmt(g.get('jki'))} "
                     f"| {ratio(g.get('ikj'), g.get('ijk'), 0)} |")
    return lines + ["", machine_line(store["cpu"]) + " GFLOP/s, one thread."]


# --- stage 03's GEMM ladder ------------------------------------------------------------------

LADDER_SHAPES = ("conv1", "conv2", "dense", "1024")


def gemm_ladder(rows):
    """{(step, shape, threads): GFLOP/s} for stage03.gemm/<step>/<shape>/threads:N and
    stage03.openblas/<shape>/threads:N, with the steps in ladder order, OpenBLAS last."""
    ladder = {}
    for k, b in rows.items():
        m = re.fullmatch(r"stage03\.(?:gemm/(\d_\w+)|openblas)/(\w+)/threads:(\d)", k)
        if m and m.group(2) in LADDER_SHAPES:
            ladder[(m.group(1) or "OpenBLAS", m.group(2), int(m.group(3)))] = b["GFLOP/s"]
    shapes = [s for s in LADDER_SHAPES if any(s == sh for _, sh, _ in ladder)]
    steps = sorted({st for st, _, _ in ladder}, key=lambda st: (st == "OpenBLAS", st))
    series = [(st, t) for st in steps for t in sorted({t for s2, _, t in ladder if s2 == st})]
    return ladder, shapes, series


def peaks(rows):
    """The measured FMA peak of 1 and 2 cores (stage 03's roofline benchmark)."""
    return {n: rows[f"stage03.roofline/peak_fma/threads:{n}"]["GFLOP/s"]
            for n in (1, 2) if f"stage03.roofline/peak_fma/threads:{n}" in rows}


def stage03_gemm(store):
    """The ladder, step by step, in GFLOP/s; the final step against OpenBLAS and the peak."""
    rows = rows_of(store, "cpu")
    ladder, shapes, series = gemm_ladder(rows)
    if not ladder:
        return missing("CPU", "stage03's GEMM ladder")
    lines = ["| step | threads | " + " | ".join(shapes) + " |", "|---|---:|" + "---:|" * len(shapes)]
    for step, t in series:
        lines.append(f"| {step} | {t} | " + " | ".join(fmt(ladder.get((step, s, t))) for s in shapes) + " |")
    last = max((st for st, _ in series if st != "OpenBLAS"), default=None)
    for t in (1, 2):
        pairs = [(ladder.get((last, s, t)), ladder.get(("OpenBLAS", s, t))) for s in shapes]
        if all(a and b for a, b in pairs):
            lines.append(f"| **{last} / OpenBLAS** | {t} | " + " | ".join(f"**{a / b:.2f}x**" for a, b in pairs) + " |")
    for n, peak in peaks(rows).items():
        got = [ladder.get((last, s, n)) for s in shapes]
        lines.append(f"| {last}, % of the measured peak ({peak:,.0f}) | {n} | "
                     + " | ".join(f"{100 * g / peak:.0f}%" if g else "" for g in got) + " |")
    return lines + ["", machine_line(store["cpu"]) + " GFLOP/s, medians of `make bench`."]


def stage03_backward_shapes(store):
    """The transposed products of the backward pass: our sgemm against OpenBLAS."""
    rows = rows_of(store, "cpu")
    shapes = list(dict.fromkeys(m.group(1) for k in rows
                                if (m := re.fullmatch(r"stage03\.gemm/sgemm/(\w+)/threads:\d", k))))
    if not shapes:
        return missing("CPU", "stage03's sgemm shapes")
    lines = ["| shape | ours, 1 thread | OpenBLAS, 1 thread | ours, 2 threads | OpenBLAS, 2 threads "
             "| ours / OpenBLAS, 2 threads |", "|---|---:|---:|---:|---:|---:|"]
    for s in shapes:
        c = [rows.get(f"stage03.{kind}/{s}/threads:{t}", {}).get("GFLOP/s")
             for t in (1, 2) for kind in ("gemm/sgemm", "openblas")]
        lines.append(f"| {s} | " + " | ".join(fmt(x) for x in c) + f" | {ratio(c[2], c[3])} |")
    return lines + ["", machine_line(store["cpu"]) + " GFLOP/s."]


def roofline(store):
    """The measured ceilings: FMA peak and memory bandwidth, per thread count."""
    rows = rows_of(store, "cpu")
    found = sorted((k, b) for k, b in rows.items() if k.startswith("stage03.roofline/"))
    if not found:
        return missing("CPU", "stage03's roofline benchmark")
    lines = ["| ceiling | threads | measured |", "|---|---:|---:|"]
    for k, b in found:
        m = re.fullmatch(r"stage03\.roofline/(.+)/threads:(\d)", k)
        what, value = (m.group(1), m.group(2)) if m else (k, "")
        unit = "GFLOP/s" if "GFLOP/s" in b else "GB/s"
        lines.append(f"| {what} | {value} | {b.get(unit, 0):,.1f} {unit} |")
    return lines + ["", machine_line(store["cpu"])]


# The GEMM shapes of the roofline comparison: M, N, K.
ROOFLINE_SHAPES = {"conv1": (32, 86528, 9), "conv2": (64, 15488, 288), "1024": (1024, 1024, 1024)}


def gemm_vs_roofline(store):
    """Each GEMM shape's ceiling, min(FMA peak, intensity x triad bandwidth), against what
    stage 03's final step measured; the intensity counts A, B and C moved once."""
    rows = rows_of(store, "cpu")
    ladder, _, series = gemm_ladder(rows)
    last = max((st for st, _ in series if st != "OpenBLAS"), default=None)
    if not last:
        return missing("CPU", "stage03's GEMM ladder")
    lines = ["| shape (M x N x K) | FLOP per byte | threads | ceiling, GFLOP/s | measured | % of the ceiling |",
             "|---|---:|---:|---:|---:|---:|"]
    for shape, (m, n, k) in ROOFLINE_SHAPES.items():
        intensity = 2 * m * n * k / (4 * (m * k + k * n + m * n))
        for t, peak in peaks(rows).items():
            triad = rows.get(f"stage03.roofline/bandwidth/triad/threads:{t}", {}).get("GB/s")
            got = ladder.get((last, shape, t))
            if not triad or not got:
                continue
            memory_roof = intensity * triad
            ceiling, bound = (peak, "FMA") if peak <= memory_roof else (memory_roof, "memory")
            lines.append(f"| {shape} ({m} x {n:,} x {k}) | {intensity:.1f} | {t} | {ceiling:,.0f} ({bound}) "
                         f"| {got:,.1f} | {100 * got / ceiling:.0f}% |")
    return lines + ["", machine_line(store["cpu"]) + f" Measured: step {last}."]


# --- stage 04: training on the CPU -------------------------------------------------------------

def stage04_peak(rows):
    """(the 2-core FMA peak to hold stage 04's steps against, whether stage04_bench measured it
    beside them): its own measurement when the results have one, else stage 03's."""
    beside = rows.get("stage04.fma_peak/threads:2")
    return (beside["GFLOP/s"], True) if beside else (peaks(rows).get(2), False)


def stage04_step(store):
    """The training step and its parts, and PyTorch training the same model on the same CPU."""
    rows = rows_of(store, "cpu")
    step = rows.get("stage04.train_step")
    if not step:
        return missing("CPU", "stage04's benchmark")
    lines = ["| part of one step (batch 128) | time | GFLOP/s | share of the step |",
             "|---|---:|---:|---:|",
             f"| whole training step | {fmt_time(step['ms'])} | {fmt(step.get('GFLOP/s'))} | 100% |"]
    for part in ("forward", "backward", "optimiser"):
        b = rows.get(f"stage04.step.{part}")
        if b:
            lines.append(f"| &nbsp;&nbsp;{part} | {fmt_time(b['ms'])} | {fmt(b.get('GFLOP/s'))} "
                         f"| {100 * b['ms'] / step['ms']:.0f}% |")
    layers = sorted(k for k in rows if re.fullmatch(r"stage04\.(forward|backward)\.\w+", k))
    for k in layers:
        b = rows[k]
        lines.append(f"| &nbsp;&nbsp;&nbsp;&nbsp;{k[8:]} | {fmt_time(b['ms'])} | {fmt(b.get('GFLOP/s'))} "
                     f"| {100 * b['ms'] / step['ms']:.0f}% |")
    peak, _ = stage04_peak(rows)
    torch = store["cpu"]["cpu"].get("torch")
    notes = [""]
    if peak and step.get("GFLOP/s"):
        notes.append(f"The step runs at {100 * step['GFLOP/s'] / peak:.0f}% of the two cores' measured "
                     f"FMA peak ({peak:,.0f} GFLOP/s).")
    if torch:
        notes.append(f"{torch['name']} trains {torch['train_images_per_second']:,.0f} images/s on the same "
                     f"machine; stage 04 {step['images/s']:,.0f}: "
                     f"**{ratio(step['images/s'], torch['train_images_per_second'])}**.")
    return lines + notes + ["", machine_line(store["cpu"])]


def stage04_rungs(store):
    """Stage 04's ladder: one training step of each rung, against rung 1, the cores' measured
    FMA peak and PyTorch on the same machine. The peak is the one stage04_bench measures just
    before the steps (a results file from before it had one: stage 03's)."""
    rows = rows_of(store, "cpu")
    first = rows.get("stage04.train_step")
    if not first:
        return missing("CPU", "stage04's benchmark")
    ladder = [("1", first)] + sorted((m.group(1), b) for k, b in rows.items()
                                     if (m := re.fullmatch(r"stage04\.rung(\d)\.train_step", k)))
    peak, beside = stage04_peak(rows)
    torch = store["cpu"]["cpu"].get("torch")
    lines = ["| rung (one step, batch 128, 2 threads) | time | images/s | x rung 1 | % of the FMA peak | x PyTorch |",
             "|---|---:|---:|---:|---:|---:|"]
    for rung, b in ladder:
        share = f"{100 * b['GFLOP/s'] / peak:.0f}%" if peak and b.get("GFLOP/s") else ""
        vs_torch = ratio(b["images/s"], torch["train_images_per_second"], 1) if torch else ""
        lines.append(f"| {rung} | {fmt_time(b['ms'])} | {b['images/s']:,.0f} | {ratio(first['ms'], b['ms'], 1)} "
                     f"| {share} | {vs_torch} |")
    note = ((f" The FMA peak ({peak:,.0f} GFLOP/s) was measured by the same benchmark run just before"
             " the steps." if beside else "")
            + " Rungs 2 to 5's step gathers its batch and draws its dropout mask; rung 1's is handed them."
            + (" PyTorch's figure is its median epoch after the first (shuffling and batching included),"
               " the rungs' one timed step." if torch else ""))
    return lines + ["", machine_line(store["cpu"]) + note]


# --- stage 05: the GPU -------------------------------------------------------------------------

def torch_gpu_rates(gpu):
    """{mode: images/s per steady epoch} of PyTorch on the GPU machine."""
    torch = gpu["gpu"].get("torch") or {}
    return {r["mode"]: MNIST_TRAIN_IMAGES / r["steady_epoch_seconds"]
            for r in torch.get("runs", []) if "error" not in r and r.get("steady_epoch_seconds")}


def best_rung(gpu):
    """(label, images/s) of the fastest training run."""
    rates = {f"rung {k[4:]}": r["images_per_second"] for k, r in gpu["gpu"]["rungs"].items()
             if r.get("images_per_second")}
    return max(rates.items(), key=lambda kv: kv[1]) if rates else None


def stage05_rungs(store):
    """Every rung's 5-epoch run and PyTorch's on the same GPU, per steady epoch."""
    gpu = store.get("gpu")
    if not gpu or "gpu" not in gpu:
        return missing("GPU", "stage 05's training runs")
    lines = ["| run | ms per epoch | images/s | whole run, s | test accuracy |",
             "|---|---:|---:|---:|---:|"]
    for key, r in sorted(gpu["gpu"]["rungs"].items()):
        ips = r.get("images_per_second")
        ms = 1000 * MNIST_TRAIN_IMAGES / ips if ips else None
        name = f"stage05 rung {key[4:]}" + (f" ({r['rung_name']})" if r.get("rung_name") else "")
        total = r.get("total_seconds")
        lines.append(f"| {name} | {fmt(ms, 1)} | {fmt(ips, 0)} | {fmt(total, 2)} "
                     f"| {100 * r['accuracy']:.2f}% |" if "accuracy" in r else f"| {name} | {fmt(ms, 1)} | {fmt(ips, 0)} | | |")
    torch = gpu["gpu"].get("torch") or {}
    for r in torch.get("runs", []):
        if "error" in r or not r.get("steady_epoch_seconds"):
            continue
        lines.append(f"| PyTorch {torch.get('torch', '')} {r['mode']} | {1000 * r['steady_epoch_seconds']:.1f} "
                     f"| {MNIST_TRAIN_IMAGES / r['steady_epoch_seconds']:,.0f} | {fmt(r.get('total_seconds'), 2)} "
                     f"| {100 * r['accuracy']:.2f}% |")
    rivals = torch_gpu_rates(gpu)
    notes = [""]
    for key, r in sorted(gpu["gpu"]["rungs"].items()):
        # Like against like: a tensor-core rung against PyTorch with TF32 allowed, an exact
        # float32 rung against PyTorch in strict float32.
        tf32 = r.get("rung_name") == "tensor"
        same = {m: v for m, v in rivals.items() if m.endswith("-tf32") == tf32}
        if r.get("images_per_second") and same:
            notes.append(f"Per epoch, rung {key[4:]} is " + ", ".join(
                f"**{r['images_per_second'] / v:.1f}x** PyTorch {m}" for m, v in sorted(same.items())) + ".")
    return lines + notes + ["", machine_line(gpu)]


def gpu_kernels(rows):
    """(rung label, kernel name, row) for every stage05 kernel worth 1% or more of its
    rung's step; launches of a few microseconds stay in the report's Every benchmark."""
    found = []
    for k, b in rows.items():
        g = re.fullmatch(r"(stage05\.(?:rung(\d)_[^.]+|cublas))\.(.+)", k)
        if not g or g.group(3) in ("step", "step_graph"):
            continue
        step = rows.get(g.group(1) + ".step")
        if step and b["ms"] < 0.01 * step["ms"]:
            continue
        found.append((f"rung {g.group(2)}" if g.group(2) else "cuBLAS", g.group(3), b))
    return found


def stage05_kernels(store):
    """Each rung's kernels worth 1% or more of its step, against the measured ceilings."""
    gpu = store.get("gpu")
    if not gpu or "gpu" not in gpu:
        return missing("GPU", "stage05's benchmark")
    rows, m = gpu["gpu"]["rows"], gpu["machine"]
    lines = ["| rung | kernel | time | GFLOP/s | GB/s | % FP32 peak | % copy bandwidth |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for rung, kernel, b in gpu_kernels(rows):
        lines.append(f"| {rung} | {kernel} | {fmt_time(b['ms'])} | {fmt(b.get('GFLOP/s'))} | {fmt(b.get('GB/s'))} "
                     f"| {b.get('%peak_flops', 0):.1f}% | {b.get('%peak_bw', 0):.1f}% |")
    ceilings = (f" Measured ceilings: {m.get('peak_fp32_GFLOPps', 0):,.0f} GFLOP/s FP32 FMA, "
                f"{m.get('peak_copy_GBps', 0):,.0f} GB/s copy.") if m.get("peak_fp32_GFLOPps") else ""
    return lines + ["", machine_line(gpu) + ceilings]


def stage06_steps(store):
    """Stage 06 on one GPU: the step at each batch a rank could get, split into compute,
    waiting and communication, NCCL's own all-reduce beside it, and what that implies."""
    gpu = store.get("gpu")
    runs = (gpu or {}).get("gpu", {}).get("stage06") or {}
    # gpu_check.sh's batch sweep on one GPU: g1-batch16.json, g1-batch32.json, ...
    batches = sorted((r for k, r in runs.items() if k.startswith("g1-batch")),
                     key=lambda r: r["batch"])
    if not batches:
        return missing("GPU", "stage 06's runs")

    def us_per_step(r):  # the graph's step: the epoch's time over its steps
        steps = -(-MNIST_TRAIN_IMAGES // r["batch"])
        return 1e6 * r["seconds_per_epoch"] / steps

    lines = ["| batch per GPU | graph: µs per step | one by one: step = compute + waiting, µs "
             "| communication (overlapped), µs | the same all-reduces alone, µs "
             "| one all-reduce of all 139,304 bytes, µs |",
             "|---:|---:|---:|---:|---:|---:|"]
    for r in batches:
        comm, wait = r["rank0_communication_us"], r["rank0_waiting_us"]
        lines.append(f"| {r['batch']} | {us_per_step(r):.1f} | {r['rank0_step_us']:.1f} = "
                     f"{r['rank0_compute_us']:.1f} + {wait:.1f} | {comm:.1f} ({comm - wait:.1f}) "
                     f"| {r['rank0_allreduce_alone_us']:.1f} | {r['rank0_allreduce_one_call_us']:.1f} |")
    notes = [""]
    at = {r["batch"]: us_per_step(r) for r in batches}
    if 128 in at:
        ceilings = [f"{at[128] / at[128 // g]:.2f}x on {g} GPUs" for g in (2, 4, 8) if 128 // g in at]
        if ceilings:
            notes.append("Strong scaling's ceiling with a free all-reduce, t(128) / t(128/G): "
                         + ", ".join(ceilings) + ".")
        notes.append(f"Weak scaling at 1.8x on 2 GPUs leaves {at[128] * (2 / 1.8 - 1):.1f} µs of "
                     "exposed communication per step.")
        if 256 in at:
            notes.append(f"One GPU at batch 256 trains {2 * at[128] / at[256]:.2f}x the images/s "
                         "of batch 128.")
    if runs.get("commit"):  # carried from an earlier GPU run that measured stage 06
        notes.append("Stage 06's runs are carried over from an earlier GPU run than the results "
                     "file's other rows (the file names its commit).")
    one, beside = runs.get("g1-strong"), runs.get("stage05")
    if one and beside:
        nograph = runs.get("g1-nograph")
        notes.append(f"One rank, {one['epochs']} epochs: {1000 * one['seconds_per_epoch']:.1f} ms per "
                     f"epoch, {100 * one['accuracy']:.2f}%; stage 05 rung {beside['rung']} in the same "
                     f"run {1000 * beside['seconds_per_epoch']:.1f} ms ({100 * beside['accuracy']:.2f}%)"
                     + (f"; steps launched one by one {1000 * nograph['seconds_per_epoch']:.1f} ms"
                        if nograph else "") + ".")
    return lines + notes + ["", machine_line(gpu)]


TABLES = {
    "scoreboard": scoreboard,
    "stage00-percentiles": stage00_percentiles,
    "stage01-layers": lambda s: layer_table(s, "stage01"),
    "stage02-layers": lambda s: layer_table(s, "stage02", "stage01"),
    "stage02-loop-order": stage02_loop_order,
    "stage03-layers": lambda s: layer_table(s, "stage03", "stage02"),
    "stage03-gemm": stage03_gemm,
    "stage03-backward-shapes": stage03_backward_shapes,
    "roofline": roofline,
    "gemm-vs-roofline": gemm_vs_roofline,
    "stage04-step": stage04_step,
    "stage04-rungs": stage04_rungs,
    "stage05-rungs": stage05_rungs,
    "stage05-kernels": stage05_kernels,
    "stage06-steps": stage06_steps,
}

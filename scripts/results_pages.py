#!/usr/bin/env python3
"""Puts the numbers of the results store into the pages, and checks that no page drifted.

  python3 scripts/results_pages.py render     re-render every table and chart in the tree
  python3 scripts/results_pages.py check      exit 1 if a page or chart differs from its render
  python3 scripts/results_pages.py compare YOURS.json [-o DIR]
                                               your machine's tables beside the reference's

A page holds a table as
    <!-- results:NAME -->
    (generated lines)
    <!-- /results -->
and NAME is a key of results_tables.TABLES. The reference machines' files are REFERENCE
below; the charts under docs/images/bench/ are drawn from them too. `make bench` runs
`compare` with the file it just measured, so a reader sees their own numbers, ratio by
ratio, without the committed pages changing.
"""
import argparse
import difflib
import pathlib
import re
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import bench_svg as svg  # noqa: E402
import results_store  # noqa: E402
import results_tables as tables  # noqa: E402

# The reference machines: the 2-core CPU kind the project is built and tested on, and one GPU.
REFERENCE = {"cpu": ROOT / "results/cpu-2core.json", "gpu": ROOT / "results/gpu-h200.json"}
PAGES = ["README.md", "stages/*/README.md", "docs/**/*.md"]
CHARTS = ROOT / "docs/images/bench"
MARKER = re.compile(r"(<!-- results:([\w-]+) -->\n)(.*?)(<!-- /results -->)", re.S)


def reference_store():
    """The committed results of the reference machines (a missing file is simply absent)."""
    return {kind: results_store.load(path) if path.exists() else None for kind, path in REFERENCE.items()}


def render_text(text, store, where):
    """The page with every marked table re-rendered; an unknown table name is an error."""
    def replace(m):
        name = m.group(2)
        if name not in tables.TABLES:
            raise SystemExit(f"error: {where}: unknown results table '{name}' "
                             f"(known: {', '.join(sorted(tables.TABLES))})")
        return m.group(1) + "\n".join(tables.TABLES[name](store)) + "\n" + m.group(4)
    return MARKER.sub(replace, text)


def pages():
    """Every Markdown page that may hold a table, in a stable order."""
    found = sorted({p for pattern in PAGES for p in ROOT.glob(pattern)})
    return [p for p in found if "build" not in p.relative_to(ROOT).parts[0]]


# --- charts ------------------------------------------------------------------------------------

STAGE_COLOURS = {"forward, CPU": "#4a78b5", "training, CPU": "#2e8b57",
                 "training, GPU": "#8e44ad", "PyTorch": "#e67e22"}
LADDER_BLUES = ["#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"]
RUNG_COLOURS = {"rung 1": "#c5b0d5", "rung 2": "#9467bd", "rung 3": "#5b2c83", "rung 4": "#2d0a4e",
                "cuBLAS": "#e67e22"}


def stages_chart(store, path):
    """images/s of every stage, forward and training, PyTorch beside (log scale)."""
    bars, captions = [], []
    cpu = store.get("cpu")
    if cpu and "cpu" in cpu:
        rows = cpu["cpu"]["rows"]
        for stage, b in tables.forward_rows(rows):
            bars.append((f"{stage} forward", b["images/s"], "forward, CPU", f"{b['images/s']:,.0f}"))
        for k in sorted(k for k in rows if re.fullmatch(r"stage04\.(rung\d\.)?train_step", k)):
            ips = rows[k]["images/s"]
            rung = k.split(".")[1] if k.count(".") == 2 else "rung1"
            bars.append((f"stage04 training step, {rung[:4]} {rung[4:]}", ips, "training, CPU", f"{ips:,.0f}"))
        torch = cpu["cpu"].get("torch")
        if torch:
            ips = torch["train_images_per_second"]
            bars.append(("PyTorch training (CPU)", ips, "PyTorch", f"{ips:,.0f}"))
        captions.append(tables.machine_line(cpu, "CPU:"))
    gpu = store.get("gpu")
    if gpu and "gpu" in gpu:
        for key, r in sorted(gpu["gpu"]["rungs"].items()):
            if r.get("images_per_second"):
                ips = r["images_per_second"]
                bars.append((f"stage05 rung {key[4:]} training", ips, "training, GPU", f"{ips:,.0f}"))
        for mode, ips in sorted(tables.torch_gpu_rates(gpu).items()):
            bars.append((f"PyTorch {mode} (GPU)", ips, "PyTorch", f"{ips:,.0f}"))
        captions.append(tables.machine_line(gpu, "GPU:"))
    return svg.horizontal_bars(path, "Images per second, every stage (batch 128)", bars,
                               STAGE_COLOURS, "images per second", " ".join(captions), log=True)


def gemm_chart(store, path):
    """Stage 03's GEMM ladder in GFLOP/s per shape, OpenBLAS and the measured peaks across."""
    cpu = store.get("cpu")
    if not cpu or "cpu" not in cpu:
        return False
    rows = cpu["cpu"]["rows"]
    ladder, shapes, series = tables.gemm_ladder(rows)
    labelled, ours = [], 0
    for step, t in series:
        label = f"{step} ({t} thread{'s' if t > 1 else ''})"
        if step == "OpenBLAS":
            colour = "#fdae6b" if t == 1 else "#e6550d"
        else:
            colour, ours = LADDER_BLUES[min(ours, len(LADDER_BLUES) - 1)], ours + 1
        labelled.append((label, colour, step, t))
    lookup = {label: (step, t) for label, _, step, t in labelled}
    refs = [(f"{n}-core peak", v) for n, v in tables.peaks(rows).items()]
    return svg.grouped_bars(path, "Stage 03 GEMM ladder: GFLOP/s per matrix shape", shapes,
                            [(label, colour) for label, colour, _, _ in labelled],
                            lambda label, shape: ladder.get((*lookup[label][:1], shape, lookup[label][1])),
                            "GFLOP/s", tables.machine_line(cpu), references=refs)


def gpu_kernels_chart(store, path):
    """Stage 05's kernels, rung by rung, as a share of the GPU's measured peak."""
    gpu = store.get("gpu")
    if not gpu or "gpu" not in gpu:
        return False
    rows, bars = gpu["gpu"]["rows"], []
    for rung, kernel, b in tables.gpu_kernels(rows):
        pf, pb = b.get("%peak_flops", 0), b.get("%peak_bw", 0)
        bound = f"{pf:.0f}% of FP32 peak" if pf >= pb else f"{pb:.0f}% of copy bandwidth"
        bars.append((f"{rung}: {kernel}", max(pf, pb), rung, f"{bound}, {tables.fmt_time(b['ms'])}"))
    return svg.horizontal_bars(path, "Stage 05 kernels: share of the measured peak", bars, RUNG_COLOURS,
                               "% of measured peak (FP32 FMA or copy bandwidth)",
                               tables.machine_line(gpu) + " The larger of the two shares is drawn.")


CHART_MAKERS = {"stages.svg": stages_chart, "gemm.svg": gemm_chart, "gpu_kernels.svg": gpu_kernels_chart}


def draw_charts(store, folder):
    """Every chart the store has numbers for, into folder; returns the names drawn."""
    folder.mkdir(parents=True, exist_ok=True)
    return [name for name, make in CHART_MAKERS.items() if make(store, folder / name)]


# --- the commands ------------------------------------------------------------------------------

def render(store):
    """Rewrites the pages' tables and the charts from the reference store."""
    changed = 0
    for page in pages():
        text = page.read_text()
        new = render_text(text, store, page.relative_to(ROOT))
        if new != text:
            page.write_text(new)
            changed += 1
            print(f"rendered {page.relative_to(ROOT)}")
    drawn = draw_charts(store, CHARTS)
    print(f"{changed} page(s) changed; charts drawn: {', '.join(drawn) or 'none'}")


def check(store):
    """1 if any page's tables or any chart differ from what the committed results make."""
    bad = 0
    for page in pages():
        text = page.read_text()
        new = render_text(text, store, page.relative_to(ROOT))
        if new != text:
            bad += 1
            rel = str(page.relative_to(ROOT))
            print(f"DRIFT: {rel} differs from its render from results/:")
            sys.stdout.writelines(list(difflib.unified_diff(text.splitlines(True), new.splitlines(True),
                                                            rel, rel + " (rendered)"))[:40])
    with tempfile.TemporaryDirectory() as tmp:
        for name in draw_charts(store, pathlib.Path(tmp)):
            committed = CHARTS / name
            if not committed.exists() or committed.read_text() != (pathlib.Path(tmp) / name).read_text():
                bad += 1
                print(f"DRIFT: docs/images/bench/{name} differs from the chart drawn from results/")
    tables_used = sum(len(MARKER.findall(p.read_text())) for p in pages())
    print(f"{tables_used} tables in {len(pages())} pages checked against results/: "
          + ("all match" if not bad else f"{bad} differ; run python3 scripts/results_pages.py render"))
    return 1 if bad else 0


# The figures compared machine to machine: (label, kind, benchmark name, counter).
HEADLINES = [
    ("stage 01 forward", "cpu", "stage01.forward", "images/s"),
    ("stage 02 forward", "cpu", "stage02.forward", "images/s"),
    ("stage 03 forward", "cpu", "stage03.forward", "images/s"),
    ("stage 03 final GEMM, conv2, 2 threads", "cpu", "stage03.gemm/5_threaded/conv2/threads:2", "GFLOP/s"),
    ("OpenBLAS, conv2, 2 threads", "cpu", "stage03.openblas/conv2/threads:2", "GFLOP/s"),
    ("measured FMA peak, 2 cores", "cpu", "stage03.roofline/peak_fma/threads:2", "GFLOP/s"),
    ("stage 04 training step", "cpu", "stage04.train_step", "images/s"),
]


def compare(mine_path, out_dir):
    """Your machine's tables into out_dir/tables.md, then a headline table, ratio by ratio."""
    mine = results_store.load(mine_path)
    reference = reference_store()
    yours = {"cpu": mine if "cpu" in mine else None, "gpu": mine if "gpu" in mine else None}
    out_dir = pathlib.Path(out_dir)
    lines = [f"# Your machine's tables", "", tables.machine_line(mine, "Measured on"), ""]
    for name, make in tables.TABLES.items():
        lines += [f"## {name}", "", "Yours:", ""] + make(yours) + ["", "Reference:", ""] + make(reference) + [""]
    (out_dir / "tables.md").write_text("\n".join(lines) + "\n")
    head = ["| figure | yours | reference | yours / reference |", "|---|---:|---:|---:|"]
    for label, kind, bench, counter in HEADLINES:
        a = (yours.get(kind) or {}).get(kind, {}).get("rows", {}).get(bench, {}).get(counter)
        b = (reference.get(kind) or {}).get(kind, {}).get("rows", {}).get(bench, {}).get(counter)
        if a or b:
            head.append(f"| {label} ({counter}) | {tables.fmt(a)} | {tables.fmt(b)} | {tables.ratio(a, b)} |")
    ref_cpu = reference.get("cpu")
    print("\n".join([f"Your machine: {mine['machine']['cpu']}",
                     f"Reference:    {ref_cpu['machine']['cpu'] if ref_cpu else '(none committed)'}", ""] + head))
    print(f"\nEvery table for your machine beside the reference's: {out_dir / 'tables.md'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("render")
    sub.add_parser("check")
    c = sub.add_parser("compare")
    c.add_argument("results")
    c.add_argument("-o", "--output", default="build/bench")
    args = parser.parse_args()
    if args.command == "render":
        render(reference_store())
    elif args.command == "check":
        sys.exit(check(reference_store()))
    else:
        compare(args.results, args.output)


if __name__ == "__main__":
    main()

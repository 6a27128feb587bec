#!/usr/bin/env python3
"""Turns `make bench` output into one results file, a report and its charts.

  python3 scripts/bench_report.py [BENCH_DIR [GPU_DIR]]     (or GPU_DIR in $BENCH_GPU_DIR)

BENCH_DIR (default build/bench) holds Google Benchmark JSON, one file per stage, and
torch.json from reference/pytorch_mnist.py. GPU_DIR, optional, is what
stages/05_cuda/gpu_check.sh wrote on a GPU machine. Writes, into BENCH_DIR:

  results.json     the machine-stamped results file (scripts/results_store.py)
  report.md        every table of the pages (scripts/results_tables.py) for this machine,
                   then every benchmark of the run
  *.svg            the pages' charts, drawn from this machine's numbers
"""
import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import results_pages  # noqa: E402
import results_store  # noqa: E402
import results_tables as tables  # noqa: E402


def every_benchmark(results):
    """Every benchmark of the run, alphabetically, CPU then GPU."""
    lines = ["## Every benchmark", "", "| benchmark | time | GFLOP/s | GB/s | images/s |",
             "|---|---:|---:|---:|---:|"]
    for kind in ("cpu", "gpu"):
        for name, b in sorted(results.get(kind, {}).get("rows", {}).items()):
            lines.append(f"| {name} | {tables.fmt_time(b['ms'])} | {tables.fmt(b.get('GFLOP/s'))} | "
                         f"{tables.fmt(b.get('GB/s'))} | {tables.fmt(b.get('images/s'), 0)} |")
    return lines


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "build/bench")
    gpu_dir = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("BENCH_GPU_DIR")
    if not list(out.glob("stage*.json")) and not gpu_dir:
        sys.exit(f"error: {out}: no stage*.json benchmark results (run make bench)")
    results = results_store.collect(out, gpu_dir, out.parent, os.environ.get("RESULTS_NAME"))
    results_store.save(results, out / "results.json")
    store = {"cpu": results if "cpu" in results else None, "gpu": results if "gpu" in results else None}
    lines = ["# Benchmark report", "", tables.machine_line(results), ""]
    for name, make in tables.TABLES.items():
        lines += [f"## {name}", ""] + make(store) + [""]
    lines += [f"![{n}]({n})" for n in results_pages.draw_charts(store, out)] + [""]
    lines += every_benchmark(results)
    (out / "report.md").write_text("\n".join(lines) + "\n")
    print(f"report: {out / 'report.md'}; results file: {out / 'results.json'}")


if __name__ == "__main__":
    main()

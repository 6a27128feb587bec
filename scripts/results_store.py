#!/usr/bin/env python3
"""The results store: one machine-stamped JSON file per machine, the only source of numbers.

  python3 scripts/results_store.py collect BENCH_DIR [--gpu GPU_DIR] -o FILE [--name NAME]

`make bench` calls `collect` on its build/bench folder and writes build/bench/results.json;
stages/05_cuda/gpu_check.sh does the same with its OUT folder on a GPU machine. The
repository keeps the files of its reference machines in results/ (results/README.md), and
every number table in the README, the stage READMEs and the docs is rendered from them
(scripts/results_pages.py).

A results file holds:
  machine   what the numbers were measured on: CPU model, cores, clock, compiler, GPU,
            the commit and date of the run (here, and only here, dates and hashes belong)
  cpu       {"rows": {benchmark name: median row}, "torch": PyTorch's CPU training run,
             "runs": {binary: its --json record}, for binaries timed by running them}
  gpu       {"rows": ..., "rungs": {rungN: training run}, "torch": ..., "runs": ...,
             "stage06": {run: stage 06's --json record, and "stage05" for stage 05 run beside it}}
Each benchmark row keeps the median time per iteration in ms and its counters (GFLOP/s,
images/s, ...), nothing else, so that the file stays small and readable in a diff.
"""
import argparse
import datetime
import json
import os
import pathlib
import platform
import re
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench_data as data  # noqa: E402

# The Google Benchmark fields that are bookkeeping, not measurements.
NOT_COUNTERS = {"name", "run_name", "run_type", "repetitions", "repetition_index", "threads",
                "iterations", "real_time", "cpu_time", "time_unit", "family_index",
                "per_family_instance_index", "aggregate_name", "aggregate_unit", "label",
                "error_occurred", "error_message"}


def slim_row(row):
    """A benchmark's median: ms per iteration and its counters, rounded to 4 significant digits."""
    out = {"ms": float(f"{data.milliseconds(row):.4g}")}
    for key, value in row.items():
        if key not in NOT_COUNTERS and isinstance(value, (int, float)):
            out[key] = float(f"{value:.4g}")
    return out


def git_commit(repo):
    """The short commit of the tree that was measured, with '+changes' if it was edited."""
    try:
        commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return commit + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cuda_compiler(build_dir):
    """nvcc's version, from CMake's files in the build folder, or None."""
    for f in sorted(pathlib.Path(build_dir).glob("CMakeFiles/*/CMakeCUDACompiler.cmake")):
        version = re.search(r'CMAKE_CUDA_COMPILER_VERSION "([^"]+)"', f.read_text())
        if version:
            return f"nvcc {version.group(1)}"
    return None


def machine_stamp(context, build_dir, gpu_context=None, name=None):
    """Who measured: the CPU as /proc/cpuinfo names it, cores and clock as Google Benchmark
    saw them, the compiler CMake found, and the GPU if there is one."""
    stamp = {
        "name": name or "",
        "cpu": data.cpu_description(),
        "cores": context.get("num_cpus"),
        "mhz": context.get("mhz_per_cpu"),
        "compiler": data.compiler_description(build_dir, context) or "unknown",
        "os": platform.platform(terse=True),
        # A copy of the tree on another machine may carry stale git metadata: the caller can
        # name the commit it measured.
        "commit": os.environ.get("RESULTS_COMMIT") or git_commit(pathlib.Path(__file__).resolve().parent.parent),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
    }
    if gpu_context:
        stamp["gpu"] = gpu_context.get("gpu", "GPU").split(" (")[0]
        stamp["gpu_details"] = gpu_context.get("gpu", "")
        nvcc = cuda_compiler(build_dir)
        if nvcc:
            stamp["compiler"] += f", {nvcc}"
        for key in ("peak_fp32_GFLOPps", "peak_copy_GBps"):
            if key in gpu_context:
                stamp[key] = float(f"{float(gpu_context[key]):.4g}")
    return stamp


def load_runs(folder):
    """A binary's own --json record for each run.NAME.json in the folder (the stoplight's
    per-iteration percentiles, say), keyed by NAME."""
    return {f.name[4:-5]: json.loads(f.read_text()) for f in sorted(pathlib.Path(folder).glob("run.*.json"))}


def load_stage06(folder):
    """What stages/06_multi_gpu/gpu_check.sh leaves in its OUT folder: each stage 06 run's
    --json record, keyed by its file name (g1-strong, g1-batch64, ...), and the stage 05 run
    it makes beside them on the same GPU, as "stage05"."""
    records = {}
    for f in sorted(pathlib.Path(folder).glob("*.json")):
        record = json.loads(f.read_text())
        if record.get("stage") == "06":
            records[f.stem] = record
        elif record.get("stage") == "05":
            records["stage05"] = record
    return records


def collect(bench_dir=None, gpu_dir=None, build_dir=None, name=None, stage06_dir=None):
    """Everything one `make bench` (and/or one gpu_check.sh) measured, as one results dict."""
    results, context, gpu_context = {}, {}, None
    if bench_dir:
        context, rows, _ = data.load_dir(bench_dir)
        rows = {k: v for k, v in rows.items() if not k.startswith("stage05")}
        if rows:
            results["cpu"] = {"rows": {k: slim_row(v) for k, v in sorted(rows.items())},
                              "torch": data.load_json(pathlib.Path(bench_dir) / "torch.json"),
                              "runs": load_runs(bench_dir)}
    if gpu_dir:
        gpu = data.load_gpu_dir(gpu_dir)
        gpu_context = gpu["context"]
        context = context or gpu_context
        results["gpu"] = {"rows": {k: slim_row(v) for k, v in sorted(gpu["rows"].items())},
                          "rungs": gpu["rungs"], "torch": gpu["torch"], "runs": load_runs(gpu_dir)}
        if stage06_dir and pathlib.Path(stage06_dir).is_dir():
            results["gpu"]["stage06"] = load_stage06(stage06_dir)
    if not results:
        raise SystemExit("error: no benchmark results found (give BENCH_DIR and/or --gpu GPU_DIR)")
    build = build_dir or (pathlib.Path(bench_dir).parent if bench_dir else pathlib.Path(gpu_dir))
    return {"machine": machine_stamp(context, build, gpu_context, name), **results}


def load(path):
    """A results file, with a clear error when it is missing or not a results file."""
    path = pathlib.Path(path)
    try:
        results = json.loads(path.read_text())
    except OSError as e:
        raise SystemExit(f"error: {path}: cannot read results file ({e.strerror})")
    except json.JSONDecodeError as e:
        raise SystemExit(f"error: {path}: not valid JSON ({e})")
    if "machine" not in results:
        raise SystemExit(f"error: {path}: not a results file (no \"machine\" stamp)")
    return results


def save(results, path):
    """Writes the file with sorted keys and one figure per line, so a diff reads well."""
    text = json.dumps(results, indent=1, sort_keys=True) + "\n"
    path = pathlib.Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("collect", help="make one results file from benchmark folders")
    c.add_argument("bench_dir", nargs="?", help="make bench's folder (build/bench)")
    c.add_argument("--gpu", dest="gpu_dir", help="gpu_check.sh's OUT folder")
    c.add_argument("--stage06", dest="stage06_dir",
                   help="stages/06_multi_gpu/gpu_check.sh's OUT folder (with --gpu)")
    c.add_argument("--build", dest="build_dir", help="the build folder (for the compiler)")
    c.add_argument("--name", help="a short name for the machine, e.g. cpu-2core")
    c.add_argument("-o", "--output", required=True)
    args = parser.parse_args()
    results = collect(args.bench_dir, args.gpu_dir, args.build_dir, args.name, args.stage06_dir)
    save(results, args.output)
    print(f"results: {args.output} ({results['machine']['cpu']}"
          + (f", {results['machine']['gpu']}" if "gpu" in results["machine"] else "") + ")")


if __name__ == "__main__":
    main()

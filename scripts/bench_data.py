"""Reading `make bench` results: Google Benchmark JSON, PyTorch's JSON, and the machine.

Shared by bench_report.py (the scoreboard) and bench_compare.py (two runs side by side).
Only the Python standard library, so the report needs nothing installed.
"""
import json
import pathlib
import platform
import re

# Google Benchmark writes each time in the benchmark's own unit.
MS_PER_UNIT = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}

# An MNIST training epoch; torch_side_by_side.py records seconds per epoch, not images/s.
MNIST_TRAIN_IMAGES = 60000


def benchmark_name(b):
    """The name without the suffixes Google Benchmark adds (/real_time, /manual_time)."""
    name = b.get("run_name", b["name"])
    return re.sub(r"/(real_time|manual_time)$", "", name)


def milliseconds(b):
    """The benchmark's time per iteration in milliseconds."""
    return b["real_time"] * MS_PER_UNIT[b.get("time_unit", "ns")]


def load_benchmarks(path):
    """Reads one Google Benchmark JSON file.

    Returns (context, rows, repetitions): rows maps each name to its median aggregate, or,
    for a benchmark run once (no repetitions, as on the GPU machine), to that single run,
    which is then its own median. repetitions is a set of the counts seen (1 for single runs).
    """
    data = json.loads(pathlib.Path(path).read_text())
    singles, medians, repetitions = {}, {}, set()
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            continue
        name = benchmark_name(b)
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                medians[name] = b
                repetitions.add(b.get("repetitions", 0))
        else:
            singles.setdefault(name, b)
    rows = {**singles, **medians}  # a median, where there is one, wins
    if set(singles) - set(medians):
        repetitions.add(1)
    return data.get("context", {}), rows, repetitions


def load_dir(directory):
    """Every stage*.json (and a GPU run's bench.json) in a folder, merged by name."""
    context, rows, repetitions = {}, {}, set()
    folder = pathlib.Path(directory)
    for f in sorted(folder.glob("stage*.json")) + sorted(folder.glob("bench.json")):
        if f.stat().st_size == 0:
            continue  # a BENCH_FILTER that matched none of this binary's benchmarks
        ctx, found, reps = load_benchmarks(f)
        context = context or ctx
        rows.update(found)
        repetitions |= reps
    return context, rows, repetitions


def load_json(path):
    """A JSON file's content, or None when it is not there."""
    path = pathlib.Path(path)
    return json.loads(path.read_text()) if path.exists() else None


def cpu_description():
    """CPU model, family/model numbers and vector width, from /proc/cpuinfo (Linux)."""
    fields = {}
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            fields.setdefault(key.strip(), value.strip())  # the first CPU is enough
    except OSError:
        return platform.processor() or platform.machine()
    name = fields.get("model name") or platform.processor() or platform.machine()
    details = []
    # A virtual machine often shows only "AMD EPYC": the family number tells the generation.
    if "cpu family" in fields:
        details.append(f"family {fields['cpu family']} model {fields.get('model', '?')}")
    flags = fields.get("flags", "").split()
    details.append("AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "")
    return f"{name} ({', '.join(d for d in details if d)})" if any(details) else name


def compiler_description(build_dir, context):
    """The C++ compiler, from the benchmark context or from CMake's files in the build dir."""
    if context.get("compiler"):  # bench.sh may pass --benchmark_context=compiler=...
        return context["compiler"]
    for f in sorted(pathlib.Path(build_dir).glob("CMakeFiles/*/CMakeCXXCompiler.cmake")):
        text = f.read_text()
        ident = re.search(r'CMAKE_CXX_COMPILER_ID "([^"]+)"', text)
        version = re.search(r'CMAKE_CXX_COMPILER_VERSION "([^"]+)"', text)
        if ident and version:
            return f"{ident.group(1)} {version.group(1)}"
    return None


def load_gpu_dir(directory):
    """What stages/05_cuda/gpu_check.sh leaves in its OUT folder.

    Returns a dict: bench (file, context, rows) from bench.json or stage05*.json; rungs
    (rung1..rung3 training runs from results.json); torch (the PyTorch-on-GPU run, from
    torch.json or, once gpu_check.sh has merged it, from results.json's "torch" key).
    """
    folder = pathlib.Path(directory)
    files = sorted(folder.glob("bench.json")) + sorted(folder.glob("stage05*.json"))
    if not files:
        raise SystemExit(f"error: {folder}: no bench.json or stage05*.json (the stage 05 benchmark)")
    context, rows, repetitions = load_benchmarks(files[0])
    results = load_json(folder / "results.json") or {}
    torch = load_json(folder / "torch.json") or results.get("torch")
    rungs = {k: v for k, v in results.items() if re.fullmatch(r"rung\d", k)}
    return {"file": files[0], "context": context, "rows": rows, "repetitions": repetitions,
            "results_file": folder / "results.json" if results else None,
            "rungs": rungs, "torch": torch}

#!/usr/bin/env python3
"""Compares two `make bench` runs, in the spirit of Google Benchmark's compare.py.

  python3 scripts/bench_compare.py OLD_DIR NEW_DIR

For every benchmark in both runs: the median time before and after, and the change
(negative is faster). Differences inside the run-to-run noise (a few percent on a shared
machine) are not improvements: run each side twice before believing one.
"""
import json
import pathlib
import sys


def medians(d):
    rows = {}
    for f in sorted(pathlib.Path(d).glob("stage*.json")):
        for b in json.loads(f.read_text()).get("benchmarks", []):
            if b.get("aggregate_name") in (None, "median") and not b.get("error_occurred"):
                scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
                rows[b.get("run_name", b["name"]).replace("/real_time", "")] = b["real_time"] * scale
    return rows


if len(sys.argv) != 3:
    sys.exit(__doc__)
old, new = medians(sys.argv[1]), medians(sys.argv[2])
print(f"{'benchmark':48} {'old ms':>10} {'new ms':>10} {'change':>8}")
for name in sorted(set(old) & set(new)):
    change = (new[name] - old[name]) / old[name]
    print(f"{name:48} {old[name]:10.3f} {new[name]:10.3f} {100 * change:+7.1f}%")
for name in sorted(set(old) ^ set(new)):
    print(f"{name:48} only in {'old' if name in old else 'new'}")

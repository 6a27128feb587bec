#!/usr/bin/env python3
"""Compares two `make bench` runs, in the spirit of Google Benchmark's compare.py.

  python3 scripts/bench_compare.py OLD_DIR NEW_DIR [--threshold PERCENT]

For every benchmark in both runs: the median time before and after, the change (negative
is faster), and a mark where the change is larger than the threshold (default 5%). Then
the geometric mean of the new/old time ratios over all of them: one number for "did this
change make things faster overall", where no single benchmark dominates because it is long.

Differences inside the run-to-run noise (a few percent on a shared machine) are not
improvements: run each side twice before believing one. Always exits 0 after a comparison;
2 for bad arguments or a folder without results.
"""
import argparse
import math
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bench_data as data  # noqa: E402


def median_times(directory):
    """name -> median time in ms of every benchmark in a `make bench` folder."""
    _, rows, _ = data.load_dir(directory)
    if not rows:
        sys.stderr.write(f"error: {directory}: no stage*.json or bench.json benchmark results\n")
        sys.exit(2)
    return {name: data.milliseconds(b) for name, b in rows.items()}


def mark(change, threshold):
    """'faster' or 'slower' beyond the threshold (a fraction), else nothing."""
    if change <= -threshold:
        return "faster"
    if change >= threshold:
        return "SLOWER"
    return ""


def compare(old, new, threshold):
    """Prints the table and the geometric mean; returns the geometric mean ratio."""
    common = sorted(set(old) & set(new))
    width = max([len(n) for n in common] + [9])
    print(f"{'benchmark':{width}} {'old':>12} {'new':>12} {'change':>8}")
    log_sum = 0.0
    for name in common:
        change = (new[name] - old[name]) / old[name]
        log_sum += math.log(new[name] / old[name])
        print(f"{name:{width}} {old[name]:9.3f} ms {new[name]:9.3f} ms {100 * change:+7.1f}% "
              f"{mark(change, threshold)}")
    for name in sorted(set(old) ^ set(new)):
        print(f"{name:{width}} only in the {'old' if name in old else 'new'} run")
    if not common:
        print("no benchmark is in both runs")
        return None
    # The geometric mean of ratios: a 2x speed-up and a 2x slow-down cancel out exactly.
    geomean = math.exp(log_sum / len(common))
    verdict = "faster" if geomean < 1 else "slower" if geomean > 1 else "the same"
    print(f"\ngeometric mean of new/old time over {len(common)} benchmarks: {geomean:.3f} "
          f"({100 * (geomean - 1):+.1f}%, {verdict})")
    return geomean


def main():
    p = argparse.ArgumentParser(description="Compares two `make bench` result folders.")
    p.add_argument("old_dir")
    p.add_argument("new_dir")
    p.add_argument("--threshold", type=float, default=5.0,
                   help="mark changes larger than this many percent (default 5)")
    args = p.parse_args()
    compare(median_times(args.old_dir), median_times(args.new_dir), args.threshold / 100)
    return 0


if __name__ == "__main__":
    sys.exit(main())

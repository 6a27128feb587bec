#!/usr/bin/env python3
"""Reads the tour's per-stage JSON files and prints one table (also written as Markdown
and JSON beside them). Speed-ups compare inference images/s with the previous forward
stage and with stage 01."""
import json
import pathlib
import sys

out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "build/tour")
rows = []
for path in sorted(out.glob("*.json")):
    record = json.loads(path.read_text())
    if isinstance(record, dict) and "stage" in record:  # the stages' --json files, not summary.json
        rows.append(record)
rows.sort(key=lambda r: r["stage"])  # stable: stage00 before stage00_cuda

def fmt(v, spec):
    return "-" if v is None else format(v, spec)

table = []
first = prev = None
for r in rows:
    # Training stages (04, 05, PyTorch) report training throughput; forward stages inference.
    trains = "final_loss" in r or r.get("kind") == "train"
    infer = None if trains else r.get("images_per_second")
    train = r.get("train_images_per_second", r.get("images_per_second")) if trains else None
    acc = r.get("accuracy")
    if r["stage"] == "00":
        r = dict(r, name=f"stoplight toy net ({r.get('device', '')})",
                 note=f"{r.get('iterations')} iterations, p50 {r.get('iteration_p50_us', 0):.2f} us/iteration")
    vs_prev = vs_01 = None
    if infer and r["stage"] != "00":
        if prev:
            vs_prev = infer / prev
        if first:
            vs_01 = infer / first
        if r["stage"] == "01":
            first = infer
        prev = infer
    note = r.get("note", "")
    if trains and r.get("seconds_per_epoch"):
        note = (note + " " if note else "") + f"{r['seconds_per_epoch']:.2f} s/epoch"
    if r["stage"] == "01" and r.get("images", 0) < 10000:
        note = (note + " " if note else "") + f"on the first {r['images']} test images"
    table.append({
        "stage": r["stage"], "what": r.get("name", ""),
        "accuracy": acc, "inference_images_per_s": infer,
        "training_images_per_s": train, "speedup_vs_previous": vs_prev,
        "speedup_vs_01": vs_01, "note": note,
    })

lines = ["| stage | what | test accuracy | inference images/s | training images/s | vs previous | vs stage 01 | note |",
         "|---|---|---|---|---|---|---|---|"]
for t in table:
    lines.append("| {} | {} | {} | {} | {} | {} | {} | {} |".format(
        t["stage"], t["what"],
        fmt(t["accuracy"] and 100 * t["accuracy"], ".2f") + ("%" if t["accuracy"] else ""),
        fmt(t["inference_images_per_s"], ",.0f"), fmt(t["training_images_per_s"], ",.0f"),
        fmt(t["speedup_vs_previous"], ".1f") + ("x" if t["speedup_vs_previous"] else ""),
        fmt(t["speedup_vs_01"], ".1f") + ("x" if t["speedup_vs_01"] else ""), t["note"]))
text = "\n".join(lines)
print(text)
(out / "summary.md").write_text(text + "\n")
(out / "summary.json").write_text(json.dumps(table, indent=2) + "\n")
print(f"\n(written to {out}/summary.md and summary.json)")

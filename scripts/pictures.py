#!/usr/bin/env python3
"""Pictures of a trained network, as SVG files (no plotting library needed).

  python3 scripts/pictures.py --logits L.idx --data data/mnist --train-json 04.json \
      --weights weights/mnist_cnn.safetensors --out DIR

  curves.svg        loss and test accuracy per epoch (from a training stage's --json)
  confusion.svg     the 10x10 confusion matrix of the test set (from a stage's --logits)
  mistakes.svg      a gallery of misclassified test digits, with label and prediction
  filters.svg       the 32 learned 3x3 filters of conv1 (from --weights)
  feature_maps.svg  one test digit (--digit) through conv1, pool1, conv2 and pool2, computed
                    from --weights by scripts/network.py
"""
import argparse
import gzip
import json
import pathlib
import struct

import network


def read_idx(path):
    path = pathlib.Path(path)
    if not path.exists() and pathlib.Path(str(path) + ".gz").exists():
        path = pathlib.Path(str(path) + ".gz")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    kind, rank = data[2], data[3]
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    body = data[4 + 4 * rank:]
    count = 1
    for d in dims:
        count *= d
    values = list(body[:count]) if kind == 0x08 else list(struct.unpack(f">{count}f", body[:4 * count]))
    return dims, values


def svg(width, height, body):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>'
            + "".join(body) + "</svg>\n")


def curves(epochs, path):
    """Two panels: mean training loss and test accuracy against the epoch."""
    w, h, pad = 640, 260, 45
    body = []
    panels = [("training loss", [e["loss"] for e in epochs], "{:.3f}"),
              ("test accuracy %", [100 * e["test_accuracy"] for e in epochs], "{:.2f}")]
    for p, (title, ys, f) in enumerate(panels):
        x0 = p * (w // 2)
        lo, hi = min(ys), max(ys)
        span = (hi - lo) or 1.0
        pts = []
        for i, y in enumerate(ys):
            px = x0 + pad + i * (w // 2 - 2 * pad) / max(1, len(ys) - 1)
            py = h - pad - (y - lo) / span * (h - 2 * pad)
            pts.append((px, py, y))
        body.append(f'<text x="{x0 + pad}" y="20" font-weight="bold">{title}</text>')
        body.append(f'<polyline fill="none" stroke="#4a78b5" stroke-width="2" points="'
                    + " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in pts) + '"/>')
        for i, (x, y, v) in enumerate(pts):
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#4a78b5"/>')
            body.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle">{f.format(v)}</text>')
            body.append(f'<text x="{x:.1f}" y="{h - 20}" text-anchor="middle">epoch {i + 1}</text>')
    path.write_text(svg(w, h, body))


def training_epochs(record):
    """[{"loss", "test_accuracy"}, ...], one per epoch in order, from a training --json record.

    PyTorch's record has a list "epochs"; stages 04 and 05 store the epoch count there and
    write epoch1_loss, epoch1_accuracy, epoch2_loss, ... instead."""
    listed = record.get("epochs")
    if isinstance(listed, list):
        return list(listed)
    epochs = []
    while f"epoch{len(epochs) + 1}_loss" in record:
        i = len(epochs) + 1
        epochs.append({"loss": record[f"epoch{i}_loss"], "test_accuracy": record[f"epoch{i}_accuracy"]})
    return epochs


def shade(value, scale):
    """A diverging colour: white at 0, blue for positive, red for negative, full at |scale|."""
    share = min(1.0, abs(value) / scale) if scale else 0.0
    fade = int(255 - 215 * share)
    return f"rgb({fade},{fade},255)" if value >= 0 else f"rgb(255,{fade},{fade})"


def heat_map(body, plane, x0, y0, cell, scale, diverging=True):
    """One [H][W] plane as cell-sized squares; greys from white (0) to black (scale) unless
    diverging."""
    for y, row in enumerate(plane):
        for x, v in enumerate(row):
            if diverging:
                color = shade(v, scale)
            else:
                g = int(255 - 255 * min(1.0, max(0.0, v) / scale)) if scale else 255
                if g == 255:
                    continue  # the background is white already: about half the file
                color = f"rgb({g},{g},{g})"
            body.append(f'<rect x="{x0 + x * cell}" y="{y0 + y * cell}" width="{cell}" height="{cell}" '
                        f'fill="{color}"/>')
    size = len(plane)
    body.append(f'<rect x="{x0}" y="{y0}" width="{size * cell}" height="{size * cell}" fill="none" '
                f'stroke="#bbb"/>')


def filters(weights, path):
    """conv1's 32 filters, 3x3 each, blue for positive weights and red for negative."""
    (count, _, k, _), w = weights["conv1.weight"]
    scale = max(abs(v) for v in w)
    cell, per_row, box = 16, 8, 3 * 16 + 24
    body = ['<text x="10" y="20" font-weight="bold">conv1: the 32 learned 3x3 filters '
            f'(blue positive, red negative, full colour at |w| = {scale:.2f})</text>']
    for f in range(count):
        ox, oy = 10 + (f % per_row) * box, 40 + (f // per_row) * (box + 10)
        heat_map(body, network.planes(w[f * k * k:(f + 1) * k * k], 1, k)[0], ox, oy, cell, scale)
        body.append(f'<text x="{ox + k * cell / 2}" y="{oy + k * cell + 14}" text-anchor="middle" '
                    f'font-size="11">{f}</text>')
    rows = (count + per_row - 1) // per_row
    path.write_text(svg(max(660, 20 + per_row * box), 50 + rows * (box + 10), body))


def feature_maps(layers, label, path):
    """One digit and every channel of conv1, pool1, conv2 and pool2 (after ReLU), each
    layer's channels shaded from white (0) to black (that layer's largest value)."""
    predicted = max(range(len(layers["logits"])), key=lambda j: layers["logits"][j])
    body = [f'<text x="10" y="20" font-weight="bold">one test digit (label {label}, predicted '
            f'{predicted}) through the network: every channel, after ReLU</text>']
    heat_map(body, layers["image"][0], 10, 40, 3, 1.0, diverging=False)
    y = 40 + 28 * 3 + 20
    width = 10 + 28 * 3
    for name, per_row, cell in (("conv1", 16, 2), ("pool1", 16, 3), ("conv2", 16, 3), ("pool2", 16, 6)):
        maps = layers[name]
        size = len(maps[0])
        scale = max(v for plane in maps for row in plane for v in row)
        body.append(f'<text x="10" y="{y + 12}">{name}: {len(maps)} channels of {size}x{size}</text>')
        y += 20
        box = size * cell + 6
        for c, plane in enumerate(maps):
            heat_map(body, plane, 10 + (c % per_row) * box, y + (c // per_row) * box, cell, scale,
                     diverging=False)
        y += ((len(maps) + per_row - 1) // per_row) * box + 14
        width = max(width, 10 + per_row * box)
    path.write_text(svg(width + 10, y, body))


def confusion(labels, predicted, path):
    m = [[0] * 10 for _ in range(10)]
    for t, p in zip(labels, predicted):
        m[t][p] += 1
    cell, left, top = 40, 60, 60
    body = ['<text x="10" y="20" font-weight="bold">confusion matrix (rows: true digit, columns: predicted)</text>']
    for i in range(10):
        body.append(f'<text x="{left + i * cell + cell / 2}" y="{top - 8}" text-anchor="middle">{i}</text>')
        body.append(f'<text x="{left - 10}" y="{top + i * cell + cell / 2 + 4}" text-anchor="end">{i}</text>')
        row = sum(m[i]) or 1
        for j in range(10):
            share = m[i][j] / row
            shade = int(255 - 200 * share ** 0.5) if i == j else int(255 - 255 * min(1, m[i][j] / 20))
            color = f"rgb({shade},{shade},255)" if i == j else f"rgb(255,{shade},{shade})"
            x, y = left + j * cell, top + i * cell
            body.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{color}" stroke="#ddd"/>')
            body.append(f'<text x="{x + cell / 2}" y="{y + cell / 2 + 4}" text-anchor="middle" font-size="11">{m[i][j]}</text>')
    path.write_text(svg(left + 10 * cell + 20, top + 10 * cell + 20, body))
    return m


def mistakes(images, labels, predicted, path, limit=40):
    wrong = [i for i, (t, p) in enumerate(zip(labels, predicted)) if t != p][:limit]
    scale, per_row, box = 2, 10, 70
    rows = (len(wrong) + per_row - 1) // per_row
    body = [f'<text x="10" y="20" font-weight="bold">the first {len(wrong)} misclassified test digits '
            f'(true -> predicted)</text>']
    for k, idx in enumerate(wrong):
        ox, oy = 10 + (k % per_row) * box, 35 + (k // per_row) * (box + 10)
        pixels = images[idx * 784:(idx + 1) * 784]
        for y in range(28):
            for x in range(28):
                v = pixels[y * 28 + x]
                if v:
                    g = 255 - v
                    body.append(f'<rect x="{ox + x * scale}" y="{oy + y * scale}" width="{scale}" '
                                f'height="{scale}" fill="rgb({g},{g},{g})"/>')
        body.append(f'<rect x="{ox}" y="{oy}" width="56" height="56" fill="none" stroke="#ccc"/>')
        body.append(f'<text x="{ox + 28}" y="{oy + 70}" text-anchor="middle">{labels[idx]} -> {predicted[idx]}</text>')
    path.write_text(svg(10 + per_row * box, 45 + rows * (box + 10), body))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--logits", help="IDX float32 [N,10] written by a stage's --logits")
    p.add_argument("--data", default="data/mnist")
    p.add_argument("--train-json", help="a training stage's --json output (has 'epochs')")
    p.add_argument("--weights", default="weights/mnist_cnn.safetensors",
                   help="safetensors weights for filters.svg and feature_maps.svg (default: the "
                        "shipped ones; skipped when the file is missing)")
    p.add_argument("--digit", type=int, default=0, help="the test image feature_maps.svg follows")
    p.add_argument("--out", default="build/tour")
    a = p.parse_args()
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    if a.train_json and pathlib.Path(a.train_json).exists():
        epochs = training_epochs(json.loads(pathlib.Path(a.train_json).read_text()))
        if epochs:
            curves(epochs, out / "curves.svg")
            print(f"pictures: {out / 'curves.svg'}")
    if a.logits:
        (n, k), logits = read_idx(a.logits)
        predicted = [max(range(k), key=lambda j: logits[i * k + j]) for i in range(n)]
        _, labels = read_idx(pathlib.Path(a.data) / "t10k-labels-idx1-ubyte")
        _, images = read_idx(pathlib.Path(a.data) / "t10k-images-idx3-ubyte")
        labels = labels[:n]
        confusion(labels, predicted, out / "confusion.svg")
        mistakes(images, labels, predicted, out / "mistakes.svg")
        print(f"pictures: {out / 'confusion.svg'}, {out / 'mistakes.svg'}")
    if a.weights and pathlib.Path(a.weights).exists():
        weights = network.load_safetensors(a.weights)
        filters(weights, out / "filters.svg")
        _, labels = read_idx(pathlib.Path(a.data) / "t10k-labels-idx1-ubyte")
        _, images = read_idx(pathlib.Path(a.data) / "t10k-images-idx3-ubyte")
        pixels = images[a.digit * 784:(a.digit + 1) * 784]
        feature_maps(network.forward(weights, pixels), labels[a.digit], out / "feature_maps.svg")
        print(f"pictures: {out / 'filters.svg'}, {out / 'feature_maps.svg'}")


if __name__ == "__main__":
    main()

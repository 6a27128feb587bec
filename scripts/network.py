#!/usr/bin/env python3
"""The network's forward pass for one image, in plain Python, keeping every layer's output.

scripts/pictures.py draws what this computes (the conv1 filters, one digit's feature maps).
It follows the definitions of docs/layers, like stage 01, and is slow (about a second per
image), which is fine for one picture; tests/scripts/pictures_test.py checks its logits
against a C++ stage's.

  python3 scripts/network.py [--weights FILE] [--data DIR] [--index I]   prints the logits
"""
import argparse
import json
import pathlib
import struct

KERNEL = 3


def load_safetensors(path):
    """{name: (shape, flat list of floats)} of a safetensors file of float32 tensors."""
    data = pathlib.Path(path).read_bytes()
    (header_size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_size])
    body = data[8 + header_size:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {info['dtype']}, want F32")
        begin, end = info["data_offsets"]
        tensors[name] = (info["shape"], list(struct.unpack(f"<{(end - begin) // 4}f", body[begin:end])))
    return tensors


def planes(flat, count, size):
    """A flat [count, size, size] list as count planes of size rows."""
    return [[flat[(c * size + y) * size:(c * size + y + 1) * size] for y in range(size)]
            for c in range(count)]


def conv2d_relu(inputs, weight, bias):
    """Valid 3x3 convolution, stride 1, plus bias, then ReLU: [C][H][W] -> [O][H-2][W-2].

    The sum is taken one filter tap at a time over whole output rows, which keeps the
    Python loops short; the arithmetic is the formula of docs/layers/conv2d.md."""
    shape, w = weight
    outs, ins = shape[0], shape[1]
    size = len(inputs[0]) - KERNEL + 1
    result = []
    for o in range(outs):
        rows = [[bias[1][o]] * size for _ in range(size)]
        for c in range(ins):
            plane = inputs[c]
            for ky in range(KERNEL):
                for kx in range(KERNEL):
                    tap = w[((o * ins + c) * KERNEL + ky) * KERNEL + kx]
                    for y in range(size):
                        source = plane[y + ky]
                        row = rows[y]
                        rows[y] = [a + tap * b for a, b in zip(row, source[kx:kx + size])]
        result.append([[max(v, 0.0) for v in row] for row in rows])
    return result


def maxpool2x2(inputs):
    """2x2 max pooling, stride 2, odd edges dropped: [C][H][W] -> [C][H//2][W//2]."""
    size = len(inputs[0]) // 2
    return [[[max(p[2 * y][2 * x], p[2 * y][2 * x + 1], p[2 * y + 1][2 * x], p[2 * y + 1][2 * x + 1])
              for x in range(size)] for y in range(size)] for p in inputs]


def forward(weights, pixels):
    """Every layer's output for one 28x28 image given as 784 bytes (0-255).

    Returns {"image", "conv1", "pool1", "conv2", "pool2"} as [C][H][W] lists (conv1 and
    conv2 after ReLU, as the network passes them on) and "logits", a list of 10 floats
    (dropout is off at inference; softmax does not change which class is largest)."""
    image = [[[v / 255.0 for v in pixels[y * 28:(y + 1) * 28]] for y in range(28)]]
    layers = {"image": image}
    layers["conv1"] = conv2d_relu(image, weights["conv1.weight"], weights["conv1.bias"])
    layers["pool1"] = maxpool2x2(layers["conv1"])
    layers["conv2"] = conv2d_relu(layers["pool1"], weights["conv2.weight"], weights["conv2.bias"])
    layers["pool2"] = maxpool2x2(layers["conv2"])
    flat = [v for plane in layers["pool2"] for row in plane for v in row]  # (C, H, W) order
    (classes, features), w = weights["fc.weight"]
    layers["logits"] = [weights["fc.bias"][1][j] + sum(w[j * features + i] * flat[i] for i in range(features))
                        for j in range(classes)]
    return layers


def main():
    import pictures  # scripts/pictures.py reads the IDX files

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", default="weights/mnist_cnn.safetensors")
    p.add_argument("--data", default="data/mnist")
    p.add_argument("--index", type=int, default=0, help="which test image (default 0)")
    a = p.parse_args()
    _, images = pictures.read_idx(pathlib.Path(a.data) / "t10k-images-idx3-ubyte")
    logits = forward(load_safetensors(a.weights), images[a.index * 784:(a.index + 1) * 784])["logits"]
    print(" ".join(f"{v:.6f}" for v in logits))


if __name__ == "__main__":
    main()

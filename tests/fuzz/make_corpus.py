#!/usr/bin/env python3
"""Writes the seed corpora in corpus/<target>/: small real files and malformed ones.

    python3 tests/fuzz/make_corpus.py [MNIST_DIR]     (default: data/mnist)

The seeds are committed; this script says where each came from and rewrites them the same
way every time (gzip with mtime 0). Inputs that once broke the code are kept as
corpus/<target>/regression-<what>, next to the unit test that describes the bug.
"""
import gzip
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MNIST = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "data", "mnist")


def put(target, name, data):
    os.makedirs(os.path.join(HERE, "corpus", target), exist_ok=True)
    with open(os.path.join(HERE, "corpus", target, name), "wb") as f:
        f.write(data)


def idx_header(type_code, dims):
    return bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)


def gz(data):
    return gzip.compress(data, mtime=0)


def real(name, size):
    with open(os.path.join(MNIST, name), "rb") as f:
        return f.read(size)


# --- IDX: real MNIST bytes (first examples, header count set to match), then defects. ----
labels = real("t10k-labels-idx1-ubyte", 8 + 100)[8:]
images = real("t10k-images-idx3-ubyte", 16 + 2 * 784)[16:]
real_images = idx_header(0x08, [2, 28, 28]) + images
put("idx", "real-labels-100", idx_header(0x08, [100]) + labels)
put("idx", "real-images-2", real_images)
put("idx", "real-images-2.gz", gz(real_images))
put("idx", "real-header-cut-short", real("t10k-images-idx3-ubyte", 16 + 784))
put("idx", "f32-vector", idx_header(0x0D, [3]) + struct.pack(">3f", -1.5, 0.0, 3.25e7))
put("idx", "empty", b"")
put("idx", "rank-0", bytes([0, 0, 8, 0]))
put("idx", "wrong-magic", b"\x89PNG\r\n\x1a\n")
put("idx", "int32-type", idx_header(0x0C, [1]) + b"\0\0\0\1")
put("idx", "huge-dims", idx_header(0x08, [0x7FFFFFFF, 0x7FFFFFFF]) + b"abc")
put("idx", "trailing-data", idx_header(0x08, [2]) + b"\1\2\3")
put("idx", "zero-images", idx_header(0x08, [0, 28, 28]))
put("idx", "gzip-cut-short", gz(real_images)[:200])


# --- safetensors: the reference layout (header padded to 8 bytes), then defects. --------
def safetensors(header, data):
    text = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    return struct.pack("<Q", len(text)) + text + data


def padded(header, data):
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def f32(*values):
    return struct.pack("<%df" % len(values), *values)


bias = f32(*[0.01 * i for i in range(10)])
two = {
    "__metadata__": {"format": "pt"},
    "conv1.bias": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
    "fc.bias": {"dtype": "F32", "shape": [10], "data_offsets": [16, 56]},
}
put("safetensors", "two-tensors", padded(two, f32(1, -2, 3.5, 0) + bias))
put("safetensors", "scalar-and-empty", safetensors(
    {"s": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]},
     "e": {"dtype": "F32", "shape": [0, 5], "data_offsets": [4, 4]}}, f32(1.0)))
put("safetensors", "nan-value", safetensors(
    {"fc.bias": {"dtype": "F32", "shape": [10], "data_offsets": [0, 40]}}, f32(*[float("nan")] * 10)))
put("safetensors", "dtype-f16", safetensors(
    {"fc.bias": {"dtype": "F16", "shape": [10], "data_offsets": [0, 20]}}, b"\0" * 20))
put("safetensors", "overlapping", safetensors(
    {"a": {"dtype": "F32", "shape": [5], "data_offsets": [0, 20]},
     "b": {"dtype": "F32", "shape": [5], "data_offsets": [16, 36]}}, bias))
put("safetensors", "offsets-past-end", safetensors(
    {"fc.bias": {"dtype": "F32", "shape": [10], "data_offsets": [0, 4000]}}, bias))
put("safetensors", "cut-short", padded(two, f32(1, -2, 3.5, 0) + bias)[:-30])
put("safetensors", "header-length-huge", b"\xff" * 7 + b"\x7f" + b"{}")
put("safetensors", "four-bytes", b"\x10\0\0\0")
put("safetensors", "empty-header", safetensors(b"{}", b""))
put("safetensors", "not-json", safetensors(b"\x00\xff\x13\x37garbage", bias))
# Crashed the reader before the fix: 2^30 * 2^30 * 4 elements, whose byte size wrapped to
# 0 and matched the empty data (tests/hardening/safetensors_hardening_test.cpp).
put("safetensors", "regression-shape-overflow", safetensors(
    {"w": {"dtype": "F32", "shape": [1073741824, 1073741824, 4], "data_offsets": [0, 0]}}, b""))

# --- command lines: arguments separated by NUL bytes. ------------------------------------
for name, args in {
    "forward": ["--data", "/tmp/x", "--weights", "w.safetensors", "--batch", "64", "--limit", "100"],
    "train": ["--epochs=5", "--lr", "0.001", "--seed", "18446744073709551615", "--threads", "2", "--verbose"],
    "extra": ["--rung", "3", "--fast", "--json", "out.json"],
    "help": ["--help"],
    "missing-value": ["--limit"],
    "regression-lr-nan": ["--lr", "nan"],  # was accepted before the fix
}.items():
    put("cli", name, b"\0".join(a.encode() for a in args))
print("corpora written to", os.path.join(HERE, "corpus"))

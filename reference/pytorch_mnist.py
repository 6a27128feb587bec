#!/usr/bin/env python3
"""The same network in PyTorch, side by side with the C++ stages.

Same model, same initialisation (the very same numbers: glorot-uniform drawn through a
Python copy of common/rng.cpp's xoshiro256**), same data order (the same Fisher-Yates
shuffle), same Adam settings and batch, so its training curve and throughput can be set
next to stage 04's and 05's. It reads and writes the project's safetensors weights.

  python3 reference/pytorch_mnist.py train --epochs 5 --json build/tour/pytorch.json
  python3 reference/pytorch_mnist.py eval --weights weights/mnist_cnn.safetensors
  python3 reference/pytorch_mnist.py compare --weights W --logits L.idx   (logits from a stage)
  python3 reference/pytorch_mnist.py steps --limit 1210 --epochs 5 --losses L.txt --weights W

`steps` is the step-by-step comparison with stage 04 (tests/reference): dropout off and
Adam in Keras's form (keras_adam_step), so that the only differences left are the order of
float32 additions; it writes every step's loss, one per line, and the final weights.

What cannot be the same: PyTorch's Adam adds epsilon to sqrt(v_hat) while Keras (and
stage 04) add it to sqrt(v) and fold the bias corrections into the step size; with
epsilon = 1e-7 the two differ only in the 7th digit of an update. Dropout masks come from
PyTorch's own generator.
"""
import argparse
import gzip
import json
import math
import os
import pathlib
import struct
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # optional at run time: never a build dependency
    print(f"pytorch reference skipped: {e} (install python3-torch)")
    sys.exit(77)

MASK64 = (1 << 64) - 1


class Rng:
    """xoshiro256** seeded by splitmix64: bit-for-bit the generator of common/rng.cpp."""

    def __init__(self, seed):
        self.s = []
        x = seed & MASK64
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
            self.s.append(z ^ (z >> 31))

    @staticmethod
    def _rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK64

    def next_u64(self):
        s = self.s
        result = (self._rotl((s[1] * 5) & MASK64, 7) * 9) & MASK64
        t = (s[1] << 17) & MASK64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return result

    def uniform(self):
        return np.float32(self.next_u64() >> 40) * np.float32(2.0 ** -24)

    def below(self, n):
        m = (self.next_u64() >> 32) * n
        if (m & 0xFFFFFFFF) < n:
            threshold = ((1 << 32) - n) % n
            while (m & 0xFFFFFFFF) < threshold:
                m = (self.next_u64() >> 32) * n
        return m >> 32


SHUFFLE_STREAM = 0x53485546464C4500  # stages/04_backprop/trainer.cpp's kShuffleStream


def shuffle_seed(seed, epoch):
    """stage04::shuffle_seed: epoch e (1-based) shuffles with this seed."""
    return (Rng(seed ^ SHUFFLE_STREAM).next_u64() + epoch) & MASK64


def shuffled_indices(n, seed):
    order = list(range(n))
    rng = Rng(seed)
    for i in range(n, 1, -1):
        j = rng.below(i)
        order[i - 1], order[j] = order[j], order[i - 1]
    return order


NAMES = ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc.weight", "fc.bias"]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc = nn.Linear(1600, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.dropout(torch.flatten(x, 1), 0.5, self.training)
        return self.fc(x)


def init_like_common(net, seed):
    """common/params.cpp's init_params: glorot-uniform kernels in list order, zero biases."""
    rng = Rng(seed)
    with torch.no_grad():
        for name in NAMES:
            p = net.get_parameter(name)
            if p.dim() == 1:
                p.zero_()
                continue
            receptive = p[0, 0].numel()
            fan_in, fan_out = p.shape[1] * receptive, p.shape[0] * receptive
            limit = np.float32(math.sqrt(6.0 / (fan_in + fan_out)))
            vals = np.empty(p.numel(), dtype=np.float32)
            for i in range(vals.size):
                vals[i] = -limit + (limit - -limit) * rng.uniform()
            p.copy_(torch.from_numpy(vals.reshape(p.shape)))


def read_idx(path):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    dtype = {0x08: np.uint8, 0x0D: np.dtype(">f4")}[data[2]]
    return np.frombuffer(data, dtype=dtype, offset=4 + 4 * rank).reshape(dims)


def load_split(data_dir, prefix):
    def find(name):
        for p in (pathlib.Path(data_dir) / name, pathlib.Path(data_dir) / (name + ".gz")):
            if p.exists():
                return p
        sys.exit(f"error: {pathlib.Path(data_dir) / name}: not found (run `make data`)")
    images = read_idx(find(f"{prefix}-images-idx3-ubyte")).astype(np.float32) / 255.0
    labels = read_idx(find(f"{prefix}-labels-idx1-ubyte")).astype(np.int64)
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels)


def save_safetensors(net, path):
    header, blobs, offset = {}, [], 0
    for name in NAMES:
        t = net.get_parameter(name).detach().cpu().contiguous().numpy().astype("<f4")
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + t.nbytes]}
        blobs.append(t.tobytes())
        offset += t.nbytes
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text.encode() + b"".join(blobs))
    os.replace(tmp, path)


def load_safetensors(net, path):
    data = pathlib.Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    with torch.no_grad():
        for name in NAMES:
            e = header[name]
            begin, end = e["data_offsets"]
            arr = np.frombuffer(data, dtype="<f4", count=(end - begin) // 4, offset=8 + n + begin)
            net.get_parameter(name).copy_(torch.from_numpy(arr.reshape(e["shape"]).copy()))


def logits_of(net, images, batch=1000):
    net.eval()
    with torch.no_grad():
        return torch.cat([net(images[i:i + batch]) for i in range(0, len(images), batch)])


def keras_adam_step(params, state, lr, beta1=0.9, beta2=0.999, epsilon=1e-7):
    """stage04::Adam::step: the bias corrections folded into the step size, epsilon added to
    the uncorrected sqrt(v) (torch.optim.Adam adds it to the corrected one)."""
    state["t"] = state.get("t", 0) + 1
    t = state["t"]
    alpha = lr * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)  # in double, as stage 04
    with torch.no_grad():
        for p in params:
            m = state.setdefault(("m", id(p)), torch.zeros_like(p))
            v = state.setdefault(("v", id(p)), torch.zeros_like(p))
            m.mul_(beta1).add_(p.grad, alpha=1 - beta1)
            v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
            p.sub_(np.float32(alpha) * m / (v.sqrt() + epsilon))


def steps(args):
    """Trains without dropout, Keras's Adam, stage 04's batches; writes the loss of every step."""
    train_x, train_y = load_split(args.data, "train")
    train_x, train_y = train_x[:args.limit], train_y[:args.limit]
    net = Net()
    init_like_common(net, args.seed)
    net.eval()  # dropout off (it has no other effect in this network)
    state, losses, n = {}, [], len(train_x)
    for epoch in range(args.epochs):
        order = torch.tensor(shuffled_indices(n, shuffle_seed(args.seed, epoch + 1)))
        for b in range(0, n, args.batch):
            idx = order[b:b + args.batch]
            net.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(train_x[idx]), train_y[idx])
            loss.backward()
            keras_adam_step(list(net.parameters()), state, args.lr)
            losses.append(loss.item())
    pathlib.Path(args.losses).write_text("".join(f"{x!r}\n" for x in losses))
    save_safetensors(net, args.weights)


def train(args):
    torch.manual_seed(args.seed)
    train_x, train_y = load_split(args.data, "train")
    test_x, test_y = load_split(args.data, "t10k")
    if args.limit:
        train_x, train_y = train_x[:args.limit], train_y[:args.limit]
    net = Net()
    init_like_common(net, args.seed)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-7)
    n = len(train_x)
    epochs = []
    for epoch in range(args.epochs):
        order = torch.tensor(shuffled_indices(n, shuffle_seed(args.seed, epoch + 1)))
        net.train()
        start = time.perf_counter()
        total = 0.0
        for b in range(0, n, args.batch):
            idx = order[b:b + args.batch]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(net(train_x[idx]), train_y[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        seconds = time.perf_counter() - start
        acc = (logits_of(net, test_x).argmax(1) == test_y).float().mean().item()
        epochs.append({"epoch": epoch + 1, "loss": total / n, "test_accuracy": acc,
                       "seconds": seconds, "images_per_second": n / seconds})
        print(f"epoch {epoch + 1}: loss {total / n:.4f}  test accuracy {100 * acc:.2f}%  "
              f"{seconds:.1f} s  {n / seconds:,.0f} images/s", flush=True)
    if args.weights:
        save_safetensors(net, args.weights)
    steady = [e["images_per_second"] for e in epochs[1:]] or [epochs[0]["images_per_second"]]
    result = {"stage": "torch", "name": f"PyTorch {torch.__version__} (CPU)", "kind": "train",
              "accuracy": epochs[-1]["test_accuracy"],
              "train_images_per_second": sorted(steady)[len(steady) // 2],
              "threads": torch.get_num_threads(), "epochs": epochs}
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


def evaluate(args):
    test_x, test_y = load_split(args.data, "t10k")
    net = Net()
    load_safetensors(net, args.weights)
    start = time.perf_counter()
    logits = logits_of(net, test_x)
    seconds = time.perf_counter() - start
    acc = (logits.argmax(1) == test_y).float().mean().item()
    print(f"PyTorch {torch.__version__}: test accuracy {100 * acc:.2f}% with {args.weights}, "
          f"{len(test_x) / seconds:,.0f} images/s")
    return net, test_x, test_y, logits


def compare(args):
    """Our weights in PyTorch: same accuracy, and logits within float tolerance of a stage's."""
    net, test_x, test_y, logits = evaluate(args)
    ours = torch.from_numpy(read_idx(args.logits).astype(np.float32).copy())
    theirs = logits[:len(ours)]
    rel = ((ours - theirs).abs().max() / theirs.abs().max()).item()
    same = (ours.argmax(1) == theirs.argmax(1)).float().mean().item()
    print(f"{len(ours)} images: max relative logit difference {rel:.2e}, "
          f"predicted classes identical for {100 * same:.2f}%")
    if rel > 1e-4 or same < 1.0:
        sys.exit("error: the stage's logits do not match PyTorch's")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=["train", "eval", "compare", "steps"])
    p.add_argument("--data", default="data/mnist")
    p.add_argument("--weights")
    p.add_argument("--logits")
    p.add_argument("--losses", help="steps: where to write the loss of every step")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="default: every core")
    p.add_argument("--json")
    args = p.parse_args()
    # Every core, as the C++ stages use: some builds default to one thread per physical core
    # (Debian's 1.13 picks 1 of this machine's 2), which would make the comparison unfair.
    torch.set_num_threads(args.threads or os.cpu_count())
    if args.mode in ("eval", "compare") and not args.weights:
        sys.exit("error: --weights FILE is needed")
    if args.mode == "compare" and not args.logits:
        sys.exit("error: --logits FILE is needed")
    if args.mode == "steps" and not (args.losses and args.weights and args.limit):
        sys.exit("error: steps needs --losses FILE, --weights FILE and --limit N")
    {"train": train, "eval": evaluate, "compare": compare, "steps": steps}[args.mode](args)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch on the same GPU, the same model, batch and optimiser as stage 05, data on the GPU.

The yardstick for stage 05's ladder: PyTorch eager (cuDNN convolutions, cuBLAS, foreach
Adam) and torch.compile with CUDA graphs (mode="reduce-overhead"), each trained for 5 epochs
of batch 128 with Adam (lr 1e-3, epsilon 1e-7) and dropout 0.5, from the project's own
glorot-uniform initialisation (reference/pytorch_mnist.py). The training set lives on the
GPU and is shuffled there (torch.randperm), as stage 05's rungs 3 and 4 do. Each mode runs
in strict float32 (against rung 3) and, as "-tf32", with TF32 tensor cores allowed in
cuDNN and cuBLAS (against rung 4).

  python3 stages/05_cuda/torch_side_by_side.py --data data/mnist --json torch.json
"""
import argparse
import json
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2] / "reference"))
import pytorch_mnist as ref  # noqa: E402  (Net, init_like_common, load_split)
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def set_precision(tf32):
    """Strict float32 (against rungs 1-3) or TF32 tensor cores allowed (against rung 4)."""
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32


def run(mode, train_x, train_y, test_x, test_y, args):
    tf32 = mode.endswith("-tf32")
    set_precision(tf32)
    torch._dynamo.reset()  # compile again under this precision
    torch.manual_seed(args.seed)
    net = ref.Net()
    ref.init_like_common(net, args.seed)
    net = net.cuda()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)

    def step(x, y):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss.detach()

    if mode.startswith("compiled"):
        step = torch.compile(step, mode="reduce-overhead")
    n = len(train_x)
    epochs = []
    start_all = time.perf_counter()
    for epoch in range(args.epochs):
        net.train()
        torch.cuda.synchronize()
        start = time.perf_counter()
        order = torch.randperm(n, device="cuda")
        total = torch.zeros((), device="cuda")
        for b in range(0, n, args.batch):
            idx = order[b:b + args.batch]
            total += step(train_x[idx], train_y[idx])
        torch.cuda.synchronize()
        seconds = time.perf_counter() - start
        net.eval()
        with torch.no_grad():
            correct = sum((net(test_x[i:i + 1000]).argmax(1) == test_y[i:i + 1000]).sum().item()
                          for i in range(0, len(test_x), 1000))
        steps = (n + args.batch - 1) // args.batch
        epochs.append({"epoch": epoch + 1, "seconds": seconds, "loss": total.item() / steps,
                       "accuracy": correct / len(test_x)})
        print(f"  {mode:8s} epoch {epoch + 1}  loss {total.item() / steps:.4f}  "
              f"test accuracy {100 * correct / len(test_x):.2f}%  {seconds:.3f} s", flush=True)
    total_seconds = time.perf_counter() - start_all
    steady = sorted(e["seconds"] for e in epochs[1:]) or [epochs[0]["seconds"]]
    return {"mode": mode, "tf32": tf32, "epochs": epochs, "total_seconds": total_seconds,
            "steady_epoch_seconds": steady[len(steady) // 2],
            "accuracy": epochs[-1]["accuracy"]}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="data/mnist")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--modes", default="eager,compiled,eager-tf32,compiled-tf32",
                   help="eager or compiled, strict float32 or with -tf32 (TF32 allowed)")
    p.add_argument("--json")
    args = p.parse_args()
    if not torch.cuda.is_available():
        print("torch side-by-side skipped: no CUDA GPU")
        return 77
    start = time.perf_counter()
    train_x, train_y = (t.cuda() for t in ref.load_split(args.data, "train"))
    test_x, test_y = (t.cuda() for t in ref.load_split(args.data, "t10k"))
    torch.cuda.synchronize()
    print(f"torch {torch.__version__} on {torch.cuda.get_device_name()}; data loaded and "
          f"uploaded in {time.perf_counter() - start:.2f} s", flush=True)
    results = {"torch": torch.__version__, "gpu": torch.cuda.get_device_name(), "runs": []}
    for mode in args.modes.split(","):
        try:
            results["runs"].append(run(mode, train_x, train_y, test_x, test_y, args))
        except Exception as e:  # a failed compile must not hide the eager numbers
            print(f"  {mode}: failed: {e}", flush=True)
            results["runs"].append({"mode": mode, "error": str(e)})
    for r in results["runs"]:
        if "error" not in r:
            print(f"torch {r['mode']:8s}: {r['steady_epoch_seconds']:.3f} s per epoch (median after "
                  f"the first), {r['total_seconds']:.2f} s for {args.epochs} epochs, "
                  f"{100 * r['accuracy']:.2f}%")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

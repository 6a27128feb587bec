#!/usr/bin/env python3
"""Computes every number in the lesson pages' worked examples, from the definitions.

Usage: python3 docs/worked_examples.py [section]    (no argument: every section)

Plain Python (no NumPy), written straight from the formulas, independently of the C++ code,
so a reader can check a page by hand or change an input and see what moves. Each section is
named after the page that quotes it. float32 effects are shown with struct round trips.
"""
import math
import struct
import sys


def f32(x):
    """x rounded to the nearest float32, as a C++ float would hold it."""
    return struct.unpack("f", struct.pack("f", x))[0]


def show(name, value):
    if isinstance(value, list):
        print(f"  {name} =")
        for row in value:
            print("    " + ("  ".join(f"{v:8.4g}" for v in row) if isinstance(row, list) else f"{row:.6g}"))
    else:
        print(f"  {name} = {value:.6g}" if isinstance(value, float) else f"  {name} = {value}")


def conv2d_single(x, w, b):
    """Valid, stride-1 cross-correlation of one channel x [H][W] with w [K][K], plus b."""
    K, H, W = len(w), len(x), len(x[0])
    return [[b + sum(x[y + ky][x_ + kx] * w[ky][kx] for ky in range(K) for kx in range(K))
             for x_ in range(W - K + 1)] for y in range(H - K + 1)]


CONV_X = [[1, 2, 0, 1],
          [0, 1, 3, 1],
          [2, 1, 0, 0],
          [1, 0, 1, 2]]
CONV_W = [[1, 0, -1],
          [1, 0, -1],
          [1, 0, -1]]
CONV_B = 0.5


def layers_conv2d():
    out = conv2d_single(CONV_X, CONV_W, CONV_B)
    show("out (2x2)", out)
    # The first output spelled out, term by term.
    left = sum(CONV_X[r][0] for r in range(3))
    right = sum(CONV_X[r][2] for r in range(3))
    print(f"  out[0,0] = ({left}) - ({right}) + {CONV_B} = {left - right + CONV_B}")


def layers_relu():
    x = [-1.5, 0.0, 0.25, 2.0]
    show("relu(x)", [max(0.0, v) for v in x])
    dout = [0.1, 0.2, 0.3, 0.4]
    show("dx", [d if v > 0 else 0.0 for v, d in zip(x, dout)])


POOL_X = [[1, 3, 2, 0, 9],
          [4, 2, 1, 5, 9],
          [0, 1, 7, 2, 9],
          [6, 2, 3, 8, 9],
          [9, 9, 9, 9, 9]]


def layers_maxpool():
    n = len(POOL_X) // 2
    out = [[max(POOL_X[2 * y + dy][2 * x + dx] for dy in (0, 1) for dx in (0, 1))
            for x in range(n)] for y in range(n)]
    show("out (2x2, floor: row and column 4 dropped)", out)


def layers_flatten():
    C, H, W = 64, 5, 5
    c, y, x = 3, 2, 4
    print(f"  (c={c}, y={y}, x={x}) of [64,5,5] -> feature c*25 + y*5 + x = {c * H * W + y * W + x}")
    i = 1599
    print(f"  feature {i} -> c={i // 25}, y={i % 25 // 5}, x={i % 5}")


def layers_dropout():
    x = [0.2, 0.4, 0.6, 0.8]
    keep = [1, 0, 1, 0]
    p = 0.5
    mask = [k / (1 - p) for k in keep]
    show("mask", mask)
    show("x * mask", [a * m for a, m in zip(x, mask)])
    print(f"  E[x_i * mask_i] = (1-p) * x_i/(1-p) + p * 0 = x_i; sum kept = "
          f"{sum(a * m for a, m in zip(x, mask)):.6g} vs sum x = {sum(x):.6g}")


DENSE_IN = [1.0, 2.0, 3.0]
DENSE_W = [[0.1, 0.2, 0.3],
           [-0.1, 0.0, 0.1]]
DENSE_B = [0.5, -0.5]


def layers_dense():
    out = [DENSE_B[j] + sum(DENSE_IN[i] * DENSE_W[j][i] for i in range(3)) for j in range(2)]
    show("out", out)
    print("  params of the network's dense layer: 1600*10 + 10 =", 1600 * 10 + 10)


SOFTMAX_Z = [2.0, 1.0, 0.1]


def softmax(z):
    top = max(z)
    e = [math.exp(v - top) for v in z]
    s = sum(e)
    return [v / s for v in e]


def layers_softmax():
    show("exp(z - max)", [math.exp(v - max(SOFTMAX_Z)) for v in SOFTMAX_Z])
    show("softmax(z)", softmax(SOFTMAX_Z))
    show("softmax(z + 100)", softmax([v + 100 for v in SOFTMAX_Z]))


def training_cross_entropy():
    p = softmax(SOFTMAX_Z)
    label = 0
    loss = -math.log(p[label])
    lse = max(SOFTMAX_Z) + math.log(sum(math.exp(v - max(SOFTMAX_Z)) for v in SOFTMAX_Z))
    show("logsumexp(z)", lse)
    show("loss = logsumexp(z) - z[label]", lse - SOFTMAX_Z[label])
    show("loss = -log p[label]", loss)
    show("dz = p - onehot", [pi - (1.0 if k == label else 0.0) for k, pi in enumerate(p)])
    # The same gradient by central differences, in double precision.
    h = 1e-6
    num = []
    for k in range(3):
        zp = list(SOFTMAX_Z); zp[k] += h
        zm = list(SOFTMAX_Z); zm[k] -= h
        num.append((-math.log(softmax(zp)[label]) + math.log(softmax(zm)[label])) / (2 * h))
    show("dz by central differences", num)
    print(f"  a wrong guess: label 2 -> loss = {-math.log(p[2]):.6g}")
    print(f"  chance level, 10 equal logits: loss = ln 10 = {math.log(10):.6g}")


def training_backprop():
    N = 128
    shapes = [
        ("images", (N, 1, 28, 28)), ("conv1 out", (N, 32, 26, 26)), ("pool1", (N, 32, 13, 13)),
        ("conv2 out", (N, 64, 11, 11)), ("pool2", (N, 64, 5, 5)), ("features", (N, 1600)),
        ("logits", (N, 10)),
    ]
    for name, s in shapes:
        print(f"  {name:10s} {str(list(s)):18s} {math.prod(s):>10,d} floats")
    params = {"conv1.weight": 32 * 1 * 3 * 3, "conv1.bias": 32, "conv2.weight": 64 * 32 * 3 * 3,
              "conv2.bias": 64, "fc.weight": 10 * 1600, "fc.bias": 10}
    print("  parameters:", params, "total", sum(params.values()))
    fwd = 2 * (26 * 26 * 32 * 9 + 11 * 11 * 64 * 288 + 1600 * 10)
    bwd = 2 * (26 * 26 * 32 * 9 + 2 * 11 * 11 * 64 * 288 + 2 * 1600 * 10)
    print(f"  FLOPs per image: forward {fwd:,}, backward {bwd:,}, training {fwd + bwd:,}")
    print(f"  training FLOPs per epoch (60,000 images): {60000 * (fwd + bwd) / 1e12:.3f} T")
    # Tiny chain: one dense layer 2 -> 2 and softmax-CE, gradients by hand and by differences.
    x = [1.0, -2.0]
    W = [[0.5, -0.25], [0.1, 0.2]]
    b = [0.0, 0.1]
    label = 1

    def loss_of(W_):
        z = [b[j] + sum(W_[j][i] * x[i] for i in range(2)) for j in range(2)]
        return -math.log(softmax(z)[label]), z

    L, z = loss_of(W)
    p = softmax(z)
    dz = [p[j] - (1.0 if j == label else 0.0) for j in range(2)]
    dW = [[dz[j] * x[i] for i in range(2)] for j in range(2)]
    dx = [sum(dz[j] * W[j][i] for j in range(2)) for i in range(2)]
    show("tiny chain z", z)
    show("tiny chain loss", L)
    show("tiny chain dz", dz)
    show("tiny chain dW = dz^T x", dW)
    show("tiny chain dx = dz W", dx)
    h = 1e-6
    Wp = [row[:] for row in W]; Wp[0][1] += h
    Wm = [row[:] for row in W]; Wm[0][1] -= h
    show("dW[0][1] by central differences", (loss_of(Wp)[0] - loss_of(Wm)[0]) / (2 * h))


def training_adam():
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-7
    p, m, v = 1.0, 0.0, 0.0
    for t, g in ((1, 0.5), (2, -0.25), (3, 0.5)):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        step = alpha * m / (math.sqrt(v) + eps)
        p -= step
        print(f"  t={t} g={g:+.2f}: m={m:.6g} v={v:.6g} alpha_t={alpha:.6g} step={step:.6g} p={p:.7f}")
    # Without bias correction the first step would be tiny:
    m1, v1 = (1 - b1) * 0.5, (1 - b2) * 0.25
    print(f"  t=1 without bias correction: lr*m/(sqrt(v)+eps) = {lr * m1 / (math.sqrt(v1) + eps):.6g}")
    # A gradient of 1e-9 (a parameter that hardly matters): epsilon decides the step.
    g = 1e-9
    m1, v1 = (1 - b1) * g, (1 - b2) * g * g
    alpha = lr * math.sqrt(1 - b2) / (1 - b1)
    print(f"  g=1e-9 at t=1: sqrt(v)={math.sqrt(v1):.3g}, step with eps={alpha * m1 / (math.sqrt(v1) + eps):.3g}, "
          f"without eps={alpha * m1 / math.sqrt(v1):.3g}")
    print(f"  Adam state: 2 * 34,826 = {2 * 34826:,} floats = {2 * 34826 * 4:,} bytes")


def training_stability():
    flt_max = struct.unpack("f", bytes.fromhex("ffff7f7f"))[0]
    print(f"  FLT_MAX = {flt_max:.6g}; ln(FLT_MAX) = {math.log(flt_max):.6g}")
    print(f"  exp(89) = {math.exp(89):.4g} > FLT_MAX: float32 exp(89) is inf")
    z = [1000.0, 999.0, 998.0]
    show("softmax([1000, 999, 998]) with the max subtracted", softmax(z))
    print(f"  smallest normal float32 2^-126 = {2.0 ** -126:.6g} = exp({math.log(2.0 ** -126):.5g}); "
          f"smallest subnormal 2^-149 = {2.0 ** -149:.4g} = exp({math.log(2.0 ** -149):.5g})")
    print(f"  float32 exp(-100) = {f32(math.exp(-100)):.4g} (subnormal), exp(-104) = {f32(math.exp(-104)):.4g}")
    # Cross-entropy from a probability that underflowed vs from log-sum-exp:
    z = [0.0, -120.0]
    lse = max(z) + math.log(sum(math.exp(v - max(z)) for v in z))
    p1 = f32(math.exp(z[1] - lse))
    print(f"  logits [0, -120], label 1: p = {p1} in float32 -> -log p = inf; "
          f"logsumexp form: {lse - z[1]:.6g}")
    print(f"  float32: 1 + 1e-8 = {f32(1 + 1e-8)}; 16777216 + 1 = {f32(16777216 + 1):.0f}")
    # Summing 60,000 losses of about 0.1 one by one in float32 vs double.
    s32, s64 = 0.0, 0.0
    for _ in range(60000):
        s32 = f32(s32 + f32(0.1))
        s64 += 0.1
    print(f"  sum of 60,000 x 0.1: float32 running sum {s32:.6g}, double {s64:.6g}")


def low_level_im2col():
    C, H, W, K = 2, 3, 3, 2
    img = [[[10 * c + 3 * y + x + 1 for x in range(W)] for y in range(H)] for c in range(C)]
    OH, OW = H - K + 1, W - K + 1
    cols = [[img[c][y + ky][x + kx] for y in range(OH) for x in range(OW)]
            for c in range(C) for ky in range(K) for kx in range(K)]
    show("image channel 0", img[0])
    show("image channel 1", img[1])
    show(f"columns [{C * K * K}, {OH * OW}]", cols)
    w = [1, 0, 0, -1, 0, 1, 1, 0]  # one filter [1, 2, 2, 2] flattened in (c, ky, kx) order
    out = [sum(w[r] * cols[r][j] for r in range(C * K * K)) for j in range(OH * OW)]
    show("weight[1,8] x columns", out)
    direct = conv2d_single(img[0], [[1, 0], [0, -1]], 0)
    direct1 = conv2d_single(img[1], [[0, 1], [1, 0]], 0)
    show("direct convolution", [[direct[y][x] + direct1[y][x] for x in range(OW)] for y in range(OH)])
    for name, (c, h, k, n) in {"conv1": (1, 28, 3, 128), "conv2": (32, 13, 3, 128)}.items():
        oh = h - k + 1
        rows, colsn = c * k * k, oh * oh
        print(f"  {name}: columns [{rows}, {colsn}] per image = {rows * colsn:,} floats "
              f"(input {c * h * h:,}: x{rows * colsn / (c * h * h):.2f}); batch of {n}: "
              f"{rows * colsn * n * 4 / 2**20:.1f} MiB")


def copy_counts(H, K):
    """How many of the K x K windows of a square H x H image cover each pixel: how many
    copies of it im2col makes, and so how many gradients col2im adds back into it."""
    counts = [[0] * H for _ in range(H)]
    for y in range(H - K + 1):
        for x in range(H - K + 1):
            for ky in range(K):
                for kx in range(K):
                    counts[y + ky][x + kx] += 1
    return counts


def low_level_col2im():
    show("copies of each pixel (3x3 image, K=2)", copy_counts(3, 2))
    counts = copy_counts(13, 3)
    print("  conv2's 13x13 input, K=3, first rows of the copy counts:", counts[0][:5], counts[1][:5], counts[2][:5])
    # dX for the 3x3 / K=2 example: dout all ones, weight [[1,0],[0,-1]]
    wk = [[1, 0], [0, -1]]
    dout = [[1, 2], [3, 4]]
    dx = [[0.0] * 3 for _ in range(3)]
    for y in range(2):
        for x in range(2):
            for ky in range(2):
                for kx in range(2):
                    dx[y + ky][x + kx] += wk[ky][kx] * dout[y][x]
    show("dX for dout [[1,2],[3,4]], weight [[1,0],[0,-1]]", dx)
    # and the weight gradient: dW[ky][kx] = sum_y,x dout[y][x] * X[y+ky][x+kx]
    X = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    dW = [[sum(dout[y][x] * X[y + ky][x + kx] for y in range(2) for x in range(2)) for kx in range(2)]
          for ky in range(2)]
    show("dW for X = 1..9", dW)
    for name, (o, c, k, ohw) in {"conv1": (32, 1, 3, 676), "conv2": (64, 32, 3, 121)}.items():
        print(f"  {name} backward GEMMs per image: dW [{o},{ohw}]x[{ohw},{c * k * k}], "
              f"dcols [{c * k * k},{o}]x[{o},{ohw}]: {2 * o * c * k * k * ohw:,} FLOPs each")


def low_level_matmul():
    for name, (M, N, K) in {"conv1 (batch 128)": (32, 676 * 128, 9),
                            "conv2 (batch 128)": (64, 121 * 128, 288),
                            "dense (batch 128)": (128, 10, 1600)}.items():
        flops = 2 * M * N * K
        bytes_ = 4 * (M * K + K * N + M * N)
        print(f"  {name}: M={M} N={N:,} K={K}: {flops / 1e6:,.1f} MFLOP, "
              f"A+B+C {bytes_ / 2**20:.2f} MiB, {flops / bytes_:.1f} FLOP/byte")
    mr, nr = 8, 32
    print(f"  AVX-512 register: 16 floats; an {mr}x{nr} tile of C = {mr * nr // 16} registers of 32")
    print(f"  per k step: {mr} broadcasts + {nr // 16} loads feed {mr * nr // 16} FMA instructions "
          f"= {mr * nr} multiply-adds = {2 * mr * nr} FLOPs")


# The ceilings stage 03's roofline benchmark measured on the 2-core AMD EPYC VM (its README,
# "Measured"): AVX-512 FMA peak in GFLOP/s and STREAM bandwidth in GB/s, one and two cores.
MEASURED_PEAK = {1: 218.6, 2: 429.7}
MEASURED_COPY_1CORE = 36.4
MEASURED_TRIAD = {1: 28.7, 2: 50.2}


def low_level_roofline():
    for name, (M, N, K) in {"conv1": (32, 676 * 128, 9), "conv2": (64, 121 * 128, 288),
                            "dense": (128, 10, 1600), "1024^3": (1024, 1024, 1024)}.items():
        flops = 2 * M * N * K
        bytes_ = 4 * (M * K + K * N + M * N)
        intensity = flops / bytes_
        roofs = ", ".join(f"{cores} core(s) min({MEASURED_PEAK[cores]}, {intensity:.1f} x "
                          f"{MEASURED_TRIAD[cores]}) = "
                          f"{min(MEASURED_PEAK[cores], intensity * MEASURED_TRIAD[cores]):.1f}"
                          for cores in (1, 2))
        print(f"  {name} GEMM: {intensity:.1f} FLOP/byte; ceiling in GFLOP/s: {roofs}")
    print(f"  ReLU over [128,32,26,26]: 1 op per 8 bytes = {1 / 8:.3f} FLOP/byte")
    print(f"  FLOP per cycle per core with 2 FMA pipes x 16 float lanes: {2 * 16 * 2}")
    peak = MEASURED_PEAK[1]
    print(f"  {peak} GFLOP/s on one core = 64 FLOP/cycle at {peak / 64:.2f} GHz "
          f"or 32 FLOP/cycle at {peak / 32:.2f} GHz")
    print(f"  ridge: {peak} / {MEASURED_COPY_1CORE} (copy) = {peak / MEASURED_COPY_1CORE:.1f}, "
          f"{peak} / {MEASURED_TRIAD[1]} (triad) = {peak / MEASURED_TRIAD[1]:.1f}, two cores "
          f"{MEASURED_PEAK[2]} / {MEASURED_TRIAD[2]} = {MEASURED_PEAK[2] / MEASURED_TRIAD[2]:.1f} FLOP/byte")


def low_level_cuda():
    N = 128
    print(f"  conv1 output elements for a batch: {N * 32 * 26 * 26:,}; blocks of 256 threads: "
          f"{math.ceil(N * 32 * 26 * 26 / 256):,}")
    print(f"  a 32x32 float tile = {32 * 32 * 4} bytes of shared memory; two tiles = {2 * 32 * 32 * 4}")
    print(f"  a warp reading 32 consecutive floats: {32 * 4} bytes = one 128-byte transaction; "
          f"stride 1600 floats: 32 transactions")


SECTIONS = {name: fn for name, fn in globals().items()
            if callable(fn) and name.startswith(("layers_", "training_", "low_level_"))}

if __name__ == "__main__":
    wanted = sys.argv[1:] or list(SECTIONS)
    for name in wanted:
        if name not in SECTIONS:
            sys.exit(f"unknown section {name}; choose from {', '.join(SECTIONS)}")
        print(f"[{name}]")
        SECTIONS[name]()

#!/usr/bin/env python3
"""Independent float64 reference of the MiniCPM paper's group quantisation (arXiv 2404.06395,
Appendix D), written from the formulas, not from the Swift code:

    scale = (max - min) / (2^bits - 1)
    zero  = -min / scale - 2^(bits-1)
    q     = round(w / scale + zero)      (round half to even, clamped to [-2^(bits-1), 2^(bits-1) - 1])
    w'    = scale * (q - zero)

over groups of `group_size` consecutive input weights of each output row. A degenerate group
(max == min) takes scale = |min| (1 when the group is all zeros), so that q = -2^(bits-1) and
w' = min exactly without dividing by zero.

Writes Fixtures/group_quant.json: float32 weights (as exact decimals) and the codes, scales,
zeros and dequantised values computed in float64.

    python3 Tests/QuantizationTests/Reference/group_quant_reference.py
"""
import json
import os

import numpy as np


def quantize(w, bits, group_size):
    rows, cols = w.shape
    w = w.astype(np.float64)
    half = 2 ** (bits - 1)
    levels = 2 ** bits - 1
    g = w.reshape(rows, cols // group_size, group_size)
    lo = g.min(axis=2)
    hi = g.max(axis=2)
    scale = (hi - lo) / levels
    degenerate = hi == lo
    scale[degenerate] = np.where(lo[degenerate] == 0, 1.0, np.abs(lo[degenerate]))
    zero = -lo / scale - half
    q = np.clip(np.rint(g / scale[..., None] + zero[..., None]), -half, half - 1)
    deq = scale[..., None] * (q - zero[..., None])
    return q.reshape(rows, cols).astype(int), scale, zero, deq.reshape(rows, cols)


def case(rng, bits, group_size, rows, cols, special=False):
    w = rng.standard_normal((rows, cols)).astype(np.float32) * np.float32(0.05)
    if special:
        w[0, :group_size] = np.float32(0.3)       # a constant group
        w[1, :group_size] = np.float32(0.0)       # an all-zero group
        w[1, group_size:2 * group_size] = np.float32(-0.125)
    q, scale, zero, deq = quantize(w, bits, group_size)
    return {
        "bits": bits, "group_size": group_size, "rows": rows, "cols": cols,
        "weights": [float(v) for v in w.reshape(-1)],
        "codes": [int(v) for v in q.reshape(-1)],
        "scales": [float(v) for v in scale.reshape(-1)],
        "zeros": [float(v) for v in zero.reshape(-1)],
        "dequantized": [float(v) for v in deq.reshape(-1)],
    }


def main():
    rng = np.random.default_rng(2404_06395)
    cases = [
        case(rng, 4, 32, 4, 64, special=True),
        case(rng, 4, 64, 3, 128),
        case(rng, 4, 128, 2, 256, special=True),
        case(rng, 8, 32, 3, 64, special=True),
        case(rng, 8, 128, 2, 128),
    ]
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "Fixtures", "group_quant.json")
    with open(path, "w") as f:
        json.dump({"cases": cases}, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()

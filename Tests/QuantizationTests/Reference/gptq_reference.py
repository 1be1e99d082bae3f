#!/usr/bin/env python3
"""Float64 numpy reference of GPTQ (Frantar et al. 2022, Algorithm 1 with lazy batch updates and
groups, as in IST-DASLab's gptq / AutoGPTQ's fasterquant), written from the paper and the reference
implementation's description, for GPTQTests.swift. Writes ../Fixtures/gptq.json.

The group grid is the one PackedInt4Weight stores (AutoGPTQ v1, integer zero points): the range
includes 0, scale = float16((max - min) / 15), zero = round(-min / scale); a zero below 1 (not
storable as zero - 1) re-scales to max / 14 with zero 1; an all-zero group takes scale 1, zero 8;
q = clamp(round(w / scale) + zero, 0, 15). Rounding is half-to-even, as in Swift's .toNearestOrEven.
"""
import json
import os

import numpy as np


def grid(lo, hi):
    """Per-row scale and zero of a group, lo <= 0 <= hi (vectors)."""
    scale = np.empty_like(lo)
    zero = np.empty_like(lo)
    for r in range(lo.size):
        if lo[r] == hi[r]:
            scale[r], zero[r] = 1.0, 8.0
            continue
        s = float(np.float16((hi[r] - lo[r]) / 15))
        z = np.round(-lo[r] / s)
        if z < 1:
            s, z = float(np.float16(hi[r] / 14)), 1.0
        scale[r], zero[r] = s, min(z, 15.0)
    return scale, zero


def fit(w):
    """Grid of the columns w [out, G] (range widened to include 0)."""
    return grid(np.minimum(w.min(axis=1), 0), np.maximum(w.max(axis=1), 0))


def quantize(w, scale, zero):
    q = np.clip(np.round(w / scale) + zero, 0, 15)
    return q, scale * (q - zero)


def hessian(x, batch):
    """H = 2/n sum x x^T as a running average over batches of rows."""
    cols = x.shape[1]
    h = np.zeros((cols, cols))
    n = 0
    for start in range(0, x.shape[0], batch):
        xb = x[start:start + batch]
        k = xb.shape[0]
        h *= n / (n + k)
        n += k
        h += (2 / n) * xb.T @ xb
    return h


def gptq(W, H, group, block, percdamp, actorder=False, static_groups=False):
    W = W.copy()
    H = H.copy()
    rows, cols = W.shape
    dead = np.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    groups = cols // group
    scales = np.zeros((groups, rows))
    zeros = np.zeros((groups, rows))
    if static_groups:
        for g in range(groups):
            scales[g], zeros[g] = fit(W[:, g * group:(g + 1) * group])
    perm = np.arange(cols)
    if actorder:
        perm = np.argsort(-np.diag(H), kind="stable")
        W = W[:, perm]
        H = H[perm][:, perm]
    H = H + percdamp * np.mean(np.diag(H)) * np.eye(cols)
    L = np.linalg.cholesky(H)
    Linv = np.linalg.inv(L)
    Hinv = np.linalg.cholesky(Linv.T @ Linv).T        # upper: H^-1 = U^T U
    Q = np.zeros((rows, cols))
    loss = 0.0
    for i1 in range(0, cols, block):
        i2 = min(i1 + block, cols)
        W1 = W[:, i1:i2].copy()
        Err1 = np.zeros_like(W1)
        for i in range(i2 - i1):
            j = i1 + i
            if static_groups:
                g = perm[j] // group
            else:
                g = j // group
                if j % group == 0:
                    # the full matrix, updated by the previous blocks only, as the reference reads it
                    scales[g], zeros[g] = fit(W[:, j:j + group])
            w = W1[:, i]
            d = Hinv[j, j]
            q, deq = quantize(w, scales[g], zeros[g])
            Q[:, j] = q
            loss += np.sum((w - deq) ** 2 / d ** 2) / 2
            err = (w - deq) / d
            W1[:, i:] -= np.outer(err, Hinv[j, i1 + i:i2])
            Err1[:, i] = err
        W[:, i2:] -= Err1 @ Hinv[i1:i2, i2:]
    codes = np.zeros_like(Q)
    codes[:, perm] = Q
    return codes.astype(int), scales, zeros, loss


def main():
    rng = np.random.default_rng(2022)
    rows, cols, samples, batch = 16, 64, 160, 40
    # Multiples of 2^-14 and 2^-6: exact in float32 and short in JSON, so Swift sees the same numbers.
    W = np.round(rng.standard_normal((rows, cols)) * 0.05 * 2**14) / 2**14
    # Correlated inputs with unequal scales, so that GPTQ's updates and act-order matter.
    mix = rng.standard_normal((cols, cols)) / np.sqrt(cols) + np.eye(cols)
    x = (rng.standard_normal((samples, cols)) @ mix) * rng.uniform(0.2, 3.0, cols)
    x = np.round(x * 64) / 64
    dead_input = 5
    x_dead = x.copy()
    x_dead[:, dead_input] = 0
    cases = []
    for label, dead, block, actorder, static in [
        ("lazy blocks", False, 16, False, False),
        ("group inside block", False, 64, False, False),
        ("act-order, static groups", False, 16, True, True),
        ("dead input", True, 16, False, False),
    ]:
        H = hessian(x_dead if dead else x, batch)
        codes, scales, zeros, loss = gptq(W, H, 32, block, 0.01, actorder, static)
        cases.append({
            "label": label, "block_size": block, "act_order": actorder, "static_groups": static,
            "dead_input": dead_input if dead else None, "codes": codes.ravel().tolist(),
            "scales": scales.ravel().tolist(), "zeros": zeros.ravel().tolist(), "loss": loss,
        })
    fixture = {"rows": rows, "cols": cols, "samples": samples, "batch": batch, "group_size": 32,
               "damping": 0.01, "weights": W.ravel().tolist(), "inputs": x.ravel().tolist(), "cases": cases}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "gptq.json")
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes quantization.json with llama.cpp's own Python package (gguf-py), independently of the Swift
quantiser: for Q4_0, Q4_1 and Q8_0, rows of floats chosen to reach every branch of ggml's reference
quantisers, gguf-py's blocks for them (gguf.quants.quantize, bit-exact with quantize_row_*_ref) and
gguf-py's dequantisation of those blocks. Floats are written as hexadecimal float32 bit patterns so
that nothing is lost to decimal printing: "input" and "dequantized" are the little-endian float32
bytes in hexadecimal, "blocks" the block bytes.

    /work/main/.data/llama-venv/bin/python make_reference.py   # writes quantization.json next to this script
"""
import json
import os
import numpy as np
import gguf
from gguf.constants import GGMLQuantizationType as T
from gguf.quants import dequantize, quantize

rng = np.random.default_rng(20261207)
f32 = np.float32


def block(values):
    b = np.array(values, dtype=f32)
    assert b.shape == (32,), b.shape
    return b


def rows():
    """(name, float32 array of whole blocks) per case."""
    cases = []
    cases.append(("random normal, 8 blocks", rng.standard_normal(256).astype(f32)))
    cases.append(("random uniform wide range, 4 blocks",
                  (rng.uniform(-1, 1, 128) * 10.0 ** rng.integers(-3, 4, 128)).astype(f32)))
    cases.append(("all zero", np.zeros(32, dtype=f32)))
    cases.append(("constant positive", np.full(32, 0.75, dtype=f32)))
    cases.append(("constant negative", np.full(32, -3.0, dtype=f32)))
    neg = rng.uniform(-1, 1, 32).astype(f32)
    neg[5] = f32(-2.5)
    cases.append(("largest magnitude negative", neg))
    pos = rng.uniform(-1, 1, 32).astype(f32)
    pos[17] = f32(2.5)
    cases.append(("largest magnitude positive", pos))
    tie = rng.uniform(-1, 1, 32).astype(f32)
    tie[3], tie[9] = f32(-2.0), f32(2.0)
    cases.append(("equal magnitudes, negative first", tie))
    tie2 = tie.copy()
    tie2[3], tie2[9] = f32(2.0), f32(-2.0)
    cases.append(("equal magnitudes, positive first", tie2))
    # Q8_0: amax 127 gives d = 1, id = 1, so x·id is x itself: halves test roundf (away from zero).
    halves = np.array([127.0, -127.0] + [k + 0.5 for k in range(-15, 15)], dtype=f32)
    cases.append(("Q8_0 halves (d = 1)", halves))
    # Q4_0: max -8 gives d = 1, id = 1, so x + 8.5 is exact: x = n + 0.5 lands on an integer,
    # x = n lands on a half (truncated).
    q40 = np.array([-8.0] + [k * 0.5 for k in range(-15, 16)], dtype=f32)
    cases.append(("Q4_0 halves and integers (d = 1)", q40))
    # Q4_1: min 0, max 15 gives d = 1, id = 1: (x - min)·id + 0.5 exact.
    q41 = np.array([0.0, 15.0] + [k * 0.5 for k in range(0, 30)], dtype=f32)
    cases.append(("Q4_1 halves and integers (d = 1)", q41))
    cases.append(("huge: scales overflow binary16", (rng.standard_normal(32) * 1e6).astype(f32)))
    cases.append(("large: 1e20", (rng.standard_normal(32) * 1e20).astype(f32)))
    cases.append(("tiny: scales binary16 subnormal", (rng.standard_normal(32) * 1e-6).astype(f32)))
    cases.append(("tinier: scales flush to zero in binary16", (rng.standard_normal(32) * 1e-30).astype(f32)))
    spike = np.zeros(32, dtype=f32)
    spike[31] = f32(-1e-3)
    cases.append(("single negative spike at the end", spike))
    signed_zero = np.zeros(32, dtype=f32)
    signed_zero[::2] = f32(-0.0)
    signed_zero[7] = f32(1.0)
    cases.append(("negative zeros", signed_zero))
    all_negative_zero = np.full(32, -0.0, dtype=f32)
    cases.append(("all negative zero", all_negative_zero))
    return cases


def c_signed_zero_scales(values, blocks, qtype):
    """Where gguf-py's numpy reductions and ggml's C loops pick zeros of different signs, the C
    choice. C's Q4_0 keeps max = +0.0 unless some |x| > 0, so an all-zero block has d = +0/-8 = -0
    (numpy takes x[0], which may be -0, giving d = +0); C's Q4_1 keeps the first x < FLT_MAX as the
    minimum, so -0 then +0 gives m = -0 (numpy's min gives +0). Only the sign of a zero scale
    differs; every other byte is checked equal by ggml's C (see README.md)."""
    shape = blocks.shape
    blocks = blocks.reshape(-1, gguf.GGML_QUANT_SIZES[qtype][1]).copy()
    for b, x in enumerate(values.reshape(-1, 32)):
        if qtype == T.Q4_0:
            amax, mx = f32(0), f32(0)
            for v in x:
                if amax < abs(v):
                    amax, mx = abs(v), v
            field, value = 0, f32(mx / f32(-8))
        elif qtype == T.Q4_1:
            mn = f32(np.finfo(f32).max)
            for v in x:
                if v < mn:
                    mn = v
            field, value = 2, mn
        else:
            continue
        c = np.array([value], dtype=np.float16).view(np.uint8)
        if bytes(blocks[b, field:field + 2]) != bytes(c):
            assert value == 0, (qtype, b, value)
            blocks[b, field:field + 2] = c
    return blocks.reshape(shape)


def hex_floats(a):
    """The float32 values' little-endian bytes, in hexadecimal."""
    return np.asarray(a, dtype="<f4").tobytes().hex()


from importlib.metadata import version

out = {"generator": f"gguf {version('gguf')}, numpy {np.__version__}",
       "cases": []}
for name, values in rows():
    case = {"name": name, "input": hex_floats(values)}
    for qname, qtype in (("q4_0", T.Q4_0), ("q4_1", T.Q4_1), ("q8_0", T.Q8_0)):
        with np.errstate(all="ignore"):
            blocks = c_signed_zero_scales(values, quantize(values.reshape(1, -1), qtype), qtype)
            back = dequantize(blocks, qtype).reshape(-1)
        case[qname] = {"blocks": bytes(blocks.reshape(-1)).hex(), "dequantized": hex_floats(back)}
    out["cases"].append(case)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "quantization.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(f"wrote {len(out['cases'])} cases to {path}")

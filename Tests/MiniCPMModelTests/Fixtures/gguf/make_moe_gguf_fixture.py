#!/usr/bin/env python3
"""Writes ../moe-e8-k2-untied as minicpm-moe-f16.gguf with llama.cpp's own Python package (gguf-py)
and no Swift code, in the layout llama.cpp's loader reads for a `minicpm` file with experts, and
minicpm-moe-f16.expected.safetensors: the float64 reference logits (ref_forward.py, stored as
float32) of the fixture prompt for the weights gguf-py dequantises back out of that file.

What it writes (convert_hf_to_gguf.py: TextModel / MiniCPMModel metadata, as make_gguf_fixtures.py;
the experts as Mixtral-style converters stack them, since MiniCPMModel itself has no expert code):
  * metadata as make_gguf_fixtures.py for "minicpm", plus minicpm.expert_count = num_experts and
    minicpm.expert_used_count = num_experts_per_tok (TextModel.set_gguf_parameters);
  * mlp.gate.weight -> blk.N.ffn_gate_inp.weight, kept F32 (the converter's always-F32 list);
  * mlp.experts.E.{w1,w3,w2}.weight -> numpy.stack over E -> blk.N.ffn_{gate,up,down}_exps.weight
    (row-major [E, out, in], ggml dimensions [in, out, E]), F16 like every other matrix;
  * q/k rows permuted for llama.cpp's RoPE; norm gains F32.

    python3 make_moe_gguf_fixture.py        # numpy and gguf-py; ref_forward.py as for make_gguf_fixtures.py
"""
import argparse
import os
import sys

import numpy as np
import gguf
from gguf.constants import GGMLQuantizationType as Q
from gguf.quants import dequantize, quantize

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_REFERENCE = os.path.normpath(os.path.join(HERE, "../../../../../shared/reference"))

sys.path.insert(0, os.path.join(HERE, "../../../../Benchmarks/llama_cpp"))
from logits_gguf import write_safetensors  # noqa: E402

SOURCE = "moe-e8-k2-untied"


def permute(w, n_head, n_head_kv):
    """LlamaModel.permute (as make_gguf_fixtures.py): rotate-half rows -> adjacent-pair rows."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def unpermute(w, n_head):
    return w.reshape(n_head, w.shape[0] // n_head // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)
IDS = [9, 188, 47, 230, 101, 66, 142, 17, 253, 84, 129, 31, 176, 58]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reference", default=os.environ.get("MINICPM_REFERENCE", DEFAULT_REFERENCE))
    a = ap.parse_args()
    sys.path.insert(0, a.reference)
    import ref_forward as ref

    cfg, weights = ref.load_model(os.path.join(HERE, "..", SOURCE))
    n_layers, n_head, n_kv = cfg["num_hidden_layers"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    experts = cfg["num_experts"]
    w = gguf.GGUFWriter(os.path.join(HERE, "minicpm-moe-f16.gguf"), "minicpm")
    w.add_block_count(n_layers)
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_rope_freq_base(cfg["rope_theta"])
    w.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    w.add_expert_count(experts)
    w.add_expert_used_count(cfg["num_experts_per_tok"])
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    w.add_embedding_scale(float(cfg["scale_emb"]))
    w.add_residual_scale(cfg["scale_depth"] / n_layers ** 0.5)
    w.add_logit_scale(cfg["hidden_size"] / cfg["dim_model_base"])
    w.add_bos_token_id(cfg["bos_token_id"])
    w.add_eos_token_id(cfg["eos_token_id"])

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.MINICPM, n_layers)
    tensors = []   # (gguf name, float32 data, HF names it holds)
    for name in sorted(weights):
        if ".mlp.experts." in name:
            continue
        data = weights[name].astype(np.float32)
        if name.endswith("q_proj.weight"):
            data = permute(data, n_head, n_head)
        if name.endswith("k_proj.weight"):
            data = permute(data, n_head, n_kv)
        new_name = names.get_name(name, try_suffixes=(".weight",))
        assert new_name is not None, name
        tensors.append((new_name, data, [name]))
    for layer in range(n_layers):
        for hf, stack in (("w1", "ffn_gate_exps"), ("w3", "ffn_up_exps"), ("w2", "ffn_down_exps")):
            hf_names = [f"model.layers.{layer}.mlp.experts.{e}.{hf}.weight" for e in range(experts)]
            tensors.append((f"blk.{layer}.{stack}.weight", np.stack([weights[n].astype(np.float32) for n in hf_names]), hf_names))

    loaded = {}
    for new_name, data, hf_names in tensors:
        keep_f32 = data.ndim <= 1 or new_name.endswith("_norm.weight") or new_name.endswith("ffn_gate_inp.weight")
        qtype = Q.F32 if keep_f32 else Q.F16
        stored = quantize(data, qtype)
        w.add_tensor(new_name, stored, raw_dtype=qtype)
        back = dequantize(stored, qtype).astype(np.float64).reshape(data.shape)
        if len(hf_names) > 1:
            for e, n in enumerate(hf_names):
                loaded[n] = back[e]
            continue
        if hf_names[0].endswith("q_proj.weight"):
            back = unpermute(back, n_head)
        if hf_names[0].endswith("k_proj.weight"):
            back = unpermute(back, n_kv)
        loaded[hf_names[0]] = back
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    logits = ref.forward(cfg, loaded, IDS)
    write_safetensors(os.path.join(HERE, "minicpm-moe-f16.expected.safetensors"),
                      {"logits": ("F32", np.asarray(logits, dtype=np.float32)), "input_ids": ("I32", np.array(IDS, dtype=np.int32))},
                      "minicpm_ref/ref_forward.py (numpy float64, stored as float32) on the weights of minicpm-moe-f16.gguf")
    original = ref.forward(cfg, {k: v.astype(np.float64) for k, v in weights.items()}, IDS)
    print("F16 file against the unrounded reference: max |dlogit|", float(np.abs(np.asarray(logits) - np.asarray(original)).max()))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch eager baseline of TrainingBenchmarks: one MiniCPM training step (forward, backward,
AdamW), float32 on the CPU, the same model and step as the Swift side.

The model is the one MiniCPMModel builds from `MiniCPMConfiguration.windTunnel(...)` and trains
with `AdamW(groups: .miniCPM(...))` (arXiv 2404.06395, muP):
  * h = embed(ids) * scale_emb (12); pre-norm blocks whose residual increments are multiplied by
    scale_depth / sqrt(L) (1.4 / sqrt(L)); RMSNorm (eps 1e-5, gain); RoPE (rotate-half, theta 1e4);
    causal multi-head attention (heads of 64); SwiGLU MLP; no biases; final RMSNorm;
  * logits = (h / width_multiplier) @ E^T with the embedding table E tied as the LM head,
    width_multiplier = hidden / 256; mean cross-entropy over all B*T positions;
  * init: linear weights N(0, (0.1 / sqrt(width_multiplier))^2), the embedding N(0, 0.1^2), gains 1;
  * AdamW (betas 0.9/0.95, eps 1e-8) with three groups: matrices lr / width_multiplier and weight
    decay 0.1; the embedding lr and weight decay 0.1; norm gains lr and no decay.

Prints progress on stderr and one JSON object on stdout: seconds per timed step (and their
forward / backward / optimizer parts), tokens/s of the median step, and the peak resident memory of
a steady-state step (VmHWM after resetting it through /proc/self/clear_refs once warm-up is done,
so it covers the weights, gradients, optimizer state and activations of one step).
"""
import argparse
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = {
    # name: (vocab, hidden, ffn, heads, layers); the Swift side's --shape names the same rows.
    "36M": (32000, 512, 1280, 8, 12),   # the paper's wind-tunnel "30M"/0.036B row, vocabulary 32,000
    "9M": (32000, 320, 800, 5, 8),
    "tiny": (1000, 128, 320, 2, 2),     # smoke runs
}


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return F.rms_norm(x, (x.shape[-1],), self.weight, self.eps)


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


class Block(nn.Module):
    def __init__(self, hidden, ffn, heads, layers, eps):
        super().__init__()
        self.heads, self.head_dim = heads, hidden // heads
        self.input_layernorm = RMSNorm(hidden, eps)
        self.q_proj = nn.Linear(hidden, hidden, bias=False)
        self.k_proj = nn.Linear(hidden, hidden, bias=False)
        self.v_proj = nn.Linear(hidden, hidden, bias=False)
        self.o_proj = nn.Linear(hidden, hidden, bias=False)
        self.post_attention_layernorm = RMSNorm(hidden, eps)
        self.gate_proj = nn.Linear(hidden, ffn, bias=False)
        self.up_proj = nn.Linear(hidden, ffn, bias=False)
        self.down_proj = nn.Linear(ffn, hidden, bias=False)
        self.residual_scale = 1.4 / math.sqrt(layers)

    def forward(self, h, cos, sin):
        b, t, d = h.shape
        x = self.input_layernorm(h)
        q = self.q_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        h = h + self.o_proj(a.transpose(1, 2).reshape(b, t, d)) * self.residual_scale
        y = self.post_attention_layernorm(h)
        return h + self.down_proj(F.silu(self.gate_proj(y)) * self.up_proj(y)) * self.residual_scale


class MiniCPM(nn.Module):
    def __init__(self, vocab, hidden, ffn, heads, layers):
        super().__init__()
        self.width_multiplier = hidden / 256
        self.embed_tokens = nn.Embedding(vocab, hidden)
        self.layers = nn.ModuleList([Block(hidden, ffn, heads, layers, 1e-5) for _ in range(layers)])
        self.norm = RMSNorm(hidden, 1e-5)
        head_dim = hidden // heads
        inv = 1.0 / (10000.0 ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim))
        self.inverse_frequencies = inv
        with torch.no_grad():
            linear_std = 0.1 / math.sqrt(self.width_multiplier)
            self.embed_tokens.weight.normal_(0.0, 0.1)
            for name, p in self.named_parameters():
                if p.dim() == 2 and name != "embed_tokens.weight":
                    p.normal_(0.0, linear_std)

    def rope(self, t):
        angles = torch.outer(torch.arange(t, dtype=torch.float64), self.inverse_frequencies)
        angles = torch.cat((angles, angles), dim=-1)
        return angles.cos().float(), angles.sin().float()

    def loss(self, ids, targets):
        cos, sin = self.rope(ids.shape[1])
        h = self.embed_tokens(ids) * 12.0
        for layer in self.layers:
            h = layer(h, cos, sin)
        h = self.norm(h)
        logits = F.linear(h / self.width_multiplier, self.embed_tokens.weight)
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def optimizer_for(model, lr=0.01, weight_decay=0.1):
    matrices = [p for n, p in model.named_parameters() if p.dim() == 2 and n != "embed_tokens.weight"]
    norms = [p for p in model.parameters() if p.dim() == 1]
    groups = [
        {"params": matrices, "lr": lr / model.width_multiplier, "weight_decay": weight_decay},
        {"params": [model.embed_tokens.weight], "lr": lr, "weight_decay": weight_decay},
        {"params": norms, "lr": lr, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, betas=(0.9, 0.95), eps=1e-8)


def peak_resident_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def reset_peak():
    """Makes VmHWM restart from the current resident size; False where the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", default="36M", choices=list(SHAPES))
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--steps", type=int, default=2)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    vocab, hidden, ffn, heads, layers = SHAPES[args.shape]
    model = MiniCPM(vocab, hidden, ffn, heads, layers)
    optimizer = optimizer_for(model)
    ids = torch.randint(0, vocab, (args.batch, args.seq + 1))
    inputs, targets = ids[:, :-1].contiguous(), ids[:, 1:].contiguous()

    def step():
        before = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        loss = model.loss(inputs, targets)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        t3 = time.perf_counter()
        after = resource.getrusage(resource.RUSAGE_SELF)
        # Kernel time and page faults: what allocating (and first touching) memory costs.
        kernel = {"systemSeconds": after.ru_stime - before.ru_stime,
                  "minorFaults": after.ru_minflt - before.ru_minflt,
                  "cpuSeconds": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime}
        return loss.item(), (t1 - t0, t2 - t1, t3 - t2), kernel

    for i in range(args.warmup):
        loss, parts, _ = step()
        print(f"pytorch warm-up step {i}: {sum(parts):.2f} s, loss {loss:.4f}", file=sys.stderr, flush=True)
    reset_ok = reset_peak()
    steps = []
    for i in range(args.steps):
        loss, parts, kernel = step()
        steps.append({"seconds": sum(parts), "forward": parts[0], "backward": parts[1], "optimizer": parts[2],
                      "loss": loss, **kernel})
        print(f"pytorch step {i}: {sum(parts):.2f} s (forward {parts[0]:.2f}, backward {parts[1]:.2f}, "
              f"AdamW {parts[2]:.2f}; kernel {kernel['systemSeconds']:.2f} s, {kernel['minorFaults']} page faults; "
              f"CPU {kernel['cpuSeconds']:.2f} s), loss {loss:.4f}", file=sys.stderr, flush=True)
    seconds = sorted(s["seconds"] for s in steps)
    median = seconds[len(seconds) // 2] if len(seconds) % 2 else (seconds[len(seconds) // 2 - 1] + seconds[len(seconds) // 2]) / 2
    print(json.dumps({
        "implementation": "pytorch",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "shape": args.shape, "batch": args.batch, "seq": args.seq,
        "parameters": sum(p.numel() for p in model.parameters()),
        "steps": steps,
        "medianStepSeconds": median,
        "tokensPerSecond": args.batch * args.seq / median,
        "peakStepResidentBytes": peak_resident_bytes() if reset_ok else None,
        "peakProcessResidentBytes": peak_resident_bytes() if not reset_ok else None,
    }))


if __name__ == "__main__":
    main()

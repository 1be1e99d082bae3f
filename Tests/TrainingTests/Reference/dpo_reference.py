#!/usr/bin/env python3
"""Independent float64 reference for the DPO loss of Training's DPOObjective.

Writes ../Fixtures/dpo_reference.json: fixed policy logits for P preference pairs (chosen
sequences first, then rejected ones, as DPOObjective lays out its batch), next-token targets with
-100 where a position is not part of the reply, the reference model's summed reply log-probs, beta,
and the expected per-pair losses, their sum, the reward metrics and the gradient of the summed loss
with respect to the policy logits.

Written from the paper (Rafailov et al. 2023, eq. 7), not from the Swift code:
    log pi(y|x) = sum over reply tokens of log softmax(logits_t)[y_t]
    z = beta * ((log pi(y_w|x) - log pi_ref(y_w|x)) - (log pi(y_l|x) - log pi_ref(y_l|x)))
    loss = -log sigmoid(z)
and its gradient by hand: dloss/dz = -sigmoid(-z); d log pi / d logits_t = onehot(y_t) - softmax(logits_t).
Run: python3 dpo_reference.py   (numpy only; deterministic).
"""
import json
import os

import numpy as np

IGNORED = -100


def log_softmax(x):
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def main():
    rng = np.random.default_rng(20230529)
    pairs, length, vocab, beta = 3, 6, 7, 0.1
    sequences = 2 * pairs
    # Float32-representable inputs, so the Swift side reads exactly these values.
    logits = rng.normal(0.0, 2.0, size=(sequences, length, vocab)).astype(np.float32).astype(np.float64)
    targets = np.full((sequences, length), IGNORED, dtype=np.int64)
    for s in range(sequences):
        prompt = int(rng.integers(1, 4))           # positions before the reply are not scored
        reply = int(rng.integers(1, length - prompt + 1))
        targets[s, prompt:prompt + reply] = rng.integers(0, vocab, size=reply)
    ref_chosen = rng.normal(-12.0, 3.0, size=pairs).astype(np.float32).astype(np.float64)
    ref_rejected = rng.normal(-12.0, 3.0, size=pairs).astype(np.float32).astype(np.float64)

    logp = log_softmax(logits)
    mask = targets != IGNORED
    picked = np.where(mask, np.take_along_axis(logp, np.where(mask, targets, 0)[..., None], axis=-1)[..., 0], 0.0)
    seq_logp = picked.sum(axis=1)
    chosen, rejected = seq_logp[:pairs], seq_logp[pairs:]
    chosen_reward = beta * (chosen - ref_chosen)
    rejected_reward = beta * (rejected - ref_rejected)
    z = chosen_reward - rejected_reward
    pair_losses = -np.log(1.0 / (1.0 + np.exp(-z)))

    dz = -1.0 / (1.0 + np.exp(z))                  # d(-log sigmoid z)/dz = -sigmoid(-z)
    dseq = np.concatenate([beta * dz, -beta * dz])  # d loss / d log pi of each sequence
    onehot = np.zeros_like(logits)
    for s in range(sequences):
        for t in range(length):
            if mask[s, t]:
                onehot[s, t, targets[s, t]] = 1.0
    softmax = np.exp(logp)
    gradient = dseq[:, None, None] * mask[..., None] * (onehot - softmax)

    fixture = {
        "beta": beta,
        "pairCount": pairs,
        "length": length,
        "vocabularySize": vocab,
        "policyLogits": logits.ravel().tolist(),
        "targets": targets.tolist(),
        "referenceChosen": ref_chosen.tolist(),
        "referenceRejected": ref_rejected.tolist(),
        "sequenceLogProbabilities": seq_logp.tolist(),
        "pairLosses": pair_losses.tolist(),
        "lossSum": float(pair_losses.sum()),
        "gradient": gradient.ravel().tolist(),
        "metrics": {
            "reward_accuracy": float((chosen_reward > rejected_reward).sum()),
            "reward_margin": float(z.sum()),
            "chosen_reward": float(chosen_reward.sum()),
            "rejected_reward": float(rejected_reward.sum()),
        },
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "dpo_reference.json")
    with open(path, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {os.path.normpath(path)}: loss sum {fixture['lossSum']:.6f}, margins {z}")


if __name__ == "__main__":
    main()

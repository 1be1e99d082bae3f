#!/usr/bin/env python3
"""Decode and prefill tokens/s of the suite (`minicpm generate`, weights kept in their GGUF blocks)
against llama.cpp (through llama-cpp-python) on the same GGUF files, in the same run, alternating
(A B B A per round), on a quiet machine and with another process spinning on a core.

    make bench-quant            # or:
    .data/llama-venv/bin/python Benchmarks/llama_cpp/decode_speed.py \
        --minicpm .build-native/release/minicpm MODEL.gguf [MODEL2.gguf ...] \
        --threads 1,2 --conditions quiet,busy --prompt-tokens 128 --decode-tokens 64 --rounds 2 --json out.json

What is timed, on both sides, as llama-bench does: prefill = one pass over a prompt of
--prompt-tokens fixed token ids (pp128); decode = --decode-tokens steps of one token each after
that prompt (tg64), greedy. The suite's figures are the ones `minicpm generate` prints (it times
the same two phases); llama.cpp's are wall-clock around `Llama.eval` (prefill, one batch) and one
`Llama.eval` per decoded token (sampling excluded on both sides: the suite's sampler is a greedy
argmax, llama.cpp's is skipped). `busy` starts `sh -c 'while :; do :; done'` for the duration of
each measurement: a second process taking one core, as on a laptop doing something else.
Prints a Markdown table and, with --json, writes every sample.
"""
import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import time


def prompt_ids(count, vocabulary, salt=7):
    """Fixed, spread-out token ids (no special tokens: ids 100... upward)."""
    return [100 + (i * 7919 + salt) % (vocabulary - 200) for i in range(count)]


@contextlib.contextmanager
def condition(name):
    spinner = None
    if name == "busy":
        spinner = subprocess.Popen(["sh", "-c", "while :; do :; done"])
        time.sleep(0.2)
    try:
        yield
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()


def run_suite(minicpm, model, ids, decode_tokens, threads):
    command = [minicpm, "generate", "--model", model, "--prompt-ids", ",".join(map(str, ids)),
               "--max-tokens", str(decode_tokens), "--greedy", "--threads", str(threads)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    match = re.search(r"prefill ([0-9.]+) tokens/s; generated (\d+) tokens, decode ([0-9.]+) tokens/s", output)
    if not match:
        raise RuntimeError(f"no timing line in the output of {' '.join(command)}:\n{output}")
    if int(match.group(2)) < decode_tokens:
        print(f"  note: the suite stopped after {match.group(2)} tokens", file=sys.stderr)
    return float(match.group(1)), float(match.group(3))


class LlamaRunner:
    def __init__(self, model, threads, context):
        from llama_cpp import Llama
        self.llm = Llama(model_path=model, n_threads=threads, n_threads_batch=threads, n_ctx=context,
                         n_batch=512, seed=0, verbose=False)

    def run(self, ids, decode_tokens):
        llm = self.llm
        llm.reset()
        start = time.perf_counter()
        llm.eval(ids)
        prefill = len(ids) / (time.perf_counter() - start)
        token = ids[-1]
        start = time.perf_counter()
        for _ in range(decode_tokens):
            llm.eval([token])
            token = (token * 31 + 17) % (llm.n_vocab() - 200) + 100
        decode = decode_tokens / (time.perf_counter() - start)
        return prefill, decode


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+")
    parser.add_argument("--minicpm", default=".build-native/release/minicpm")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--conditions", default="quiet,busy")
    parser.add_argument("--prompt-tokens", type=int, default=128)
    parser.add_argument("--decode-tokens", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json")
    args = parser.parse_args()

    import llama_cpp
    samples = []
    for model in args.models:
        for threads in [int(t) for t in args.threads.split(",")]:
            llama = LlamaRunner(model, threads, args.prompt_tokens + args.decode_tokens + 8)
            ids = prompt_ids(args.prompt_tokens, llama.llm.n_vocab())
            llama.run(ids[:8], 4)   # warm-up
            for cond in args.conditions.split(","):
                for round_index in range(args.rounds):
                    order = ["suite", "llama.cpp"] if round_index % 2 == 0 else ["llama.cpp", "suite"]
                    for who in order + order[::-1]:
                        with condition(cond):
                            if who == "suite":
                                prefill, decode = run_suite(args.minicpm, model, ids, args.decode_tokens, threads)
                            else:
                                prefill, decode = llama.run(ids, args.decode_tokens)
                        sample = dict(model=os.path.basename(model), threads=threads, condition=cond,
                                      who=who, round=round_index, prefill=prefill, decode=decode)
                        samples.append(sample)
                        print(f"  {sample['model']} {threads}t {cond:5} {who:9} prefill {prefill:7.1f}  decode {decode:6.1f}",
                              file=sys.stderr)
            del llama

    def rates(model, threads, cond, who, phase):
        return [s[phase] for s in samples
                if (s["model"], s["threads"], s["condition"], s["who"]) == (model, threads, cond, who)]

    print(f"\nllama-cpp-python {llama_cpp.__version__}; pp{args.prompt_tokens}, tg{args.decode_tokens}; "
          f"{args.rounds} rounds of A B B A; tokens/s median (min–max)\n")
    print("| model | phase | threads | machine | minicpm-swift | llama.cpp | ratio |")
    print("|---|---|---:|---|---:|---:|---:|")
    keys = sorted({(s["model"], s["threads"], s["condition"]) for s in samples},
                  key=lambda k: (k[0], k[1], args.conditions.split(",").index(k[2])))
    summary = []
    for phase in ["decode", "prefill"]:
        for model, threads, cond in keys:
            ours, theirs = rates(model, threads, cond, "suite", phase), rates(model, threads, cond, "llama.cpp", phase)
            ratio = statistics.median(ours) / statistics.median(theirs)
            summary.append(dict(model=model, phase=phase, threads=threads, condition=cond,
                                suite=statistics.median(ours), llama_cpp=statistics.median(theirs), ratio=ratio))
            print(f"| {model} | {phase} | {threads} | {cond} | {statistics.median(ours):.1f} ({min(ours):.1f}–{max(ours):.1f}) "
                  f"| {statistics.median(theirs):.1f} ({min(theirs):.1f}–{max(theirs):.1f}) | {ratio:.2f}× |")
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump(dict(llama_cpp_python=llama_cpp.__version__, prompt_tokens=args.prompt_tokens,
                           decode_tokens=args.decode_tokens, samples=samples, summary=summary), f, indent=1)
        os.replace(args.json + ".tmp", args.json)


if __name__ == "__main__":
    main()

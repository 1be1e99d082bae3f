#!/usr/bin/env python3
"""Runs GGUF files in llama.cpp (through llama-cpp-python) and prints each one's greedy continuation
of a prompt as JSON, so that a file the Swift suite wrote (MiniCPM.saveGGUF) can be checked to load
and run in llama.cpp, and its text compared with the suite's own greedy continuation.

    /work/main/.data/llama-venv/bin/python Benchmarks/llama_cpp/run_gguf.py model-q4_0.gguf model-q8_0.gguf \
        --prompt "The capital of France is" --tokens 16

Greedy: temperature 0 (llama.cpp then takes the most likely token), no repetition penalty, one
thread (deterministic and comparable with the suite's one-thread decode). The prompt is tokenised
as the file's tokenizer says (BOS only where `tokenizer.ggml.add_bos_token` asks for it).
"""
import argparse
import json
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help="GGUF files")
    parser.add_argument("--prompt", default="The capital of France is")
    parser.add_argument("--tokens", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    from llama_cpp import Llama

    results = []
    for path in args.models:
        llm = Llama(model_path=path, n_threads=args.threads, n_ctx=512, seed=0, verbose=False)
        add_bos = llm.metadata.get("tokenizer.ggml.add_bos_token", "false") == "true"
        prompt_tokens = llm.tokenize(args.prompt.encode("utf-8"), add_bos=add_bos, special=False)
        generated = []
        for token in llm.generate(prompt_tokens, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0):
            if token == llm.token_eos() or len(generated) == args.tokens:
                break
            generated.append(token)
        text = llm.detokenize(generated).decode("utf-8", errors="replace")
        results.append({
            "file": path,
            "architecture": llm.metadata.get("general.architecture"),
            "file_type": llm.metadata.get("general.file_type"),
            "prompt_tokens": prompt_tokens,
            "tokens": generated,
            "text": text,
        })
        del llm
    json.dump(results, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

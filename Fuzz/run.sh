#!/usr/bin/env bash
# Runs each libFuzzer target of Fuzz/ in turn for FUZZ_SECONDS (one process each, one after the
# other), growing a git-ignored working corpus from the committed seeds and writing crashers,
# logs and a summary under FUZZ_OUT. Called by `make fuzz`; see Docs/Reliability.md.
#   FUZZ_SECONDS  seconds per target (default 600)
#   FUZZ_TARGETS  which targets (default: all five)
#   FUZZ_FLAGS    extra libFuzzer options, e.g. -seed=1, or -fork=1 -ignore_crashes=1 to go on past
#                 a crash (one child process at a time; every crasher is kept)
#   FUZZ_BIN      folder of the built fuzzers; FUZZ_OUT  where corpora, crashers and logs go
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
FUZZ_SECONDS="${FUZZ_SECONDS:-600}"
FUZZ_TARGETS="${FUZZ_TARGETS:-safetensors gguf config sentencepiece gguf-tokenizer}"
FUZZ_FLAGS="${FUZZ_FLAGS:-}"
FUZZ_BIN="${FUZZ_BIN:?set FUZZ_BIN to the folder of the built fuzzers}"
FUZZ_OUT="${FUZZ_OUT:?set FUZZ_OUT}"

mkdir -p "$FUZZ_OUT/crashes" "$FUZZ_OUT/logs"
status=0
for target in $FUZZ_TARGETS; do
    case "$target" in
        safetensors)    exe=FuzzSafetensors;    dict=safetensors.dict ;;
        gguf)           exe=FuzzGGUF;           dict=gguf.dict ;;
        config)         exe=FuzzConfig;         dict=config.dict ;;
        sentencepiece)  exe=FuzzSentencePiece;  dict= ;;
        gguf-tokenizer) exe=FuzzGGUFTokenizer;  dict=gguf.dict ;;
        *) echo "unknown fuzz target $target" >&2; exit 2 ;;
    esac
    corpus="$FUZZ_OUT/corpus/$target"
    log="$FUZZ_OUT/logs/$target.log"
    mkdir -p "$corpus"
    echo "== $target: $FUZZ_SECONDS s (log $log)"
    # New inputs go to the working corpus (the first folder); the committed seeds are only read.
    # shellcheck disable=SC2086
    "$FUZZ_BIN/$exe" "$corpus" "$HERE/Corpus/$target" ${dict:+-dict="$HERE/Dictionaries/$dict"} \
        -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="$FUZZ_OUT/crashes/$target-" $FUZZ_FLAGS >"$log" 2>&1
    rc=$?
    grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log"
    grep -E '^#[0-9]+: cov:' "$log" | tail -1   # the last status line of -fork mode
    echo "   corpus: $(find "$corpus" -type f | wc -l) files, exit status $rc"
    if [ "$rc" -ne 0 ]; then
        status=1
        grep -E 'ERROR|SUMMARY|Test unit written|Fatal error|^.*#[0-9]+ 0x' "$log" | head -20
    fi
done
exit "$status"

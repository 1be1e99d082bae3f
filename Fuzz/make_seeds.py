#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into Fuzz/Corpus/ (committed; rerun to regenerate).

Seeds are small on purpose (libFuzzer mutates each input many thousand times a second): the test
fixtures that are small enough, plus minimal valid inputs written here for what the fixtures lack
(integer and metadata safetensors, tiny SentencePiece models, GGUF files carrying a `llama` or a
`gpt2` vocabulary). Needs Python 3 and, for the tokenizer.model seeds, the `sentencepiece` package.
"""
import json
import os
import shutil
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "Corpus")


def out(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def copy(target, name, source):
    with open(os.path.join(ROOT, source), "rb") as f:
        out(target, name, f.read())


# --- safetensors ---------------------------------------------------------------------------------

def safetensors(tensors, metadata=None):
    header, data = {}, b""
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


out("safetensors", "floats", safetensors({
    "a": ("F32", [2, 2], struct.pack("<4f", 1, -2, 0.5, 3)),
    "b": ("F16", [3], struct.pack("<3e", 1, -0.25, 65504)),
    "c": ("BF16", [2], bytes([0x80, 0x3F, 0xC0, 0xBF])),
}, {"format": "pt"}))
out("safetensors", "integers", safetensors({
    "ids": ("I32", [3], struct.pack("<3i", 1, -1, 7)),
    "big": ("I64", [2], struct.pack("<2q", 1 << 40, -5)),
    "mask": ("U8", [4], bytes([0, 1, 2, 255])),
    "scalar": ("F32", [], struct.pack("<f", 2.5)),
    "empty": ("F32", [0, 3], b""),
}))
out("safetensors", "empty", safetensors({}))
out("safetensors", "other-dtypes", safetensors({
    "d": ("F64", [1], struct.pack("<d", 1.5)),
    "b": ("BOOL", [2], bytes([0, 1])),
    "e": ("F8_E4M3", [2], bytes([0x38, 0xB8])),
}, {}))
for fixture in ["Tests/MiniCPMModelTests/Fixtures/bfloat16-weights/expected.safetensors",
                "Tests/MiniCPMModelTests/Fixtures/float16-weights/expected.safetensors"]:
    copy("safetensors", fixture.split("/")[-2] + "-expected", fixture)

# --- GGUF ----------------------------------------------------------------------------------------

UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)


def gguf_string(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


SCALAR = {UINT8: "<B", INT8: "<b", UINT16: "<H", INT16: "<h", UINT32: "<I", INT32: "<i",
          FLOAT32: "<f", BOOL: "<?", UINT64: "<Q", INT64: "<q", FLOAT64: "<d"}


def gguf_value(kind, value):
    if kind == STRING:
        return gguf_string(value)
    if kind == ARRAY:
        element, items = value
        return struct.pack("<IQ", element, len(items)) + b"".join(gguf_value(element, v) for v in items)
    return struct.pack(SCALAR[kind], value)


def gguf(metadata, tensors=(), alignment=32):
    """metadata: [(key, kind, value)]; tensors: [(name, dims, ggml type, raw bytes)]."""
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    for key, kind, value in metadata:
        head += gguf_string(key) + struct.pack("<I", kind) + gguf_value(kind, value)
    offset, data = 0, b""
    for name, dims, kind, raw in tensors:
        head += gguf_string(name) + struct.pack("<I", len(dims)) + struct.pack(f"<{len(dims)}Q", *dims)
        head += struct.pack("<IQ", kind, len(data))
        data += raw + b"\0" * (-len(raw) % alignment)
    head += b"\0" * (-len(head) % alignment)
    return head + data


copy("gguf", "reference", "Tests/TensorCoreTests/Fixtures/gguf-reference/reference.gguf")
out("gguf", "small", gguf([
    ("general.architecture", STRING, "llama"),
    ("llama.block_count", UINT32, 1),
    ("general.alignment", UINT32, 32),
    ("f", FLOAT64, 0.5), ("b", BOOL, True), ("i", INT64, -3),
    ("nested", ARRAY, (ARRAY, [(INT16, [1, 2]), (STRING, ["x"])])),
], [
    ("f32", [4], 0, struct.pack("<4f", 1, 2, 3, 4)),
    ("f16", [2, 2], 1, struct.pack("<4e", 1, 2, 3, 4)),
    ("q8_0", [32], 8, struct.pack("<e", 0.5) + bytes(range(32))),
    ("q4_0", [32], 2, struct.pack("<e", 0.5) + bytes(range(16))),
]))
out("gguf", "empty", gguf([]))

# --- GGUF vocabularies ---------------------------------------------------------------------------

pieces = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + \
    ["▁", "▁H", "ello", "▁Hello", "▁w", "orld", "▁world", "1", "2", "3", ","]
types = [2, 3, 3] + [6] * 256 + [1] * (len(pieces) - 259)
out("gguf-tokenizer", "llama", gguf([
    ("general.architecture", STRING, "llama"),
    ("tokenizer.ggml.model", STRING, "llama"),
    ("tokenizer.ggml.tokens", ARRAY, (STRING, pieces)),
    ("tokenizer.ggml.scores", ARRAY, (FLOAT32, [0.0] * 259 + [-float(i) for i in range(len(pieces) - 259)])),
    ("tokenizer.ggml.token_type", ARRAY, (INT32, types)),
    ("tokenizer.ggml.bos_token_id", UINT32, 1),
    ("tokenizer.ggml.eos_token_id", UINT32, 2),
    ("tokenizer.ggml.unknown_token_id", UINT32, 0),
    ("tokenizer.ggml.add_space_prefix", BOOL, True),
]))
# Byte-level BPE: the 256 byte symbols of GPT-2's alphabet, a few merges, special tokens.
alphabet = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
codes, extra = alphabet[:], 0
for b in range(256):
    if b not in alphabet:
        alphabet.append(b)
        codes.append(256 + extra)
        extra += 1
byte_tokens = [chr(c) for c in codes]
merges = ["H e", "l l", "He ll", "Hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d"]
bpe_tokens = byte_tokens + ["He", "ll", "Hell", "Hello", "Ġw", "or", "Ġwor", "Ġworl", "Ġworld", "<|endoftext|>"]
bpe_types = [1] * (len(bpe_tokens) - 1) + [3]
for pre in ["smollm", "llama-bpe", "gpt2"]:
    out("gguf-tokenizer", f"gpt2-{pre}", gguf([
        ("tokenizer.ggml.model", STRING, "gpt2"),
        ("tokenizer.ggml.pre", STRING, pre),
        ("tokenizer.ggml.tokens", ARRAY, (STRING, bpe_tokens)),
        ("tokenizer.ggml.token_type", ARRAY, (INT32, bpe_types)),
        ("tokenizer.ggml.merges", ARRAY, (STRING, merges)),
        ("tokenizer.ggml.bos_token_id", UINT32, len(bpe_tokens) - 1),
        ("tokenizer.ggml.eos_token_id", UINT32, len(bpe_tokens) - 1),
        ("tokenizer.ggml.add_bos_token", BOOL, False),
    ]))

# --- config.json ---------------------------------------------------------------------------------

for name in ["tiny-minicpm", "llama-scales", "rope-dynamic", "rope-linear", "rope-longrope", "untied-head"]:
    copy("config", name, f"Tests/MiniCPMModelTests/Fixtures/{name}/config.json")
out("config", "minimal", b'{"vocab_size":8,"hidden_size":4,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2}')

# --- tokenizer.model -----------------------------------------------------------------------------

try:
    import sentencepiece as spm
except ImportError:
    sys.exit("sentencepiece is not installed: the tokenizer.model seeds were not written")
with tempfile.TemporaryDirectory() as scratch:
    # The ASCII lines of the tokenizer tests' corpus, so that a few dozen pieces cover every character.
    text = os.path.join(scratch, "corpus.txt")
    with open(os.path.join(ROOT, "Tests/TokenizerTests/Fixtures/corpus.txt"), encoding="utf-8") as f:
        lines = [line for line in f if line.isascii()]
    with open(text, "w", encoding="utf-8") as f:
        f.writelines(lines)
    for kind, size in [("unigram", 400), ("bpe", 120), ("char", 0), ("word", 120)]:
        prefix = os.path.join(scratch, kind)
        options = dict(input=text, model_prefix=prefix, model_type=kind, byte_fallback=kind == "unigram", character_coverage=1.0,
                       minloglevel=2, user_defined_symbols=["<sep>"] if kind == "bpe" else [],
                       # Only the unigram seed keeps nmt_nfkc's 237 KB precompiled charsmap.
                       normalization_rule_name="nmt_nfkc" if kind == "unigram" else "identity")
        if size:
            options["vocab_size"] = size
        if kind != "char":
            options["hard_vocab_limit"] = False
        spm.SentencePieceTrainer.train(**options)
        with open(prefix + ".model", "rb") as f:
            out("sentencepiece", kind, f.read())
print("seeds written to", CORPUS)

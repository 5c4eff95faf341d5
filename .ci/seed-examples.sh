#!/usr/bin/env bash
# Builds the user's example programs unchanged as a small Cargo project with a path
# dependency on crates/vecstore, then runs each in a fresh empty directory, and
# 1 -> 2 -> 4 in sequence in one directory (4 must then find doc1 from 1).
set -euo pipefail
SEEDS=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/proj/examples"
cat > "$WORK/proj/Cargo.toml" <<TOML
[package]
name = "seed-examples"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
vecstore = { path = "$ROOT/crates/vecstore", features = ["async"] }
tokio = { version = "1", features = ["rt-multi-thread", "macros"] }
anyhow = "1"

[workspace]
TOML
echo 'fn main() {}' > "$WORK/proj/build_only.rs"
mkdir -p "$WORK/proj/src" && echo '' > "$WORK/proj/src/lib.rs"
cp "$SEEDS"/*.rs "$WORK/proj/examples/"
cp "$ROOT/Cargo.lock" "$WORK/proj/Cargo.lock"
export CARGO_TARGET_DIR="$ROOT/target/seed-examples"
# The user's code has unused variables; their warnings are expected, errors fail the run.
(cd "$WORK/proj" && cargo build --examples --quiet 2>&1 | grep -E '^error' -A12 || true)
BIN="$CARGO_TARGET_DIR/debug/examples"
for f in "$SEEDS"/*.rs; do
  name=$(basename "$f" .rs)
  [ -x "$BIN/$name" ] || { echo "seed example $name did not build"; exit 1; }
  dir=$(mktemp -d "$WORK/run-XXXX")
  echo "--- $name (fresh directory)"
  (cd "$dir" && "$BIN/$name")
done
for flavour in sync async; do
  dir=$(mktemp -d "$WORK/seq-XXXX")
  echo "--- ${flavour}_1 -> ${flavour}_2 -> ${flavour}_4 in one directory"
  (cd "$dir" && "$BIN/${flavour}_1" && "$BIN/${flavour}_2" && "$BIN/${flavour}_4") | tee "$WORK/out.txt"
  grep -q "Query 1: 1 results" "$WORK/out.txt" || { echo "${flavour}_4 did not find doc1"; exit 1; }
done
echo "seed examples OK"

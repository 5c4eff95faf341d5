#!/usr/bin/env bash
# The README's main job: fetch the local MiniLM model (once), ingest this repository's
# docs/ into a fresh vecstore database, and answer a question with hybrid search.
# usage: scripts/demo.sh ["your question"]
set -euo pipefail
cd "$(dirname "$0")/.."
question=${1:-"how does hybrid search combine vector and keyword scores?"}
db=${VECSTORE_DEMO_DB:-$(mktemp -d)/demo-db}
bash scripts/fetch-model.sh
cargo build --release --quiet --workspace --all-features --bins
bin=target/release/vecstore
"$bin" ingest docs/ README.md --db "$db" --model models/all-MiniLM-L6-v2
"$bin" query "$question" --db "$db" --model models/all-MiniLM-L6-v2 --mode hybrid -k 5

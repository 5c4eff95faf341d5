#!/usr/bin/env bash
# Real-data checks from the benchmark harness: recall on SIFT10K (plain and filtered)
# and retrieval quality on BEIR SciFact. Thresholds are the issues' acceptance lines.
set -euo pipefail
DATA=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/target/ci-bench"
mkdir -p "$OUT"
# Same profile and features as the `cargo bench --no-run` step, so nothing rebuilds.
(cd "$ROOT" && cargo build --release --workspace --all-features --bins)
BENCH=("$ROOT/target/release/vecstore-bench")
check() { # file, python expression over j (the JSON), message
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2])
print(("PASS " if ok else "FAIL ") + sys.argv[3])
sys.exit(0 if ok else 1)
PY
}

S="$DATA/siftsmall"
"${BENCH[@]}" ann --base "$S/siftsmall_base.fvecs" --query "$S/siftsmall_query.fvecs" \
  --gt "$S/siftsmall_groundtruth.ivecs" --metric l2 --m 16 --ef-construction 200 \
  --ef 16,32,64,128 --threads 2 --selectivity 0.001,0.01,0.1,0.5 --json "$OUT/sift.json"
check "$OUT/sift.json" "max(r['recall'] for r in j['runs']) >= 0.95" "siftsmall recall@10 >= 0.95 at some ef"
check "$OUT/sift.json" "all(f['recall'] >= 0.95 for f in j['filtered'])" "siftsmall filtered recall@10 >= 0.95 at every selectivity"

B="$DATA/scifact"
"${BENCH[@]}" beir --data "$B" --mode bm25 --json "$OUT/scifact-bm25.json"
check "$OUT/scifact-bm25.json" "j['ndcg10'] >= 0.680" "scifact BM25 nDCG@10 >= 0.680"
"${BENCH[@]}" beir --data "$B" --mode hybrid --fusion rrf --embeddings "$B/embeddings" --json "$OUT/scifact-rrf.json"
check "$OUT/scifact-rrf.json" "j['ndcg10'] >= 0.715" "scifact hybrid RRF nDCG@10 >= 0.715"

#!/usr/bin/env python3
"""BM25 peer for `vecstore-bench beir --mode bm25`: bm25s (method "lucene")
with the same analysis as vecstore-sparse's default (bm25s's English stop
words, which are Lucene's list, and PyStemmer's Snowball English stemmer),
on a BEIR dataset. Prints and writes the same metrics and QPS fields.

    pip install bm25s PyStemmer numpy      # into /work/venv
    /work/venv/bin/python benches/peers/bm25_peers.py \
        --data /work/shared/data/scifact --json bm25s.json

QPS is single threaded (n_threads=1, BLAS/OpenMP pinned to one thread),
over the judged queries, one query per call as a database serves them, and
includes query tokenisation and stemming. `--batch` also reports bm25s's
batched retrieve (all queries in one call), its fastest mode.
"""

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import bm25s  # noqa: E402
import Stemmer  # noqa: E402

K = 100


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_qrels(path):
    qrels = {}
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            if not line.strip():
                continue
            q, d, r = line.rstrip("\n").split("\t")
            qrels.setdefault(q, {})[d] = int(r)
    return qrels


def ndcg(ranked, judged, k):
    dcg = sum(judged.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted((r for r in judged.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall(ranked, judged, k):
    rel = [d for d, r in judged.items() if r > 0]
    if not rel:
        return 0.0
    top = set(ranked[:k])
    return sum(d in top for d in rel) / len(rel)


def mrr(ranked, judged, k):
    for i, d in enumerate(ranked[:k]):
        if judged.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--k1", type=float, default=1.2)
    ap.add_argument("--b", type=float, default=0.75)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch", action="store_true")
    ap.add_argument("--json")
    args = ap.parse_args()

    corpus = read_jsonl(os.path.join(args.data, "corpus.jsonl"))
    queries = read_jsonl(os.path.join(args.data, "queries.jsonl"))
    qrels = read_qrels(os.path.join(args.data, "qrels", f"{args.split}.tsv"))
    queries = [q for q in queries if q["_id"] in qrels]
    doc_ids = [d["_id"] for d in corpus]
    texts = [d.get("title", "") + " " + d.get("text", "") for d in corpus]
    stemmer = Stemmer.Stemmer("english")

    start = time.perf_counter()
    tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)
    retriever = bm25s.BM25(method="lucene", k1=args.k1, b=args.b)
    retriever.index(tokens, show_progress=False)
    index_seconds = time.perf_counter() - start

    def search(text):
        q = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False)
        k = min(K, len(corpus))
        return retriever.retrieve(q, k=k, n_threads=1, show_progress=False)

    n = nd = rc = mr = 0.0
    for q in queries:
        res, _ = search(q["text"])
        ranked = [doc_ids[i] for i in res[0]]
        judged = qrels[q["_id"]]
        nd += ndcg(ranked, judged, 10)
        rc += recall(ranked, judged, 100)
        mr += mrr(ranked, judged, 10)
        n += 1

    start = time.perf_counter()
    for _ in range(max(1, args.repeat)):
        for q in queries:
            search(q["text"])
    qps = len(queries) * max(1, args.repeat) / (time.perf_counter() - start)

    report = {
        "system": "bm25s " + bm25s.__version__,
        "mode": "bm25",
        "fusion": None,
        "ndcg10": nd / n,
        "recall100": rc / n,
        "mrr10": mr / n,
        "index_seconds": index_seconds,
        "qps": qps,
        "queries": int(n),
        "k1": args.k1,
        "b": args.b,
    }
    if args.batch:
        texts_q = [q["text"] for q in queries]
        start = time.perf_counter()
        for _ in range(max(1, args.repeat)):
            qt = bm25s.tokenize(texts_q, stopwords="en", stemmer=stemmer, show_progress=False)
            retriever.retrieve(qt, k=K, n_threads=1, show_progress=False)
        report["qps_batched"] = len(queries) * max(1, args.repeat) / (time.perf_counter() - start)

    print(
        f"bm25s   -             nDCG@10 {report['ndcg10']:.4f}  recall@100 {report['recall100']:.4f}"
        f"  MRR@10 {report['mrr10']:.4f}  index {index_seconds:.3f}s  QPS {qps:.0f}"
        + (f"  (batched QPS {report['qps_batched']:.0f})" if args.batch else "")
        + f"  ({int(n)} queries)"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()

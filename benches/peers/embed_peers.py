"""sentence-transformers peer for `vecstore-bench embed-bench`: embeds the same
SciFact texts (title + " " + text) with the same batch size on the CPU with a
fixed number of torch threads.

Default mode: embeds the first --limit texts once and prints
{"docs_per_s": ...} as JSON.

--serve: loads the model and texts, prints {"ready": ...}, then for each line
"START END" read from stdin embeds texts[START:END] and prints
{"seconds": ...}, until EOF. The harness uses it to alternate chunks between
our embedder and this one, so that machine noise hits both sides alike."""
import argparse
import json
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--limit", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--serve", action="store_true")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from sentence_transformers import SentenceTransformer

    texts = []
    with open(f"{args.data}/corpus.jsonl") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                texts.append(f"{d.get('title', '')} {d.get('text', '')}")
            if len(texts) >= args.limit:
                break
    model = SentenceTransformer(args.model, device="cpu")
    model.encode(texts[: args.batch_size], batch_size=args.batch_size)  # warm-up
    info = {
        "peer": "sentence-transformers",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "max_seq_length": model.max_seq_length,
    }

    def encode(part):
        t0 = time.perf_counter()
        with torch.inference_mode():
            model.encode(part, batch_size=args.batch_size, normalize_embeddings=True)
        return time.perf_counter() - t0

    if args.serve:
        print(json.dumps({"ready": True, **info}), flush=True)
        for line in sys.stdin:
            start, end = (int(x) for x in line.split())
            print(json.dumps({"seconds": encode(texts[start:end])}), flush=True)
        return
    secs = encode(texts)
    print(json.dumps({**info, "docs": len(texts), "seconds": secs, "docs_per_s": len(texts) / secs}))


if __name__ == "__main__":
    main()

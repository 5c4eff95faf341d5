"""sentence-transformers peer for `vecstore-bench embed-bench`: embeds the same
SciFact texts (title + " " + text) with the same batch size on the CPU with a
fixed number of torch threads, and prints {"docs_per_s": ...} as JSON."""
import argparse
import json
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--limit", type=int, default=1000)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
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
    t0 = time.perf_counter()
    with torch.inference_mode():
        model.encode(texts, batch_size=args.batch_size, normalize_embeddings=True)
    secs = time.perf_counter() - t0
    print(json.dumps({
        "peer": "sentence-transformers",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "max_seq_length": model.max_seq_length,
        "docs": len(texts),
        "seconds": secs,
        "docs_per_s": len(texts) / secs,
    }))


if __name__ == "__main__":
    main()

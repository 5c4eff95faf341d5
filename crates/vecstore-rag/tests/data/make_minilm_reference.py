"""Writes minilm_reference.json: sentence-transformers' all-MiniLM-L6-v2
vectors (normalize_embeddings=True) for a few texts, for tests/minilm.rs.
usage: python make_minilm_reference.py MODEL_DIR"""
import json
import sys

from sentence_transformers import SentenceTransformer

texts = [
    "vecstore is an embedded vector database written in Rust.",
    "Hybrid search fuses BM25 keyword scores with dense similarity.",
    "Microstructural development of human newborn cerebral white matter assessed in vivo "
    "by diffusion tensor magnetic resonance imaging.",
    "Ünïcödé, emoji 🦀 and numbers 3.14 should tokenize the same way.",
    " ".join(["long"] * 400),
]
model = SentenceTransformer(sys.argv[1], device="cpu")
vectors = model.encode(texts, normalize_embeddings=True)
out = {"texts": texts, "vectors": [[round(float(x), 7) for x in v] for v in vectors]}
with open(__file__.rsplit("/", 1)[0] + "/minilm_reference.json", "w") as f:
    json.dump(out, f)

#!/usr/bin/env python3
"""ANN peers for `vecstore-bench compare`: hnswlib, faiss-cpu (IndexHNSWFlat) and usearch.

    pip install hnswlib faiss-cpu usearch numpy matplotlib

Run (same files and parameters as `vecstore-bench ann`), one JSON per system:
    python ann_peers.py run --base B.fvecs --query Q.fvecs --gt G.ivecs --metric l2 \
        --m 16 --ef-construction 200 --ef 10,16,24,32,48,64,96,128,256 \
        --threads 1 --build-threads 2 --out-dir results/ [--systems hnswlib,faiss,usearch]
Same, but with vecstore in the same process tree, alternating one repetition of each
system per ef so that all systems see the same machine load (writes vecstore.json too):
    python ann_peers.py run <same args> --interleave --vecstore target/release/vecstore-bench \
        --vecstore-args "--selectivity 0.001,0.01,0.1,0.5"
Plot (called by `vecstore-bench compare --plot`):
    python ann_peers.py plot --out curve.png a.json b.json ...

QPS is measured with one batched call over all queries on one thread (repeated
until >= 1 s of the thread's CPU time), so Python's per-call overhead does not
count against the peers; p50/p99 come from per-query calls and do include it
(a few µs). QPS = queries / thread CPU seconds (`time.thread_time()`), like
`vecstore-bench ann`, because the benchmark machine is shared; wall QPS is
reported too.
"""
import argparse
import json
import os
import sys
import time

import numpy as np


def read_vecs(path, dtype):
    raw = np.fromfile(path, dtype=np.int32)
    d = raw[0]
    return raw.reshape(-1, d + 1)[:, 1:].copy().view(dtype)


def read(path, kind):
    if path.endswith(".npy"):
        return np.load(path)
    return read_vecs(path, np.float32 if kind == "f" else np.int32)


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Hnswlib:
    name = "hnswlib"

    def __init__(self, metric, dim, a):
        import hnswlib
        space = {"l2": "l2", "dot": "ip", "cosine": "cosine"}[metric]
        self.index = hnswlib.Index(space=space, dim=dim)
        self.a = a

    def build(self, data):
        self.index.init_index(max_elements=len(data), ef_construction=self.a.ef_construction,
                              M=self.a.m, random_seed=self.a.seed)
        self.index.set_num_threads(self.a.build_threads)
        self.index.add_items(data, np.arange(len(data)))
        self.index.set_num_threads(self.a.threads)

    def set_ef(self, ef):
        self.index.set_ef(ef)

    def search(self, q, k):
        return self.index.knn_query(q, k=k, num_threads=self.a.threads)[0]


class Faiss:
    name = "faiss"

    def __init__(self, metric, dim, a):
        import faiss
        self.faiss = faiss
        self.metric = metric
        mt = faiss.METRIC_L2 if metric == "l2" else faiss.METRIC_INNER_PRODUCT
        self.index = faiss.IndexHNSWFlat(dim, a.m, mt)
        self.index.hnsw.efConstruction = a.ef_construction
        self.a = a

    def prep(self, x):
        if self.metric == "cosine":
            x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-30)
        return np.ascontiguousarray(x, dtype=np.float32)

    def build(self, data):
        self.faiss.omp_set_num_threads(self.a.build_threads)
        self.index.add(self.prep(data))
        self.faiss.omp_set_num_threads(self.a.threads)

    def set_ef(self, ef):
        self.index.hnsw.efSearch = ef

    def search(self, q, k):
        return self.index.search(self.prep(q), k)[1]


class Usearch:
    name = "usearch"

    def __init__(self, metric, dim, a):
        from usearch.index import Index
        m = {"l2": "l2sq", "dot": "ip", "cosine": "cos"}[metric]
        self.index = Index(ndim=dim, metric=m, dtype="f32", connectivity=a.m,
                           expansion_add=a.ef_construction, expansion_search=64)
        self.a = a

    def build(self, data):
        self.index.add(np.arange(len(data)), data, threads=self.a.build_threads)

    def set_ef(self, ef):
        self.index.expansion_search = ef

    def search(self, q, k):
        res = self.index.search(q, k, threads=self.a.threads)
        return np.asarray(res.keys).reshape(len(q), -1)


def recall(found, gt, k):
    hits = 0
    for f, t in zip(found, gt):
        hits += len(set(int(x) for x in f[:k]) & set(int(x) for x in t[:k]))
    return hits / (len(gt) * k)


def build(system, base, a):
    before = rss_bytes()
    t, c = time.perf_counter(), time.process_time()
    system.build(base)
    build_seconds = time.perf_counter() - t
    build_cpu = time.process_time() - c
    bpv = (rss_bytes() - before) / len(base)
    print(f"{system.name}: build {build_seconds:.3f} s wall ({build_cpu:.2f} s CPU) with {a.build_threads} threads, "
          f"~{bpv:.0f} bytes/vector (RSS delta)", flush=True)
    return {"system": system.name, "dataset": a.base, "metric": a.metric, "m": a.m,
            "ef_construction": a.ef_construction, "build_threads": a.build_threads,
            "search_threads": a.threads, "build_seconds": build_seconds, "build_cpu_seconds": build_cpu,
            "bytes_per_vector": bpv, "n": int(len(base)), "dim": int(base.shape[1]),
            "runs": [], "filtered": []}


def measure_qps(system, queries, a):
    """One repetition: the whole query set in batched calls until >= min_seconds of thread CPU time."""
    done, t, c = 0, time.perf_counter(), time.thread_time()
    while True:
        system.search(queries, a.k)
        done += len(queries)
        el = time.thread_time() - c
        if el >= a.min_seconds:
            break
    return done / el, done / (time.perf_counter() - t)


def measure_latency(system, queries, a):
    lat = []
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < min(a.min_seconds, 0.5) or not lat:
        for i in range(len(queries)):
            s = time.perf_counter()
            system.search(queries[i:i + 1], a.k)
            lat.append((time.perf_counter() - s) * 1e6)
    lat.sort()
    return lat[round((len(lat) - 1) * 0.5)], lat[round((len(lat) - 1) * 0.99)]


def bench(system, base, queries, gt, a):
    rep = build(system, base, a)
    print("| ef | recall@10 | QPS (CPU) | QPS (wall) | p50 µs | p99 µs |")
    for ef in a.ef:
        system.set_ef(ef)
        r = recall(system.search(queries, a.k), gt, a.k)
        qps, wall_qps = 0.0, 0.0
        for _ in range(max(a.repeat, 1)):  # best of `repeat`: the machine is shared
            q, w = measure_qps(system, queries, a)
            if q > qps:
                qps, wall_qps = q, w
        p50, p99 = measure_latency(system, queries, a)
        print(f"| {ef} | {r:.4f} | {qps:.0f} | {wall_qps:.0f} | {p50:.1f} | {p99:.1f} |")
        rep["runs"].append({"ef": ef, "recall": r, "qps": qps, "wall_qps": wall_qps, "p50_us": p50, "p99_us": p99})
    return rep


def vecstore_command(a):
    cmd = [a.vecstore, "ann", "--base", a.base, "--query", a.query, "--gt", a.gt, "--metric", a.metric,
           "--m", str(a.m), "--ef-construction", str(a.ef_construction), "--k", str(a.k),
           "--seed", str(a.seed), "--threads", str(a.threads), "--build-threads", str(a.build_threads),
           "--min-seconds", str(a.min_seconds), "--serve",
           "--json", os.path.join(a.out_dir, "vecstore.json")]
    return cmd + a.vecstore_args.split()


def cmd_interleave(a, base, queries, gt, classes):
    """Builds every system, then for each ef and repetition measures one
    repetition of each system in turn (vecstore through `vecstore-bench ann
    --serve`), so that all of them see the same machine load; keeps each
    system's best repetition per ef."""
    import subprocess
    ours = subprocess.Popen(vecstore_command(a), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, bufsize=1)
    for line in ours.stdout:  # build first, alone
        print(line, end="")
        if line.strip() == "ready":
            break
    else:
        sys.exit("vecstore-bench exited before it was ready")
    systems = [classes[name](a.metric, base.shape[1], a) for name in a.systems]
    reps = [build(s, base, a) for s in systems]
    for ef in a.ef:
        rec = []
        for s in systems:
            s.set_ef(ef)
            rec.append(recall(s.search(queries, a.k), gt, a.k))
        best = [(0.0, 0.0)] * len(systems)
        ours_best = None
        for i in range(max(a.repeat, 1)):
            # Rotate the order so no system always runs right after another.
            order = list(range(-1, len(systems)))
            order = order[i % len(order):] + order[:i % len(order)]
            for j in order:
                if j < 0:
                    ours.stdin.write(f"{ef}\n")
                    ours.stdin.flush()
                    r = json.loads(ours.stdout.readline())
                    if ours_best is None or r["qps"] > ours_best["qps"]:
                        ours_best = r
                else:
                    systems[j].set_ef(ef)
                    q, w = measure_qps(systems[j], queries, a)
                    if q > best[j][0]:
                        best[j] = (q, w)
        line = f"ef {ef}: vecstore {ours_best['recall']:.4f} {ours_best['qps']:.0f} QPS"
        for s, rep, r, (q, w) in zip(systems, reps, rec, best):
            p50, p99 = measure_latency(s, queries, a)
            rep["runs"].append({"ef": ef, "recall": r, "qps": q, "wall_qps": w, "p50_us": p50, "p99_us": p99})
            line += f" | {s.name} {r:.4f} {q:.0f} QPS"
        print(line, flush=True)
    ours.stdin.close()
    print(ours.stdout.read(), end="")
    if ours.wait() != 0:
        sys.exit("vecstore-bench failed")
    for rep in reps:
        path = os.path.join(a.out_dir, f"{rep['system']}.json")
        with open(path, "w") as f:
            json.dump(rep, f, indent=2)
        print(f"wrote {path}")


def cmd_run(a):
    base = np.ascontiguousarray(read(a.base, "f"), dtype=np.float32)
    queries = np.ascontiguousarray(read(a.query, "f"), dtype=np.float32)
    gt = read(a.gt, "i")[:, : a.k]
    os.makedirs(a.out_dir, exist_ok=True)
    classes = {"hnswlib": Hnswlib, "faiss": Faiss, "usearch": Usearch}
    if a.interleave:
        return cmd_interleave(a, base, queries, gt, classes)
    for name in a.systems:
        s = classes[name](a.metric, base.shape[1], a)
        rep = bench(s, base, queries, gt, a)
        path = os.path.join(a.out_dir, f"{name}.json")
        with open(path, "w") as f:
            json.dump(rep, f, indent=2)
        print(f"wrote {path}\n")


def cmd_plot(a):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for path in a.files:
        with open(path) as f:
            rep = json.load(f)
        runs = sorted(rep["runs"], key=lambda r: r["recall"])
        ax.plot([r["recall"] for r in runs], [r["qps"] for r in runs], marker="o",
                label=f'{rep.get("system", path)} (build {rep["build_seconds"]:.2f} s)')
    ax.set_xlabel("recall@10")
    ax.set_ylabel("queries per second (1 thread)")
    ax.set_yscale("log")
    ax.set_title(a.title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    fig.savefig(a.out)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--base", required=True)
    r.add_argument("--query", required=True)
    r.add_argument("--gt", required=True)
    r.add_argument("--metric", default="l2", choices=["l2", "dot", "cosine"])
    r.add_argument("--m", type=int, default=16)
    r.add_argument("--ef-construction", type=int, default=200)
    r.add_argument("--ef", type=lambda s: [int(x) for x in s.split(",")],
                   default=[10, 16, 24, 32, 48, 64, 96, 128, 256])
    r.add_argument("--k", type=int, default=10)
    r.add_argument("--seed", type=int, default=42)
    r.add_argument("--threads", type=int, default=1)
    r.add_argument("--build-threads", type=int, default=os.cpu_count())
    r.add_argument("--min-seconds", type=float, default=1.0)
    r.add_argument("--repeat", type=int, default=3)
    r.add_argument("--systems", type=lambda s: s.split(","), default=["hnswlib", "faiss", "usearch"])
    r.add_argument("--out-dir", default=".")
    r.add_argument("--interleave", action="store_true",
                   help="also run vecstore (through `vecstore-bench ann --serve`) and alternate the "
                        "systems' repetitions per ef, so all see the same machine load")
    r.add_argument("--vecstore", default="target/release/vecstore-bench",
                   help="vecstore-bench binary for --interleave")
    r.add_argument("--vecstore-args", default="",
                   help="extra arguments for vecstore-bench ann under --interleave, e.g. "
                        "'--selectivity 0.001,0.01,0.1,0.5'")
    pl = sub.add_parser("plot")
    pl.add_argument("--out", required=True)
    pl.add_argument("--title", default="recall@10 vs QPS")
    pl.add_argument("files", nargs="+")
    a = p.parse_args()
    {"run": cmd_run, "plot": cmd_plot}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())

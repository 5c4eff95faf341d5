//! `vecstore-bench ann`: build an HNSW graph on a dataset, sweep `ef`, and
//! report recall@10, QPS and latency (plus filtered search per selectivity).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use roaring::RoaringBitmap;
use serde::Serialize;
use vecstore_core::Metric;
use vecstore_index::{
    Hnsw, HnswParams, Plan, SearchFilter, VectorSource, VectorStore, choose_plan, flat_search,
};

use crate::data;

/// Arguments of `ann`.
#[derive(Args, Debug)]
pub struct AnnArgs {
    /// Base vectors (.fvecs or 2-D f32 .npy).
    #[arg(long)]
    base: PathBuf,
    /// Query vectors (.fvecs or .npy).
    #[arg(long)]
    query: PathBuf,
    /// Ground truth (.ivecs or int32 .npy, best first); computed with the
    /// flat index when omitted.
    #[arg(long)]
    gt: Option<PathBuf>,
    /// l2, dot or cosine.
    #[arg(long, default_value = "l2")]
    metric: Metric,
    #[arg(long, default_value_t = 16)]
    m: usize,
    #[arg(long, default_value_t = 200)]
    ef_construction: usize,
    /// Comma-separated ef values to sweep.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "10,16,24,32,48,64,96,128,256"
    )]
    ef: Vec<usize>,
    /// Search threads (1 = single-threaded latency measurement).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Build threads (default: all cores).
    #[arg(long)]
    build_threads: Option<usize>,
    /// Neighbours per query.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// Level seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Comma-separated fractions of base rows that match a filter.
    #[arg(long, value_delimiter = ',')]
    selectivity: Vec<f64>,
    /// ef for the filtered runs.
    #[arg(long, default_value_t = 64)]
    filter_ef: usize,
    /// Plan for the filtered runs: auto, exact or graph.
    #[arg(long, default_value = "auto")]
    plan: String,
    /// Minimum seconds per measured point.
    #[arg(long, default_value_t = 1.0)]
    min_seconds: f64,
    /// Measure each point this many times and keep the fastest (the
    /// machine is shared; the best of several runs is the least disturbed).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Write results as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Instead of sweeping `--ef`, print `ready` after the build and then
    /// measure one repetition per `ef` read from stdin (one per line),
    /// answering each with a JSON line; at end of input keep the best QPS
    /// per ef. `ann_peers.py run --interleave` drives this so that our
    /// repetitions alternate with the peers' in time and all systems see
    /// the same machine load.
    #[arg(long)]
    serve: bool,
}

#[derive(Serialize, Clone, Copy)]
struct Run {
    ef: usize,
    recall: f64,
    qps: f64,
    wall_qps: f64,
    p50_us: f64,
    p99_us: f64,
}

#[derive(Serialize)]
struct Filtered {
    selectivity: f64,
    matches: u64,
    plan: String,
    recall: f64,
    qps: f64,
    p50_us: f64,
    p99_us: f64,
}

#[derive(Serialize)]
struct Report {
    system: String,
    dataset: String,
    metric: String,
    m: usize,
    ef_construction: usize,
    build_threads: usize,
    search_threads: usize,
    build_seconds: f64,
    build_cpu_seconds: Option<f64>,
    bytes_per_vector: f64,
    n: usize,
    dim: usize,
    kernels: String,
    runs: Vec<Run>,
    filtered: Vec<Filtered>,
}

/// One query in, `(row, distance)` hits out.
type SearchFn<'a> = dyn Fn(&[f32]) -> Vec<(u32, f32)> + Sync + 'a;

struct Timing {
    recall: f64,
    qps: f64,
    wall_qps: f64,
    p50_us: f64,
    p99_us: f64,
}

/// CPU time consumed so far by the calling thread, in seconds
/// (`/proc/thread-self/schedstat`, nanoseconds); `None` off Linux.
///
/// The benchmark machine is shared, so single-threaded QPS is computed from
/// the searching thread's CPU time rather than wall time: that does not
/// count the time other processes held the core. Python peers use
/// `time.thread_time()`, the same clock.
pub fn thread_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// CPU time of the whole process (all threads), seconds, from
/// `/proc/self/stat` (clock ticks of 10 ms); `None` off Linux.
pub fn process_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 14th and 15th fields overall.
    let rest = s.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Runs `search(q)` for every query, repeating the whole set until
/// `min_seconds` of the thread's CPU time have passed (wall time with
/// several threads), and scores the first pass against `truth`; latency
/// percentiles come from a separate pass of single timed queries (one
/// thread, even when `threads > 1`).
fn measure(
    repeat: usize,
    queries: &data::Matrix<f32>,
    truth: &[Vec<u32>],
    k: usize,
    threads: usize,
    min_seconds: f64,
    search: &SearchFn<'_>,
) -> Timing {
    (0..repeat.max(1))
        .map(|_| measure_once(queries, truth, k, threads, min_seconds, search))
        .max_by(|a, b| a.qps.total_cmp(&b.qps))
        .expect("at least one repetition")
}

fn measure_once(
    queries: &data::Matrix<f32>,
    truth: &[Vec<u32>],
    k: usize,
    threads: usize,
    min_seconds: f64,
    search: &SearchFn<'_>,
) -> Timing {
    let nq = queries.rows;
    let mut recall = 0.0;
    for (i, t) in truth.iter().enumerate().take(nq) {
        let got: Vec<u32> = search(queries.row(i)).iter().map(|h| h.0).collect();
        recall += vecstore_testkit::recall_at_k(&got, t, k);
    }
    recall /= nq as f64;
    // QPS: the query set back to back, no per-query clock reads (the peers'
    // batched calls have none either); latency percentiles come from a
    // separate, shorter pass that times each query.
    let start = Instant::now();
    let cpu0 = thread_cpu_seconds();
    let cpu = || thread_cpu_seconds().zip(cpu0).map(|(a, b)| a - b);
    let mut done = 0usize;
    if threads <= 1 {
        while cpu().unwrap_or(start.elapsed().as_secs_f64()) < min_seconds || done == 0 {
            for i in 0..nq {
                std::hint::black_box(search(queries.row(i)));
            }
            done += nq;
        }
    } else {
        use rayon::prelude::*;
        while start.elapsed().as_secs_f64() < min_seconds || done == 0 {
            (0..nq).into_par_iter().for_each(|i| {
                std::hint::black_box(search(queries.row(i)));
            });
            done += nq;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu_secs = if threads <= 1 { cpu() } else { None };
    let mut lat = Vec::new();
    let lat_start = Instant::now();
    while lat_start.elapsed().as_secs_f64() < min_seconds.min(0.5) || lat.is_empty() {
        for i in 0..nq {
            let t = Instant::now();
            std::hint::black_box(search(queries.row(i)));
            lat.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| lat[((lat.len() - 1) as f64 * p).round() as usize];
    Timing {
        recall,
        qps: done as f64 / cpu_secs.unwrap_or(secs),
        wall_qps: done as f64 / secs,
        p50_us: pct(0.5),
        p99_us: pct(0.99),
    }
}

pub fn run(args: &AnnArgs) -> Result<()> {
    let base = data::read_f32(&args.base)?;
    let queries = data::read_f32(&args.query)?;
    if base.cols != queries.cols {
        bail!("base has dimension {}, queries {}", base.cols, queries.cols);
    }
    let k = args.k;
    let vectors = VectorStore::from_rows(base.cols, args.metric, &base.data)?;
    let truth: Vec<Vec<u32>> = match &args.gt {
        Some(p) => {
            let gt = data::read_i32(p)?;
            if gt.rows < queries.rows || gt.cols < k {
                bail!(
                    "ground truth is {}x{}, need {}x{k}",
                    gt.rows,
                    gt.cols,
                    queries.rows
                );
            }
            (0..queries.rows)
                .map(|i| gt.row(i)[..k].iter().map(|&x| x as u32).collect())
                .collect()
        }
        None => (0..queries.rows)
            .map(|i| {
                flat_search(&vectors, queries.row(i), k, &SearchFilter::NONE)
                    .iter()
                    .map(|h| h.0)
                    .collect()
            })
            .collect(),
    };
    let build_threads = args
        .build_threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let params = HnswParams {
        m: args.m,
        ef_construction: args.ef_construction,
        seed: args.seed,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(build_threads)
        .build()?;
    let t = Instant::now();
    let cpu0 = process_cpu_seconds();
    let graph = pool.install(|| Hnsw::build_parallel(&vectors, params))?;
    let build_seconds = t.elapsed().as_secs_f64();
    let build_cpu_seconds = process_cpu_seconds().zip(cpu0).map(|(a, b)| a - b);
    let bytes_per_vector =
        (vectors.memory_bytes() + graph.memory_bytes()) as f64 / vectors.len().max(1) as f64;
    println!(
        "vecstore  n={} dim={} metric={} m={} ef_construction={} kernels={}",
        vectors.len(),
        vectors.dim(),
        args.metric,
        args.m,
        args.ef_construction,
        vecstore_core::kernels::backend()
    );
    println!(
        "build: {build_seconds:.3} s wall ({:.2} s CPU) with {build_threads} threads, {bytes_per_vector:.0} bytes/vector",
        build_cpu_seconds.unwrap_or(f64::NAN)
    );
    let search_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.max(1))
        .build()?;
    println!(
        "\n| ef | recall@{k} | QPS (CPU) | QPS (wall) | p50 µs | p99 µs |\n|---|---|---|---|---|---|"
    );
    let measure_ef = |ef: usize, repeat: usize| {
        let search = |q: &[f32]| graph.search(&vectors, q, k, ef, &SearchFilter::NONE);
        let r = search_pool.install(|| {
            measure(
                repeat,
                &queries,
                &truth,
                k,
                args.threads,
                args.min_seconds,
                &search,
            )
        });
        Run {
            ef,
            recall: r.recall,
            qps: r.qps,
            wall_qps: r.wall_qps,
            p50_us: r.p50_us,
            p99_us: r.p99_us,
        }
    };
    let mut runs: Vec<Run> = Vec::new();
    if args.serve {
        use std::io::{BufRead, Write};
        println!("ready");
        std::io::stdout().flush()?;
        for line in std::io::stdin().lock().lines() {
            let line = line?;
            let ef: usize = line
                .trim()
                .parse()
                .with_context(|| format!("bad ef {line:?}"))?;
            let r = measure_ef(ef, 1);
            println!("{}", serde_json::to_string(&r)?);
            std::io::stdout().flush()?;
            match runs.iter_mut().find(|x| x.ef == ef) {
                Some(best) if best.qps >= r.qps => {}
                Some(best) => *best = r,
                None => runs.push(r),
            }
        }
    } else {
        for &ef in &args.ef {
            runs.push(measure_ef(ef, args.repeat));
        }
    }
    for r in &runs {
        println!(
            "| {} | {:.4} | {:.0} | {:.0} | {:.1} | {:.1} |",
            r.ef, r.recall, r.qps, r.wall_qps, r.p50_us, r.p99_us
        );
    }
    let plan = match args.plan.as_str() {
        "auto" => Plan::Auto,
        "exact" => Plan::Exact,
        "graph" => Plan::Graph,
        p => bail!("unknown plan {p}: expected auto, exact or graph"),
    };
    let mut filtered = Vec::new();
    if !args.selectivity.is_empty() {
        println!(
            "\nfiltered, ef={}: | selectivity | matches | plan | recall@{k} | QPS | p50 µs | p99 µs |",
            args.filter_ef
        );
    }
    for (i, &sel) in args.selectivity.iter().enumerate() {
        let allow: RoaringBitmap = vecstore_testkit::random_subset(
            vectors.len(),
            sel,
            args.seed.wrapping_add(1 + i as u64),
        );
        let filter = SearchFilter::allow(&allow);
        let truth: Vec<Vec<u32>> = (0..queries.rows)
            .map(|q| {
                flat_search(&vectors, queries.row(q), k, &filter)
                    .iter()
                    .map(|h| h.0)
                    .collect()
            })
            .collect();
        let ef = args.filter_ef;
        let used = match plan {
            Plan::Auto => choose_plan(graph.len(), &filter, k, ef),
            p => p,
        };
        let search = |q: &[f32]| graph.search_with_plan(&vectors, q, k, ef, &filter, plan);
        let r = search_pool.install(|| {
            measure(
                args.repeat,
                &queries,
                &truth,
                k,
                args.threads,
                args.min_seconds,
                &search,
            )
        });
        let used = format!("{used:?}").to_lowercase();
        println!(
            "| {sel} | {} | {used} | {:.4} | {:.0} | {:.1} | {:.1} |",
            allow.len(),
            r.recall,
            r.qps,
            r.p50_us,
            r.p99_us
        );
        filtered.push(Filtered {
            selectivity: sel,
            matches: allow.len(),
            plan: used,
            recall: r.recall,
            qps: r.qps,
            p50_us: r.p50_us,
            p99_us: r.p99_us,
        });
    }
    if let Some(path) = &args.json {
        let report = Report {
            system: "vecstore".into(),
            dataset: args.base.display().to_string(),
            metric: args.metric.to_string(),
            m: args.m,
            ef_construction: args.ef_construction,
            build_threads,
            search_threads: args.threads,
            build_seconds,
            build_cpu_seconds,
            bytes_per_vector,
            n: vectors.len(),
            dim: vectors.dim(),
            kernels: vecstore_core::kernels::backend().to_string(),
            runs,
            filtered,
        };
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("\nwrote {}", path.display());
    }
    Ok(())
}

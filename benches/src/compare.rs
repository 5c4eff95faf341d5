//! `vecstore-bench compare`: side-by-side table of `ann` result files (ours
//! and the peers') and a recall–QPS plot.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::Value;

/// Arguments of `compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// JSON files written by `ann --json` or `ann_peers.py`; the one whose
    /// `system` is `vecstore` (else the first) is "ours".
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Recall targets.
    #[arg(long, value_delimiter = ',', default_value = "0.90,0.95,0.99")]
    targets: Vec<f64>,
    /// Draw the recall–QPS curves to this PNG (uses matplotlib through
    /// `benches/peers/ann_peers.py plot`).
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Python with matplotlib.
    #[arg(long, default_value = "/work/venv/bin/python")]
    python: String,
    /// Title of the plot.
    #[arg(long, default_value = "recall@10 vs QPS")]
    title: String,
}

struct System {
    name: String,
    build_seconds: f64,
    build_cpu_seconds: f64,
    build_threads: u64,
    /// (ef, recall, qps)
    runs: Vec<(u64, f64, f64)>,
}

fn load(path: &PathBuf) -> Result<System> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let v: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let name = v["system"].as_str().map(str::to_string).unwrap_or_else(|| {
        path.file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    });
    let runs = v["runs"]
        .as_array()
        .context("no runs")?
        .iter()
        .map(|r| {
            (
                r["ef"].as_u64().unwrap_or(0),
                r["recall"].as_f64().unwrap_or(0.0),
                r["qps"].as_f64().unwrap_or(0.0),
            )
        })
        .collect();
    Ok(System {
        name,
        build_seconds: v["build_seconds"].as_f64().unwrap_or(f64::NAN),
        build_cpu_seconds: v["build_cpu_seconds"].as_f64().unwrap_or(f64::NAN),
        build_threads: v["build_threads"].as_u64().unwrap_or(0),
        runs,
    })
}

/// Best measured QPS at recall >= target, with its ef (no interpolation).
fn best_at(s: &System, target: f64) -> Option<(u64, f64)> {
    s.runs
        .iter()
        .filter(|r| r.1 >= target)
        .map(|r| (r.0, r.2))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

pub fn run(args: &CompareArgs) -> Result<()> {
    let systems: Vec<System> = args.files.iter().map(load).collect::<Result<_>>()?;
    if systems.is_empty() {
        bail!("no files");
    }
    let ours = systems
        .iter()
        .position(|s| s.name == "vecstore")
        .unwrap_or(0);
    let mut header = String::from("| system | build s (threads) |");
    let mut rule = String::from("|---|---|");
    for t in &args.targets {
        header.push_str(&format!(" QPS @ recall≥{t:.2} (ef) | ours / this |"));
        rule.push_str("---|---|");
    }
    println!("{header}\n{rule}");
    for s in &systems {
        let mut line = format!(
            "| {} | {:.3} ({}) |",
            s.name, s.build_seconds, s.build_threads
        );
        for &t in &args.targets {
            match (best_at(s, t), best_at(&systems[ours], t)) {
                (Some((ef, q)), Some((_, o))) => {
                    line.push_str(&format!(" {q:.0} ({ef}) | {:.2}x |", o / q))
                }
                (Some((ef, q)), None) => line.push_str(&format!(" {q:.0} ({ef}) | – |")),
                (None, _) => line.push_str(" not reached | – |"),
            }
        }
        println!("{line}");
    }
    let build_ours = systems[ours].build_seconds;
    for s in &systems {
        println!(
            "build time {}: {:.3} s wall, {:.2} s CPU ({} threads), ours / this = {:.2} (wall), {:.2} (CPU)",
            s.name,
            s.build_seconds,
            s.build_cpu_seconds,
            s.build_threads,
            build_ours / s.build_seconds,
            systems[ours].build_cpu_seconds / s.build_cpu_seconds
        );
    }
    if let Some(png) = &args.plot {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/peers/ann_peers.py");
        let status = Command::new(&args.python)
            .arg(script)
            .arg("plot")
            .arg("--out")
            .arg(png)
            .arg("--title")
            .arg(&args.title)
            .args(&args.files)
            .status()
            .with_context(|| format!("running {}", args.python))?;
        if !status.success() {
            bail!("plotting failed: {status}");
        }
        println!("wrote {}", png.display());
    }
    Ok(())
}

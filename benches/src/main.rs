//! `vecstore-bench`: the dataset harness. Subcommands print tables and write
//! JSON; see `vecstore-bench --help`.
#![forbid(unsafe_code)]

mod ann;
mod beir;
mod compare;
mod data;
#[cfg(feature = "embed")]
mod embed;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "vecstore-bench", about = "vecstore benchmark harness")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// HNSW build + recall/QPS sweep over ef on a dataset (plus filtered search).
    Ann(ann::AnnArgs),
    /// BM25 / dense / hybrid retrieval quality (nDCG@10) and QPS on a BEIR dataset.
    Beir(beir::BeirArgs),
    /// Compare `ann` JSON results of several systems; table + recall–QPS plot.
    Compare(compare::CompareArgs),
    /// MiniLM embedder: cosine vs sentence-transformers and throughput (feature `embed`).
    #[cfg(feature = "embed")]
    EmbedBench(embed::EmbedBenchArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        Cmd::Ann(args) => ann::run(&args),
        Cmd::Beir(args) => beir::run(&args),
        Cmd::Compare(args) => compare::run(&args),
        #[cfg(feature = "embed")]
        Cmd::EmbedBench(args) => embed::run(&args),
    }
}

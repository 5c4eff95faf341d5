//! `vecstore-bench`: the dataset harness. Subcommands print tables and write
//! JSON; see `vecstore-bench --help`.
#![forbid(unsafe_code)]

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
    /// MiniLM embedder: cosine vs sentence-transformers and throughput (feature `embed`).
    #[cfg(feature = "embed")]
    EmbedBench(embed::EmbedBenchArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.cmd {
        #[cfg(feature = "embed")]
        Cmd::EmbedBench(args) => embed::run(&args),
    }
}

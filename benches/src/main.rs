//! `vecstore-bench`: the dataset harness. Subcommands print tables and write
//! JSON; see `vecstore-bench --help`.
#![forbid(unsafe_code)]

mod data;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "vecstore-bench", about = "vecstore benchmark harness")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.cmd {}
}

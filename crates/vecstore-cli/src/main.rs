//! The `vecstore` command-line tool: ingest files into a vecstore database
//! (chunked, embedded with a local model when one is available, indexed for
//! BM25), ask questions with dense, keyword or hybrid search, and manage
//! collections, snapshots and JSON Lines export/import.
//!
//! This crate holds only argument parsing, file reading and printing; it must
//! not contain storage or search logic (that lives in vecstore-storage and
//! vecstore-rag).
//!
//! Exit codes: 0 success, 1 runtime error (one line on stderr), 2 usage error.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod admin;
mod ingest;
mod model;
mod search;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "vecstore",
    version,
    about = "Embedded vector database: ingest files, ask questions, manage snapshots",
    long_about = None
)]
struct Cli {
    /// More logs on stderr (-v info, -vv debug). VECSTORE_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    cmd: Cmd,
}

/// Where the database is and which collection to use.
#[derive(clap::Args, Debug, Clone)]
struct DbArgs {
    /// Database directory (created by `ingest` if missing).
    #[arg(long, value_name = "DIR")]
    db: PathBuf,
    /// Collection name.
    #[arg(long, short = 'c', default_value = "default", value_name = "NAME")]
    collection: String,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Chunk, embed and index files (.txt, .md, .jsonl; directories are recursed).
    Ingest(ingest::IngestArgs),
    /// Search the ingested chunks and print them ranked with scores and sources.
    Query(search::QueryArgs),
    /// Print record counts, sizes and settings of collections.
    Stats {
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List, create or delete collections.
    Collections {
        #[command(subcommand)]
        action: admin::CollectionsCmd,
    },
    /// Create, restore, list or delete snapshots of a collection.
    Snapshot {
        #[command(subcommand)]
        action: admin::SnapshotCmd,
    },
    /// Write every record of a collection as JSON Lines.
    Export {
        #[command(flatten)]
        db: DbArgs,
        /// Output file; `-` or absent writes to stdout.
        #[arg(long, short, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Read records from JSON Lines (as written by `export`) into a collection.
    Import {
        /// Input file; `-` reads stdin.
        input: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Run the benchmark harness (vecstore-bench); arguments are passed on.
    Bench {
        /// Arguments for vecstore-bench.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Search modes of `query`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Embedding similarity only (needs a model).
    Dense,
    /// BM25 only (no model needed).
    Keyword,
    /// Dense and BM25 fused (needs a model).
    Hybrid,
}

fn init_logs(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter =
        EnvFilter::try_from_env("VECSTORE_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// The first line of an error, so that every failure is one line.
fn one_line(msg: &str) -> String {
    let line = msg
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    line.strip_prefix("error: ").unwrap_or(line).to_owned()
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
                || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            {
                let _ = e.print();
                return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
            let msg = one_line(&e.render().to_string());
            eprintln!("error: {msg} (see 'vecstore --help')");
            return ExitCode::from(2);
        }
    };
    init_logs(cli.verbose);
    match run(cli.cmd) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
            ExitCode::from(1)
        }
    }
}

/// Runtime errors are plain messages: the CLI prints them on one line.
type CliResult<T = ()> = Result<T, String>;

fn run(cmd: Cmd) -> CliResult {
    match cmd {
        Cmd::Ingest(args) => ingest::run(args),
        Cmd::Query(args) => search::run(args),
        Cmd::Stats { db, json } => admin::stats(&db, json),
        Cmd::Collections { action } => admin::collections(action),
        Cmd::Snapshot { action } => admin::snapshot(action),
        Cmd::Export { db, out } => admin::export(&db, out),
        Cmd::Import { input, db } => admin::import(&db, &input),
        Cmd::Bench { args } => admin::bench(&args),
    }
}

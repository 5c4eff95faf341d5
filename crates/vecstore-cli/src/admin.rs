//! `stats`, `collections`, `snapshot`, `export`, `import` and `bench`.

use crate::{CliResult, DbArgs};
use clap::Subcommand;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use vecstore_core::Metric;
use vecstore_storage::{Collection, CollectionConfig, VecDatabase};

/// `--db DIR` alone.
#[derive(clap::Args, Debug, Clone)]
pub struct DbDir {
    /// Database directory.
    #[arg(long, value_name = "DIR")]
    db: PathBuf,
}

/// `vecstore collections ...`.
#[derive(Subcommand, Debug)]
pub enum CollectionsCmd {
    /// List collection names with their record counts.
    List {
        #[command(flatten)]
        db: DbDir,
    },
    /// Create an empty collection.
    Create {
        /// Its name: 1 to 64 characters of A-Z a-z 0-9 _ -.
        name: String,
        #[command(flatten)]
        db: DbDir,
        /// Vector dimension; default: taken from the first vector.
        #[arg(long)]
        dimension: Option<usize>,
        /// Distance: cosine, dot or l2.
        #[arg(long, default_value = "cosine")]
        metric: Metric,
    },
    /// Delete a collection and its files.
    Delete {
        /// Its name.
        name: String,
        #[command(flatten)]
        db: DbDir,
    },
}

/// `vecstore snapshot ...`.
#[derive(Subcommand, Debug)]
pub enum SnapshotCmd {
    /// Snapshot a collection under a name.
    Create {
        /// Snapshot name.
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Put a collection back to a snapshot.
    Restore {
        /// Snapshot name.
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List a collection's snapshots.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Delete a snapshot.
    Delete {
        /// Snapshot name.
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Opens the database; `create` allows a new directory, otherwise a missing
/// one is an error (rather than silently creating an empty database).
pub fn open_db(path: &Path, create: bool) -> CliResult<VecDatabase> {
    if !create && !path.is_dir() {
        return Err(format!("database {} does not exist", path.display()));
    }
    VecDatabase::open(path).map_err(err)
}

/// An existing collection, or a clear error.
pub fn collection(db: &VecDatabase, name: &str) -> CliResult<Collection> {
    db.get_collection(name)
        .map_err(err)?
        .ok_or_else(|| format!("collection {name:?} not found (see `vecstore collections list`)"))
}

pub fn stats(args: &DbArgs, json: bool) -> CliResult {
    let db = open_db(&args.db, false)?;
    let coll = collection(&db, &args.collection)?;
    let s = coll.stats().map_err(err)?;
    if json {
        let mut v = serde_json::to_value(&s).map_err(err)?;
        v["collection"] = serde_json::Value::String(args.collection.clone());
        println!("{}", serde_json::to_string_pretty(&v).map_err(err)?);
        return Ok(());
    }
    println!("collection     {}", args.collection);
    println!("records        {}", s.vector_count);
    println!("with text      {}", s.text_count);
    println!("deleted        {}", s.deleted_count);
    println!(
        "dimension      {}",
        s.dimension.map_or("-".into(), |d| d.to_string())
    );
    println!("metric         {:?}", s.metric);
    println!("segments       {}", s.segment_count);
    println!("disk bytes     {}", s.disk_bytes);
    println!("memory bytes   {}", s.memory_bytes);
    Ok(())
}

pub fn collections(action: CollectionsCmd) -> CliResult {
    match action {
        CollectionsCmd::List { db } => {
            let db = open_db(&db.db, false)?;
            for name in db.list_collections().map_err(err)? {
                let count = collection(&db, &name)?.count().map_err(err)?;
                println!("{name}\t{count}");
            }
        }
        CollectionsCmd::Create {
            name,
            db,
            dimension,
            metric,
        } => {
            let db = open_db(&db.db, true)?;
            let mut config = CollectionConfig {
                metric,
                ..CollectionConfig::default()
            };
            config.dimension = dimension;
            db.create_collection_with(&name, config).map_err(err)?;
            println!("created collection {name}");
        }
        CollectionsCmd::Delete { name, db } => {
            let db = open_db(&db.db, false)?;
            if !db.delete_collection(&name).map_err(err)? {
                return Err(format!("collection {name:?} not found"));
            }
            println!("deleted collection {name}");
        }
    }
    Ok(())
}

pub fn snapshot(action: SnapshotCmd) -> CliResult {
    match action {
        SnapshotCmd::Create { name, db } => {
            let d = open_db(&db.db, false)?;
            collection(&d, &db.collection)?
                .create_snapshot(&name)
                .map_err(err)?;
            println!("created snapshot {name} of {}", db.collection);
        }
        SnapshotCmd::Restore { name, db } => {
            let d = open_db(&db.db, false)?;
            collection(&d, &db.collection)?
                .restore_snapshot(&name)
                .map_err(err)?;
            println!("restored {} to snapshot {name}", db.collection);
        }
        SnapshotCmd::List { db } => {
            let d = open_db(&db.db, false)?;
            for s in collection(&d, &db.collection)?
                .list_snapshots()
                .map_err(err)?
            {
                println!(
                    "{}\t{} records\t{} bytes\tcreated {} ms",
                    s.name, s.vector_count, s.size_bytes, s.created_unix_ms
                );
            }
        }
        SnapshotCmd::Delete { name, db } => {
            let d = open_db(&db.db, false)?;
            if !collection(&d, &db.collection)?
                .delete_snapshot(&name)
                .map_err(err)?
            {
                return Err(format!("snapshot {name:?} not found"));
            }
            println!("deleted snapshot {name}");
        }
    }
    Ok(())
}

pub fn export(args: &DbArgs, out: Option<PathBuf>) -> CliResult {
    let db = open_db(&args.db, false)?;
    let coll = collection(&db, &args.collection)?;
    match out.filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            let file =
                std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut w = BufWriter::new(file);
            let n = coll.export_jsonl(&mut w).map_err(err)?;
            w.flush().map_err(|e| format!("{}: {e}", path.display()))?;
            println!("exported {n} records to {}", path.display());
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            let n = coll.export_jsonl(&mut w).map_err(err)?;
            w.flush().map_err(err)?;
            eprintln!("exported {n} records");
        }
    }
    Ok(())
}

pub fn import(args: &DbArgs, input: &Path) -> CliResult {
    let mut reader: Box<dyn BufRead> = if input.as_os_str() == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(input).map_err(|e| format!("{}: {e}", input.display()))?;
        Box::new(BufReader::new(f))
    };
    let db = open_db(&args.db, true)?;
    let coll = db.get_or_create_collection(&args.collection).map_err(err)?;
    let n = coll.import_jsonl(&mut reader).map_err(err)?;
    db.flush().map_err(err)?;
    println!("imported {n} records into {}", args.collection);
    Ok(())
}

pub fn bench(args: &[String]) -> CliResult {
    let sibling = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("vecstore-bench")))
        .filter(|p| p.is_file());
    let Some(bench) = sibling.filter(|_| !args.is_empty()) else {
        println!(
            "The benchmark harness is the vecstore-bench binary; `vecstore bench ARGS...` runs it when it is built next to vecstore. Build and run it with:"
        );
        println!("  cargo run --release -p vecstore-bench --features embed -- --help");
        println!("e.g. embedding throughput and agreement with sentence-transformers:");
        println!(
            "  RAYON_NUM_THREADS=2 cargo run --release -p vecstore-bench --features embed -- embed-bench --data ../shared/data/scifact --model models/all-MiniLM-L6-v2"
        );
        return Ok(());
    };
    let status = std::process::Command::new(&bench)
        .args(args)
        .status()
        .map_err(|e| format!("{}: {e}", bench.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("vecstore-bench exited with {status}"))
    }
}

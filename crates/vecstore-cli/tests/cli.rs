//! Runs the built `vecstore` binary on temporary directories, in keyword
//! mode so that no model is needed: ingest, query, stats, snapshots,
//! export/import, and the exit codes of bad input.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `vecstore` in `cwd` with no model in reach.
fn vecstore(cwd: &Path, args: &[&str]) -> Run {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_vecstore"))
        .current_dir(cwd)
        .env_remove("VECSTORE_MODEL_DIR")
        .env_remove("VECSTORE_LOG")
        .args(args)
        .output()
        .expect("the vecstore binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(cwd: &Path, args: &[&str]) -> Run {
    let r = vecstore(cwd, args);
    assert_eq!(
        r.code, 0,
        "vecstore {args:?} failed\nstdout: {}\nstderr: {}",
        r.stdout, r.stderr
    );
    r
}

/// Writes a small corpus: Markdown, plain text and JSON Lines.
fn corpus(dir: &Path) -> PathBuf {
    let docs = dir.join("docs");
    std::fs::create_dir_all(docs.join("sub")).unwrap();
    std::fs::write(
        docs.join("guide.md"),
        "# Guide\n\nvecstore is an embedded vector database.\n\n\
         ## Hybrid search\n\nHybrid search fuses BM25 keyword scores with dense similarity \
         using reciprocal rank fusion or a weighted sum.\n\n\
         ## Snapshots\n\nSnapshots are cheap hard links of immutable segments.\n",
    )
    .unwrap();
    std::fs::write(
        docs.join("sub/notes.txt"),
        "Compaction merges small segments and drops deleted rows.\n\n\
         The write-ahead log makes every acknowledged write durable.",
    )
    .unwrap();
    std::fs::write(
        docs.join("papers.jsonl"),
        concat!(
            r#"{"_id": "p1", "title": "Granite", "text": "Granite is an igneous rock rich in quartz.", "year": 2020}"#,
            "\n",
            r#"{"_id": "p2", "title": "Basalt", "text": "Basalt forms from rapidly cooled lava.", "year": 2021}"#,
            "\n\n",
            r#"{"_id": 3, "text": "Fusion of scores ranks documents well."}"#,
            "\n"
        ),
    )
    .unwrap();
    std::fs::write(docs.join("ignored.bin"), [0u8, 1, 2]).unwrap();
    docs
}

/// `(id, score)` of a `query --json` run.
fn hits(r: &Run) -> Vec<(String, f64)> {
    let v: Value = serde_json::from_str(&r.stdout).expect("query --json prints JSON");
    v["results"]
        .as_array()
        .expect("results array")
        .iter()
        .map(|h| {
            (
                h["id"].as_str().unwrap().to_owned(),
                h["score"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn query(cwd: &Path, db: &str, collection: &str, text: &str) -> Vec<(String, f64)> {
    hits(&ok(
        cwd,
        &[
            "query", text, "--db", db, "-c", collection, "-k", "5", "--mode", "keyword", "--json",
        ],
    ))
}

#[test]
fn ingest_query_stats_snapshot_restore_export_import() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    corpus(cwd);

    // No model anywhere: ingest works keyword-only and says so in one line.
    let r = ok(
        cwd,
        &[
            "ingest",
            "docs",
            "--db",
            "db",
            "--chunk-size",
            "120",
            "--overlap",
            "20",
        ],
    );
    assert!(
        r.stdout.contains("ingested 5 documents from 3 files"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("keyword only"), "{}", r.stdout);
    let notes: Vec<&str> = r.stderr.lines().filter(|l| l.contains("keyword")).collect();
    assert_eq!(notes.len(), 1, "stderr: {}", r.stderr);

    let before = query(cwd, "db", "default", "hybrid fusion of keyword scores");
    assert!(!before.is_empty());
    let top = &before[0].0;
    assert!(top.starts_with("docs/guide.md#"), "top hit {top}");

    // Text output: ranked lines with scores, ids and sources.
    let r = ok(
        cwd,
        &["query", "granite quartz", "--db", "db", "--mode", "keyword"],
    );
    assert!(r.stdout.contains("1. "), "{}", r.stdout);
    assert!(r.stdout.contains("p1#0"), "{}", r.stdout);
    assert!(r.stdout.contains("docs/papers.jsonl"), "{}", r.stdout);
    assert!(
        r.stdout.contains("Granite is an igneous rock"),
        "{}",
        r.stdout
    );

    // Markdown heading paths are kept as metadata.
    let r = ok(
        cwd,
        &[
            "query",
            "hard links",
            "--db",
            "db",
            "--mode",
            "keyword",
            "--json",
            "-k",
            "1",
        ],
    );
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["results"][0]["metadata"]["section"], "Guide > Snapshots");

    // Filters on metadata.
    let r = ok(
        cwd,
        &[
            "query",
            "rock lava",
            "--db",
            "db",
            "--mode",
            "keyword",
            "--json",
            "--filter",
            "year >= 2021",
        ],
    );
    let ids: Vec<String> = hits(&r).into_iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["p2#0"]);

    let r = ok(cwd, &["stats", "--db", "db", "--json"]);
    let stats: Value = serde_json::from_str(&r.stdout).unwrap();
    let text_count = stats["text_count"].as_u64().unwrap();
    assert!(text_count >= 5, "{stats}");
    let r = ok(cwd, &["collections", "list", "--db", "db"]);
    assert!(r.stdout.starts_with("default\t"), "{}", r.stdout);

    // Snapshot, change the data, restore: the same results come back.
    ok(cwd, &["snapshot", "create", "s1", "--db", "db"]);
    std::fs::write(
        cwd.join("extra.txt"),
        "Hybrid fusion keyword scores fusion fusion hybrid.",
    )
    .unwrap();
    ok(
        cwd,
        &["ingest", "extra.txt", "--db", "db", "--keyword-only"],
    );
    let changed = query(cwd, "db", "default", "hybrid fusion of keyword scores");
    assert_eq!(changed[0].0, "extra.txt#0");
    ok(cwd, &["snapshot", "restore", "s1", "--db", "db"]);
    assert_eq!(
        query(cwd, "db", "default", "hybrid fusion of keyword scores"),
        before
    );
    let r = ok(cwd, &["snapshot", "list", "--db", "db"]);
    assert!(r.stdout.starts_with("s1\t"), "{}", r.stdout);

    // Export, import into another collection: same results there.
    let r = ok(cwd, &["export", "--db", "db", "--out", "dump.jsonl"]);
    assert!(r.stdout.contains("exported"), "{}", r.stdout);
    let lines = std::fs::read_to_string(cwd.join("dump.jsonl")).unwrap();
    assert_eq!(lines.lines().count() as u64, text_count);
    ok(cwd, &["import", "dump.jsonl", "--db", "db", "-c", "copy"]);
    assert_eq!(
        query(cwd, "db", "copy", "hybrid fusion of keyword scores"),
        before
    );
    assert_eq!(
        query(cwd, "db", "copy", "granite"),
        query(cwd, "db", "default", "granite")
    );

    ok(cwd, &["snapshot", "delete", "s1", "--db", "db"]);
    let r = ok(cwd, &["snapshot", "list", "--db", "db"]);
    assert!(r.stdout.trim().is_empty(), "{}", r.stdout);
    ok(cwd, &["collections", "delete", "copy", "--db", "db"]);
    let r = ok(cwd, &["collections", "list", "--db", "db"]);
    assert!(!r.stdout.contains("copy"), "{}", r.stdout);
}

#[test]
fn reingest_replaces_old_chunks() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    let long: String = (0..40)
        .map(|i| format!("Sentence number {i} about zebras. "))
        .collect();
    std::fs::write(cwd.join("a.txt"), &long).unwrap();
    ok(
        cwd,
        &[
            "ingest",
            "a.txt",
            "--db",
            "db",
            "--keyword-only",
            "--chunk-size",
            "100",
            "--overlap",
            "0",
        ],
    );
    let first = query(cwd, "db", "default", "zebras");
    assert_eq!(first.len(), 5);

    std::fs::write(cwd.join("a.txt"), "Now only about giraffes.").unwrap();
    ok(
        cwd,
        &[
            "ingest",
            "a.txt",
            "--db",
            "db",
            "--keyword-only",
            "--chunk-size",
            "100",
            "--overlap",
            "0",
        ],
    );
    assert!(query(cwd, "db", "default", "zebras").is_empty());
    let giraffes = query(cwd, "db", "default", "giraffes");
    assert_eq!(giraffes.len(), 1);
    assert_eq!(giraffes[0].0, "a.txt#0");
    let r = ok(cwd, &["collections", "list", "--db", "db"]);
    assert_eq!(r.stdout.trim(), "default\t1");
}

fn assert_one_line_error(r: &Run, code: i32) {
    assert_eq!(r.code, code, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    let lines: Vec<&str> = r.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "stderr: {:?}", r.stderr);
    assert!(lines[0].starts_with("error: "), "{:?}", lines[0]);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    for args in [
        vec!["frobnicate"],
        vec!["query"],
        vec!["query", "text"],
        vec!["query", "text", "--db", "db", "--mode", "fuzzy"],
        vec!["query", "text", "--db", "db", "-k", "many"],
        vec!["ingest", "--db", "db"],
        vec!["ingest", "x", "--db", "db", "--chunk-size", "-3"],
        vec!["snapshot", "create"],
        vec![
            "collections",
            "create",
            "x",
            "--db",
            "db",
            "--metric",
            "manhattan",
        ],
    ] {
        let r = vecstore(cwd, &args);
        assert_one_line_error(&r, 2);
    }
}

#[test]
fn runtime_errors_exit_1_with_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tmp.path();
    corpus(cwd);
    // Missing database, missing input, bad chunk settings.
    assert_one_line_error(
        &vecstore(cwd, &["query", "x", "--db", "nope", "--mode", "keyword"]),
        1,
    );
    assert_one_line_error(&vecstore(cwd, &["ingest", "missing-dir", "--db", "db"]), 1);
    assert_one_line_error(
        &vecstore(
            cwd,
            &[
                "ingest",
                "docs",
                "--db",
                "db",
                "--chunk-size",
                "10",
                "--overlap",
                "10",
            ],
        ),
        1,
    );
    ok(cwd, &["ingest", "docs", "--db", "db", "--keyword-only"]);
    // Bad filter, unknown collection, dense search without a model,
    // invalid k, invalid names, unknown snapshot.
    let bad_filter = vecstore(
        cwd,
        &[
            "query",
            "x",
            "--db",
            "db",
            "--mode",
            "keyword",
            "--filter",
            "year >>= 3",
        ],
    );
    assert_one_line_error(&bad_filter, 1);
    assert!(
        bad_filter.stderr.contains("filter"),
        "{}",
        bad_filter.stderr
    );
    assert_one_line_error(
        &vecstore(
            cwd,
            &[
                "query", "x", "--db", "db", "-c", "nope", "--mode", "keyword",
            ],
        ),
        1,
    );
    assert_one_line_error(
        &vecstore(cwd, &["query", "x", "--db", "db", "--mode", "dense"]),
        1,
    );
    assert_one_line_error(
        &vecstore(
            cwd,
            &["query", "x", "--db", "db", "--mode", "keyword", "-k", "0"],
        ),
        1,
    );
    assert_one_line_error(
        &vecstore(cwd, &["collections", "create", "bad name!", "--db", "db"]),
        1,
    );
    assert_one_line_error(
        &vecstore(cwd, &["snapshot", "restore", "never", "--db", "db"]),
        1,
    );
    assert_one_line_error(
        &vecstore(cwd, &["import", "missing.jsonl", "--db", "db"]),
        1,
    );
    std::fs::write(cwd.join("bad.jsonl"), "{\"text\": \"ok\"}\nnot json\n").unwrap();
    let r = vecstore(
        cwd,
        &["ingest", "bad.jsonl", "--db", "db", "--keyword-only"],
    );
    assert_one_line_error(&r, 1);
    assert!(r.stderr.contains("bad.jsonl line 2"), "{}", r.stderr);
}

#[test]
fn help_and_bench_succeed() {
    let tmp = tempfile::tempdir().unwrap();
    let r = ok(tmp.path(), &["--help"]);
    assert!(r.stdout.contains("ingest"));
    let r = ok(tmp.path(), &["query", "--help"]);
    assert!(r.stdout.contains("--mode"));
    let r = ok(tmp.path(), &["bench"]);
    assert!(r.stdout.contains("vecstore-bench"), "{}", r.stdout);
}

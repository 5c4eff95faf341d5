//! JSON Lines export and import of a collection, for moving data to and
//! from other tools: one [`Record`] per line, `{"id", "vector",
//! "metadata", "text"?}`.

use crate::collection::Collection;
use crate::engine::Engine;
use std::path::PathBuf;
use vecstore_core::{Error, Record, Result};

/// Records per atomic batch when importing.
const IMPORT_BATCH: usize = 1000;

pub(crate) fn export_jsonl(engine: &Engine, out: &mut dyn std::io::Write) -> Result<usize> {
    let mut n = 0usize;
    let path = PathBuf::from("<export output>");
    engine.scan(|r| {
        serde_json::to_writer(&mut *out, &r)
            .map_err(|e| Error::io(&path, std::io::Error::other(e)))?;
        out.write_all(b"\n").map_err(|e| Error::io(&path, e))?;
        n += 1;
        Ok(())
    })?;
    out.flush().map_err(|e| Error::io(&path, e))?;
    Ok(n)
}

pub(crate) fn import_jsonl(c: &Collection, input: &mut dyn std::io::BufRead) -> Result<usize> {
    let mut n = 0usize;
    let mut batch: Vec<Record> = Vec::with_capacity(IMPORT_BATCH);
    let mut line = String::new();
    let mut line_no = 0u64;
    let path = PathBuf::from("<import input>");
    loop {
        line.clear();
        let read = input
            .read_line(&mut line)
            .map_err(|e| Error::io(&path, e))?;
        if read == 0 {
            break;
        }
        line_no += 1;
        if line.trim().is_empty() {
            continue;
        }
        let r: Record = serde_json::from_str(&line).map_err(|e| Error::InvalidArgument {
            name: "jsonl line",
            value: format!("{line_no}: {e}"),
            reason: "expected a JSON object with id, vector, metadata and optional text",
        })?;
        n += 1;
        if r.vector.is_empty() {
            // A text-only record.
            if let Some(t) = &r.text {
                c.index_text(&r.id, t)?;
                if !r.metadata.is_empty() {
                    c.update_metadata(&r.id, r.metadata)?;
                }
                continue;
            }
        }
        batch.push(r);
        if batch.len() >= IMPORT_BATCH {
            c.batch_upsert(std::mem::take(&mut batch))?;
        }
    }
    if !batch.is_empty() {
        c.batch_upsert(batch)?;
    }
    Ok(n)
}

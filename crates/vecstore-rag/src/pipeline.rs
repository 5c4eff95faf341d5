//! Documents in, ranked chunks out: [`DocumentExt`] on vecstore-storage's
//! `Collection` and `VecStore`.
//!
//! A document `doc_id` is stored as chunks with ids `doc_id#0`, `doc_id#1`,
//! ... Each chunk record carries the chunk's vector, its text (indexed for
//! BM25) and metadata: the document's metadata plus `doc_id`, `chunk` (its
//! index), `start`/`end` (byte offsets into the document), `source` (the
//! document's `source` metadata, or its id) and whatever the chunker found
//! (e.g. `section`). Re-ingesting a document overwrites chunks `0..n` and
//! deletes the old chunks `n..` in the same atomic `WriteBatch`, so chunk
//! ids stay contiguous and no reader or crash sees half a document.

use crate::chunk::Chunker;
use crate::embedder::Embedder;
use vecstore_core::{
    Error, Filter, Fusion, HybridQuery, Metadata, Neighbor, Query, Record, Result, Value,
};
use vecstore_storage::{Collection, VecStore, WriteBatch};

/// A document to ingest with [`DocumentExt::upsert_documents`].
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Its id; chunk ids are `"{id}#{n}"`.
    pub id: String,
    /// The full text.
    pub text: String,
    /// Metadata copied to every chunk.
    pub metadata: Metadata,
}

impl Document {
    /// A document with no metadata.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Self {
        Document {
            id: id.into(),
            text: text.into(),
            metadata: Metadata::new(),
        }
    }

    /// Sets the metadata.
    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }
}

/// The id of chunk `n` of document `doc_id`.
pub fn chunk_id(doc_id: &str, n: usize) -> String {
    format!("{doc_id}#{n}")
}

/// The document id of a chunk id made by [`chunk_id`] (the part before the
/// last `#`), or the id itself when it has no `#n` suffix.
pub fn doc_id_of(chunk_id: &str) -> &str {
    match chunk_id.rsplit_once('#') {
        Some((doc, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => doc,
        _ => chunk_id,
    }
}

/// Chunks a document into records with text and metadata but no vector yet.
pub fn chunk_records(doc: &Document, chunker: &dyn Chunker) -> Result<Vec<Record>> {
    vecstore_core::validate::id(&doc.id)?;
    let source = doc
        .metadata
        .get("source")
        .cloned()
        .unwrap_or_else(|| Value::String(doc.id.clone()));
    let records = chunker
        .chunk(&doc.text)
        .into_iter()
        .enumerate()
        .map(|(n, chunk)| {
            let mut meta = doc.metadata.clone();
            for (k, v) in chunk.metadata {
                meta.insert(k, v);
            }
            meta.insert("doc_id", doc.id.as_str());
            meta.insert("chunk", n as i64);
            meta.insert("start", chunk.start as i64);
            meta.insert("end", chunk.end as i64);
            meta.insert("source", source.clone());
            Record::new(chunk_id(&doc.id, n), Vec::new(), meta).with_text(chunk.text)
        })
        .collect::<Vec<_>>();
    for r in &records {
        vecstore_core::validate::id(&r.id)?;
    }
    Ok(records)
}

/// Fills in the vectors of `records` from their text with one
/// `embed_batch` call.
pub fn embed_records(records: &mut [Record], embedder: &dyn Embedder) -> Result<()> {
    let texts: Vec<&str> = records
        .iter()
        .map(|r| r.text.as_deref().unwrap_or(""))
        .collect();
    let vectors = embedder.embed_batch(&texts)?;
    if vectors.len() != records.len() {
        return Err(Error::Embedding {
            reason: format!(
                "embedder returned {} vectors for {} texts",
                vectors.len(),
                records.len()
            ),
        });
    }
    for (r, v) in records.iter_mut().zip(vectors) {
        r.vector = v;
    }
    Ok(())
}

/// Stores the chunks of documents and searches them by text.
///
/// Implemented for `Collection` and `VecStore`. The embedder must be the one
/// the collection was built with; `None`/keyword-only ingestion stores text
/// for BM25 only.
pub trait DocumentExt {
    /// The collection the documents go to.
    fn documents_collection(&self) -> &Collection;

    /// Chunks, embeds and stores one document, replacing its old chunks.
    /// Returns the number of chunks stored.
    fn upsert_document(
        &self,
        doc_id: &str,
        text: &str,
        metadata: Metadata,
        chunker: &dyn Chunker,
        embedder: &dyn Embedder,
    ) -> Result<usize> {
        let doc = Document::new(doc_id, text).with_metadata(metadata);
        self.upsert_documents(std::slice::from_ref(&doc), chunker, Some(embedder))
    }

    /// Chunks and stores many documents; with an embedder all their chunks
    /// are embedded in one batch (fast), without one only their text is
    /// indexed for keyword search. Old chunks of each document are replaced.
    /// Returns the number of chunks stored.
    fn upsert_documents(
        &self,
        docs: &[Document],
        chunker: &dyn Chunker,
        embedder: Option<&dyn Embedder>,
    ) -> Result<usize> {
        let coll = self.documents_collection();
        let mut records = Vec::new();
        let mut counts = Vec::with_capacity(docs.len());
        for doc in docs {
            let recs = chunk_records(doc, chunker)?;
            counts.push(recs.len());
            records.extend(recs);
        }
        if let Some(embedder) = embedder {
            embed_records(&mut records, embedder)?;
        }
        let total = records.len();
        // One atomic write: every new chunk (with its vector, or text-only
        // for keyword-only ingestion) and the deletes of each document's
        // chunks past its new end. A crash or a concurrent reader sees the
        // old version of every document or the new one, never a mix.
        let mut batch = WriteBatch::new();
        for r in records {
            batch.upsert(r);
        }
        for (doc, &n) in docs.iter().zip(&counts) {
            let mut stale = n;
            while coll.get(&chunk_id(&doc.id, stale))?.is_some() {
                batch.delete(chunk_id(&doc.id, stale));
                stale += 1;
            }
        }
        coll.write(batch)?;
        Ok(total)
    }

    /// Deletes all chunks of a document; returns how many there were.
    fn delete_document(&self, doc_id: &str) -> Result<usize> {
        delete_chunks_from(self.documents_collection(), doc_id, 0)
    }

    /// Dense search: embeds `text` and returns the `k` nearest chunks.
    fn query_text(
        &self,
        text: &str,
        k: usize,
        filter: Option<Filter>,
        embedder: &dyn Embedder,
    ) -> Result<Vec<Neighbor>> {
        let vector = embedder.embed(text)?;
        self.documents_collection()
            .query(Query { vector, k, filter })
    }

    /// Hybrid search: embeds `text` for the dense side, uses it as keywords
    /// for BM25, fuses with weight `alpha` on the dense side.
    fn hybrid_query_text(
        &self,
        text: &str,
        k: usize,
        filter: Option<Filter>,
        alpha: f32,
        embedder: &dyn Embedder,
    ) -> Result<Vec<Neighbor>> {
        vecstore_core::validate::alpha(alpha)?;
        let vector = embedder.embed(text)?;
        self.documents_collection().hybrid_query(HybridQuery {
            vector,
            keywords: text.to_owned(),
            k,
            filter,
            alpha,
        })
    }

    /// Hybrid search like [`hybrid_query_text`](DocumentExt::hybrid_query_text)
    /// with an explicit fusion strategy (RRF, DBSF or weighted).
    fn hybrid_query_text_with(
        &self,
        text: &str,
        k: usize,
        filter: Option<Filter>,
        alpha: f32,
        fusion: Fusion,
        embedder: &dyn Embedder,
    ) -> Result<Vec<Neighbor>> {
        vecstore_core::validate::alpha(alpha)?;
        let vector = embedder.embed(text)?;
        self.documents_collection().hybrid_query_with(
            HybridQuery {
                vector,
                keywords: text.to_owned(),
                k,
                filter,
                alpha,
            },
            fusion,
        )
    }
}

/// Deletes chunks `from..` of `doc_id` (they are contiguous); returns how
/// many were deleted.
fn delete_chunks_from(coll: &Collection, doc_id: &str, from: usize) -> Result<usize> {
    let mut n = from;
    while coll.delete(&chunk_id(doc_id, n))? {
        n += 1;
    }
    Ok(n - from)
}

impl DocumentExt for Collection {
    fn documents_collection(&self) -> &Collection {
        self
    }
}

impl DocumentExt for VecStore {
    fn documents_collection(&self) -> &Collection {
        self.collection()
    }
}

//! [`WriteBatch`]: upserts and deletes applied atomically, in order, as one
//! WAL record (so replay applies all of them or none).
//!
//! What it is for: replacing a document's chunks (upsert the new ones,
//! delete the ones past the new end) and storing text-only records
//! (keyword-only ingest, no embedder) without a window in which a crash or
//! a concurrent reader sees half of the change.

use crate::engine::{Engine, validate_metadata};
use crate::mutable::{IdHasher, MutableData};
use crate::ops::Op;
use crate::view::View;
use std::collections::HashMap;
use vecstore_core::{Error, Record, Result, validate};

/// One step of a [`WriteBatch`].
#[derive(Debug, Clone, PartialEq)]
enum Entry {
    Upsert(Record),
    Delete(String),
}

/// Upserts and deletes that [`Collection::write`](crate::Collection::write)
/// applies atomically and in order: after a crash either all of them are
/// there or none.
///
/// Unlike [`Collection::batch_upsert`](crate::Collection::batch_upsert), a
/// record in a batch may be *text-only* (an empty vector and `Some(text)`):
/// it is found by keyword and hybrid search, and a later upsert with a
/// vector keeps its text. As in `batch_upsert`, a record whose `text` is
/// `None` keeps the id's current text.
///
/// ```
/// # use vecstore_storage::{Record, Metadata, WriteBatch};
/// let mut batch = WriteBatch::new();
/// batch
///     .upsert(Record::new("doc#0", vec![0.1, 0.2], Metadata::new()))
///     .upsert(Record::new("doc#1", vec![], Metadata::new()).with_text("keyword only"))
///     .delete("doc#2");
/// assert_eq!(batch.len(), 3);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteBatch {
    entries: Vec<Entry>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an insert-or-replace of `record.id`.
    pub fn upsert(&mut self, record: Record) -> &mut Self {
        self.entries.push(Entry::Upsert(record));
        self
    }

    /// Adds a delete of `id` (a no-op if the id is not live at that point
    /// of the batch).
    pub fn delete(&mut self, id: impl Into<String>) -> &mut Self {
        self.entries.push(Entry::Delete(id.into()));
        self
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the batch has no steps.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Checks every step without the store: ids, metadata, vectors (finite,
    /// one dimension across the batch), text-only records carry text.
    pub(crate) fn validate(&self) -> Result<()> {
        let mut dim = None;
        for e in &self.entries {
            match e {
                Entry::Upsert(r) => {
                    validate::id(&r.id)?;
                    validate_metadata(&r.metadata)?;
                    if r.vector.is_empty() {
                        if r.text.is_none() {
                            return Err(Error::InvalidArgument {
                                name: "record",
                                value: r.id.clone(),
                                reason: "a record without a vector needs text",
                            });
                        }
                    } else {
                        validate::vector(&r.vector, dim)?;
                        dim = Some(r.vector.len());
                    }
                }
                Entry::Delete(id) => validate::id(id)?,
            }
        }
        Ok(())
    }
}

/// The state of an id as of the steps resolved so far.
enum Pending {
    Live(Option<String>),
    Deleted,
}

/// Turns a validated batch into one logged op: checks the dimension
/// against the collection's, fills in carried-over texts, drops deletes of
/// ids that are not live, and merges runs of upserts. `None` when nothing
/// remains to do.
pub(crate) fn resolve_batch(view: &View, m: &MutableData, batch: WriteBatch) -> Result<Option<Op>> {
    let mut dim = view.dim;
    for e in &batch.entries {
        if let Entry::Upsert(r) = e
            && !r.vector.is_empty()
        {
            // Values were checked by `WriteBatch::validate`.
            validate::same_dimension(&r.vector, dim)?;
            dim = Some(r.vector.len());
        }
    }
    let mut state: HashMap<String, Pending, IdHasher> = HashMap::default();
    let mut ops: Vec<Op> = Vec::new();
    for e in batch.entries {
        match e {
            Entry::Upsert(mut r) => {
                if r.text.is_none() {
                    r.text = match state.get(&r.id) {
                        Some(Pending::Live(t)) => t.clone(),
                        Some(Pending::Deleted) => None,
                        None => Engine::locate_text(view, m, &r.id)?,
                    };
                }
                state.insert(r.id.clone(), Pending::Live(r.text.clone()));
                match ops.last_mut() {
                    Some(Op::Upsert(run)) => run.push(r),
                    _ => ops.push(Op::Upsert(vec![r])),
                }
            }
            Entry::Delete(id) => {
                let live = match state.get(&id) {
                    Some(Pending::Live(_)) => true,
                    Some(Pending::Deleted) => false,
                    None => Engine::is_live(view, m, &id)?,
                };
                if live {
                    state.insert(id.clone(), Pending::Deleted);
                    ops.push(Op::Delete(id));
                }
            }
        }
    }
    Ok(match ops.len() {
        0 => None,
        1 => ops.pop(),
        _ => Some(Op::Batch(ops)),
    })
}

//! State-machine model test: random sequences of writes, flushes,
//! compactions, snapshots, restores and reopens against a `BTreeMap` model.
//! After every step the count and exact (flat) query results, with and
//! without a filter, must equal the model's.

use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap};
use vecstore_storage::{
    Collection, Durability, Filter, Metadata, Metric, Query, Record, SearchOptions, VecDatabase,
    WriteBatch,
};

const IDS: usize = 10;
const DIM: usize = 4;

#[derive(Debug, Clone)]
enum Op {
    Upsert(usize, [i8; DIM], i64),
    Batch(Vec<(usize, [i8; DIM], i64)>),
    /// A `WriteBatch` of upserts, text-only upserts and deletes.
    Write(Vec<Step>),
    Delete(usize),
    IndexText(usize, usize),
    UpdateMeta(usize, i64),
    Flush,
    Compact,
    Snapshot(usize),
    Restore(usize),
    Reopen {
        flush: bool,
    },
    Query([i8; DIM], usize),
}

#[derive(Debug, Clone)]
enum Step {
    Up(usize, [i8; DIM], i64),
    TextOnly(usize, usize, i64),
    Del(usize),
}

fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..IDS, vec_strategy(), 0i64..3).prop_map(|(i, v, g)| Step::Up(i, v, g)),
        1 => (0..IDS, 0..3usize, 0i64..3).prop_map(|(i, t, g)| Step::TextOnly(i, t, g)),
        2 => (0..IDS).prop_map(Step::Del),
    ]
}

fn vec_strategy() -> impl Strategy<Value = [i8; DIM]> {
    prop::array::uniform4(-20i8..20)
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..IDS, vec_strategy(), 0i64..3).prop_map(|(i, v, g)| Op::Upsert(i, v, g)),
        2 => prop::collection::vec((0..IDS, vec_strategy(), 0i64..3), 0..6).prop_map(Op::Batch),
        2 => prop::collection::vec(step_strategy(), 0..6).prop_map(Op::Write),
        3 => (0..IDS).prop_map(Op::Delete),
        2 => (0..IDS, 0..3usize).prop_map(|(i, t)| Op::IndexText(i, t)),
        1 => (0..IDS, 0i64..3).prop_map(|(i, g)| Op::UpdateMeta(i, g)),
        1 => Just(Op::Flush),
        1 => Just(Op::Compact),
        1 => (0..2usize).prop_map(Op::Snapshot),
        1 => (0..2usize).prop_map(Op::Restore),
        1 => any::<bool>().prop_map(|flush| Op::Reopen { flush }),
        2 => (vec_strategy(), 1..8usize).prop_map(|(v, k)| Op::Query(v, k)),
    ]
}

#[derive(Debug, Clone, PartialEq)]
struct Rec {
    vector: Option<Vec<f32>>,
    meta: Metadata,
    text: Option<String>,
}

type Model = BTreeMap<String, Rec>;

const WORDS: [&str; 3] = ["alpha beta", "beta gamma", "gamma delta alpha"];

fn to_vec(v: [i8; DIM]) -> Vec<f32> {
    // Distinct per id and op, so ties between different vectors are rare.
    v.iter().map(|&x| x as f32 * 0.37 + 0.01).collect()
}

fn meta(g: i64) -> Metadata {
    let mut m = Metadata::new();
    m.insert("g", g);
    m
}

/// The model's view of an upsert of `id{i}`: the new vector and metadata,
/// the id's text carried over.
fn model_upsert(model: &mut Model, i: usize, v: [i8; DIM], g: i64) {
    let id = format!("id{i}");
    let text = model.get(&id).and_then(|r| r.text.clone());
    let rec = Rec {
        vector: Some(to_vec(v)),
        meta: meta(g),
        text,
    };
    model.insert(id, rec);
}

fn open(dir: &std::path::Path, flush_on_close: bool) -> (VecDatabase, Collection) {
    let db = VecDatabase::builder(dir)
        .metric(Metric::L2)
        .durability(Durability::None)
        .flush_threshold(4)
        .compaction_threshold(3, 0.3)
        .flush_on_close(flush_on_close)
        .open()
        .unwrap();
    let c = db.get_or_create_collection("m").unwrap();
    (db, c)
}

fn expected(model: &Model, q: &[f32], k: usize, filter: Option<&Filter>) -> Vec<(String, f32)> {
    let mut all: Vec<(String, f32)> = model
        .iter()
        .filter(|(_, r)| r.vector.is_some())
        .filter(|(_, r)| filter.is_none_or(|f| f.matches(&r.meta)))
        .map(|(id, r)| {
            let d = Metric::L2.distance(q, r.vector.as_ref().unwrap());
            (id.clone(), Metric::L2.score(d))
        })
        .collect();
    all.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    all.truncate(k);
    all
}

fn check(c: &Collection, model: &Model, q: &[f32], k: usize) {
    assert_eq!(c.count().unwrap(), model.len(), "count");
    let filter: Filter = "g = 1 OR g > 1".parse().unwrap();
    for f in [None, Some(filter)] {
        let got = c
            .query_with(
                Query {
                    vector: q.to_vec(),
                    k,
                    filter: f.clone(),
                },
                SearchOptions::default().exact(true),
            )
            .unwrap();
        let want = expected(model, q, k, f.as_ref());
        assert_eq!(got.len(), want.len(), "hits for {f:?}");
        for (g, w) in got.iter().zip(&want) {
            assert!((g.score - w.1).abs() < 1e-3, "score {g:?} vs {w:?}");
        }
        // Ids equal except where scores tie.
        let got_ids: Vec<&String> = got.iter().map(|h| &h.id).collect();
        let want_ids: Vec<&String> = want.iter().map(|h| &h.0).collect();
        if got_ids != want_ids {
            for (g, w) in got.iter().zip(&want) {
                assert!((g.score - w.1).abs() < 1e-5, "{got_ids:?} vs {want_ids:?}");
            }
        }
        for h in &got {
            assert_eq!(Some(&h.metadata), model.get(&h.id).map(|r| &r.meta));
        }
    }
    // Spot-check get() on every id.
    for i in 0..IDS {
        let id = format!("id{i}");
        let got = c.get(&id).unwrap();
        match model.get(&id) {
            None => assert!(got.is_none(), "{id} should be absent"),
            Some(r) => {
                let g = got.unwrap_or_else(|| panic!("{id} missing"));
                assert_eq!(g.metadata, r.meta);
                assert_eq!(g.text, r.text);
                assert_eq!(g.vector.is_empty(), r.vector.is_none());
            }
        }
    }
}

fn run(ops: Vec<Op>) {
    let dir = tempfile::tempdir().unwrap();
    let (mut db, mut c) = open(dir.path(), true);
    let mut model: Model = BTreeMap::new();
    let mut snaps: HashMap<String, Model> = HashMap::new();
    let mut dim_known = false;
    for op in ops {
        match op {
            Op::Upsert(i, v, g) => {
                c.upsert(format!("id{i}"), to_vec(v), meta(g)).unwrap();
                model_upsert(&mut model, i, v, g);
                dim_known = true;
            }
            Op::Batch(items) => {
                let recs: Vec<Record> = items
                    .iter()
                    .map(|(i, v, g)| Record::new(format!("id{i}"), to_vec(*v), meta(*g)))
                    .collect();
                c.batch_upsert(recs).unwrap();
                for (i, v, g) in items {
                    model_upsert(&mut model, i, v, g);
                    dim_known = true;
                }
            }
            Op::Write(steps) => {
                let mut batch = WriteBatch::new();
                for step in steps {
                    match step {
                        Step::Up(i, v, g) => {
                            batch.upsert(Record::new(format!("id{i}"), to_vec(v), meta(g)));
                            model_upsert(&mut model, i, v, g);
                            dim_known = true;
                        }
                        Step::TextOnly(i, t, g) => {
                            let id = format!("id{i}");
                            let r = Record::new(id.clone(), vec![], meta(g)).with_text(WORDS[t]);
                            batch.upsert(r);
                            let text = Some(WORDS[t].to_string());
                            model.insert(
                                id,
                                Rec {
                                    vector: None,
                                    meta: meta(g),
                                    text,
                                },
                            );
                        }
                        Step::Del(i) => {
                            batch.delete(format!("id{i}"));
                            model.remove(&format!("id{i}"));
                        }
                    }
                }
                c.write(batch).unwrap();
            }
            Op::Delete(i) => {
                let id = format!("id{i}");
                assert_eq!(c.delete(&id).unwrap(), model.remove(&id).is_some());
            }
            Op::IndexText(i, t) => {
                let id = format!("id{i}");
                c.index_text(&id, WORDS[t]).unwrap();
                let e = model.entry(id).or_insert(Rec {
                    vector: None,
                    meta: Metadata::new(),
                    text: None,
                });
                e.text = Some(WORDS[t].to_string());
            }
            Op::UpdateMeta(i, g) => {
                let id = format!("id{i}");
                let known = model.contains_key(&id);
                assert_eq!(c.update_metadata(&id, meta(g)).unwrap(), known);
                if let Some(r) = model.get_mut(&id) {
                    r.meta = meta(g);
                }
            }
            Op::Flush => c.flush().unwrap(),
            Op::Compact => c.compact().unwrap(),
            Op::Snapshot(n) => {
                let name = format!("s{n}");
                if snaps.contains_key(&name) {
                    c.delete_snapshot(&name).unwrap();
                }
                c.create_snapshot(&name).unwrap();
                snaps.insert(name, model.clone());
            }
            Op::Restore(n) => {
                let name = format!("s{n}");
                match snaps.get(&name) {
                    Some(m) => {
                        c.restore_snapshot(&name).unwrap();
                        model = m.clone();
                        dim_known = model.values().any(|r| r.vector.is_some()) || dim_known;
                    }
                    None => assert!(c.restore_snapshot(&name).is_err()),
                }
            }
            Op::Reopen { flush } => {
                // Reopen without sealing at close to exercise WAL replay.
                drop(c);
                drop(db);
                let _ = flush;
                (db, c) = open(dir.path(), flush);
            }
            Op::Query(v, k) => {
                check(&c, &model, &to_vec(v), k);
                continue;
            }
        }
        let _ = dim_known;
        check(&c, &model, &to_vec([1, 2, 3, 4]), 5);
    }
    // Finally: keyword search sees exactly the model's texts.
    let hits = c.keyword_query("alpha", 20, None).unwrap();
    let want = model
        .values()
        .filter(|r| r.text.as_deref().is_some_and(|t| t.contains("alpha")))
        .count();
    assert_eq!(hits.len(), want);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn store_matches_btreemap_model(ops in prop::collection::vec(op_strategy(), 1..40)) {
        run(ops);
    }
}

#[test]
fn fixed_sequence_with_every_op() {
    use Op::*;
    run(vec![
        Upsert(1, [1, 2, 3, 4], 1),
        IndexText(2, 0),
        Batch(vec![
            (3, [0, 0, 1, 0], 2),
            (1, [4, 3, 2, 1], 0),
            (4, [1, 1, 1, 1], 1),
        ]),
        Snapshot(0),
        Delete(1),
        Flush,
        Upsert(2, [2, 2, 2, 2], 2),
        UpdateMeta(3, 0),
        Reopen { flush: false },
        Compact,
        Restore(0),
        Query([1, 0, 0, 0], 3),
        Reopen { flush: true },
        Upsert(5, [5, 5, 5, 5], 1),
        Delete(4),
        Compact,
        Reopen { flush: false },
    ]);
}

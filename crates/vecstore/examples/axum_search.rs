//! A small search service on axum: the web use case of the async API.
//!
//! ```text
//! cargo run --example axum_search -p vecstore --features async -- ./search-data 127.0.0.1:3000
//! curl -s localhost:3000/collections/docs/upsert -H 'content-type: application/json' \
//!   -d '{"records":[{"id":"a","vector":[1,0,0],"metadata":{"lang":"en"},"text":"hello rust"}]}'
//! curl -s localhost:3000/collections/docs/query -H 'content-type: application/json' \
//!   -d '{"vector":[1,0,0],"k":3,"filter":"lang = '"'"'en'"'"'"}'
//! ```
//!
//! `POST /collections/{name}/upsert` takes `{"records": [Record]}` (creating the
//! collection on first use); `POST /collections/{name}/query` takes
//! `{"vector", "k", "filter"?: string, "keywords"?: string, "alpha"?: number}` and runs a
//! hybrid query when `keywords` is present. Bad input is a 400 with the error text,
//! an unknown collection a 404. Every handler shares one `AsyncVecDatabase` clone.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::post,
};
use serde::Deserialize;
use vecstore::{AsyncVecDatabase, Error, Filter, HybridQuery, Neighbor, Query, Record};

#[derive(Deserialize)]
struct UpsertBody {
    records: Vec<Record>,
}

#[derive(Deserialize)]
struct QueryBody {
    vector: Vec<f32>,
    k: usize,
    filter: Option<String>,
    keywords: Option<String>,
    alpha: Option<f32>,
}

type Reply<T> = Result<Json<T>, (StatusCode, String)>;

fn status(e: Error) -> (StatusCode, String) {
    let code = match e {
        Error::CollectionNotFound { .. } => StatusCode::NOT_FOUND,
        Error::Io { .. } | Error::Corruption { .. } | Error::TaskFailed { .. } => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    };
    (code, e.to_string())
}

async fn upsert(
    State(db): State<AsyncVecDatabase>,
    Path(name): Path<String>,
    Json(body): Json<UpsertBody>,
) -> Reply<serde_json::Value> {
    let coll = db.get_or_create_collection(&name).await.map_err(status)?;
    let n = body.records.len();
    coll.batch_upsert(body.records).await.map_err(status)?;
    Ok(Json(serde_json::json!({ "upserted": n })))
}

async fn query(
    State(db): State<AsyncVecDatabase>,
    Path(name): Path<String>,
    Json(body): Json<QueryBody>,
) -> Reply<Vec<Neighbor>> {
    let coll = db
        .get_collection(&name)
        .await
        .map_err(status)?
        .ok_or_else(|| status(Error::CollectionNotFound { name: name.clone() }))?;
    let filter = body
        .filter
        .as_deref()
        .map(Filter::parse)
        .transpose()
        .map_err(status)?;
    let hits = match body.keywords {
        Some(keywords) => {
            coll.hybrid_query(HybridQuery {
                vector: body.vector,
                keywords,
                k: body.k,
                filter,
                alpha: body.alpha.unwrap_or(0.5),
            })
            .await
        }
        None => {
            coll.query(Query {
                vector: body.vector,
                k: body.k,
                filter,
            })
            .await
        }
    };
    hits.map(Json).map_err(status)
}

/// The service's routes over one database handle.
fn app(db: AsyncVecDatabase) -> Router {
    Router::new()
        .route("/collections/{name}/upsert", post(upsert))
        .route("/collections/{name}/query", post(query))
        .with_state(db)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "./search-data".into());
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:3000".into());
    let db = AsyncVecDatabase::open(&dir).await?;
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    // The integration test reads this line to learn the port when given port 0.
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(db)).await?;
    Ok(())
}

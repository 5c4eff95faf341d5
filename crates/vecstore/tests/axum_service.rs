//! Runs the `axum_search` example binary on a loopback port and talks HTTP to it.
#![cfg(feature = "async")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn example_binary() -> std::path::PathBuf {
    // Test binaries live in target/<profile>/deps; examples in target/<profile>/examples.
    let exe = std::env::current_exe().expect("current exe");
    let profile_dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = profile_dir.join("examples").join("axum_search");
    assert!(
        bin.exists(),
        "{} missing: cargo test builds examples first",
        bin.display()
    );
    bin
}

fn post(addr: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let code = resp[9..12].parse().unwrap();
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (code, body)
}

#[test]
fn search_service_over_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(example_binary())
        .arg(dir.path())
        .arg("127.0.0.1:0")
        .stdout(Stdio::piped())
        .spawn()
        .expect("start example");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _server = Server(child);
    let addr = line
        .trim()
        .trim_start_matches("listening on http://")
        .to_string();

    let (code, body) = post(
        &addr,
        "/collections/docs/upsert",
        r#"{"records":[
            {"id":"a","vector":[1,0,0],"metadata":{"lang":"en"},"text":"rust programming"},
            {"id":"b","vector":[0,1,0],"metadata":{"lang":"de"},"text":"kochen mit knoblauch"},
            {"id":"c","vector":[0.9,0.1,0],"metadata":{"lang":"de"}}]}"#,
    );
    assert_eq!(code, 200, "{body}");

    let (code, body) = post(
        &addr,
        "/collections/docs/query",
        r#"{"vector":[1,0,0],"k":2}"#,
    );
    assert_eq!(code, 200, "{body}");
    let hits: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0]["id"], "a");
    assert_eq!(hits[1]["id"], "c");

    let (code, body) = post(
        &addr,
        "/collections/docs/query",
        r#"{"vector":[1,0,0],"k":5,"filter":"lang = 'de'"}"#,
    );
    assert_eq!(code, 200, "{body}");
    let hits: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0]["id"], "c");

    let (code, body) = post(
        &addr,
        "/collections/docs/query",
        r#"{"vector":[0,1,0],"k":1,"keywords":"rust","alpha":0.2}"#,
    );
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"a\""), "{body}");

    // Bad input: wrong dimension → 400 naming the values; unknown collection → 404.
    let (code, body) = post(
        &addr,
        "/collections/docs/query",
        r#"{"vector":[1,0],"k":2}"#,
    );
    assert_eq!(code, 400);
    assert!(body.contains("expected 3, got 2"), "{body}");
    let (code, _) = post(
        &addr,
        "/collections/nope/query",
        r#"{"vector":[1,0,0],"k":2}"#,
    );
    assert_eq!(code, 404);
    let (code, body) = post(
        &addr,
        "/collections/docs/query",
        r#"{"vector":[1,0,0],"k":2,"filter":"lang = "}"#,
    );
    assert_eq!(code, 400);
    assert!(body.contains("byte"), "{body}");
}

//! Monitoring: the store size in /metrics, and JSON logs for log shippers.

use crate::common::TestServer;
use crate::common::process::salas;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn metrics_report_the_size_of_the_store() {
    if crate::common::postgres::redb_only() {
        return;
    }
    let s = TestServer::start().await;
    let size = || std::fs::metadata(s.data_dir().join("salas.redb")).unwrap().len();
    // Background jobs may grow the file while the request runs: the gauge lies between.
    let before = size();
    let res = s.anonymous().get("/metrics").await;
    let after = size();
    let text = res.body.as_str().unwrap_or_default().to_string();
    let line = text.lines().find(|l| l.starts_with("salas_store_size_bytes ")).expect("store size gauge");
    let bytes: u64 = line.split(' ').nth(1).unwrap().parse().unwrap();
    assert!((before..=after).contains(&bytes), "{bytes} bytes, the file {before} then {after}");
    assert!(text.contains("# TYPE salas_store_size_bytes gauge"));
    let _data = s.stop().await;
}

#[test]
fn log_format_json_flag_writes_one_json_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = salas()
        .args(["serve", "--log-format", "json", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("SALAS_LOG_FORMAT", "text") // the flag wins over the environment
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        let message = value["fields"]["message"].as_str().unwrap_or_default().to_string();
        seen.push(message.clone());
        if message.contains("listening on http://") {
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    assert!(seen.iter().any(|m| m.contains("listening on")), "{seen:?}");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success());

    let out = salas().args(["serve", "--log-format", "xml"]).output().unwrap();
    assert!(!out.status.success());
}

//! The API fuzzed from its own OpenAPI document with schemathesis (PyPI; `.ci/run` installs it):
//! generated requests, valid and invalid, must never get a 5xx nor an answer (status, content type
//! or body) the document does not describe.

use crate::common::TestServer;
use std::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_undocumented_answer() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    admin.create_room("Fuzz room", 6).await;
    let token = admin.token.clone().unwrap();
    let url = format!("{}/api/openapi.json", s.url);
    let out = tokio::task::spawn_blocking(move || {
        Command::new("st")
            .args(["run", &url, "-H", &format!("Authorization: Bearer {token}")])
            .args(["--max-examples", "8", "--seed", "1", "--workers", "2", "--no-color"])
            // The stateful phase follows links schemathesis infers by guessing, which trip over
            // unrelated parameters; the three phases here send every operation its own requests.
            .args(["--phases", "examples,coverage,fuzzing"])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            ])
            .output()
            .expect("schemathesis's `st` command runs (pip install schemathesis)")
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(report.contains("passed"), "{report}");
    s.stop().await;
}

//! Resources (equipment) through the API, and rooms that name them by name or by id.

use crate::common::TestServer;
use crate::support::{assert_invalid, assert_problem, ids};
use serde_json::json;

#[tokio::test]
async fn resource_crud() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let res = admin.post("/api/v1/resources", json!({"name": "Proyector", "description": "HDMI y USB-C"})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let id = res.body["id"].as_str().unwrap().to_string();
    assert_eq!(res.header("location"), Some(format!("/api/v1/resources/{id}").as_str()));
    assert_eq!(res.body["name"], "Proyector");
    assert_eq!(res.body["description"], "HDMI y USB-C");

    let got = admin.get(&format!("/api/v1/resources/{id}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, res.body);

    let other = admin.post("/api/v1/resources", json!({"name": "Pizarra"})).await;
    assert_eq!(other.status, 201, "{}", other.body);
    assert_eq!(other.body["description"], "");
    let other = other.body["id"].as_str().unwrap().to_string();
    assert_eq!(ids(&admin.get("/api/v1/resources").await.body), vec![other.clone(), id.clone()], "by name");

    let res = admin.patch(&format!("/api/v1/resources/{id}"), json!({"description": "Solo HDMI"})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["name"], "Proyector");
    assert_eq!(res.body["description"], "Solo HDMI");
    let res = admin.patch(&format!("/api/v1/resources/{id}"), json!({"name": "Proyector 4K"})).await;
    assert_eq!(res.body["name"], "Proyector 4K");
    assert_eq!(admin.get(&format!("/api/v1/resources/{id}")).await.body["name"], "Proyector 4K");

    assert_problem(&admin.post("/api/v1/resources", json!({"name": "pizarra"})).await, 409);
    assert_problem(&admin.patch(&format!("/api/v1/resources/{id}"), json!({"name": "Pizarra"})).await, 409);
    assert_invalid(&admin.post("/api/v1/resources", json!({"name": "  "})).await, "name");

    let res = admin.delete(&format!("/api/v1/resources/{id}")).await;
    assert_eq!(res.status, 204, "{}", res.body);
    assert_problem(&admin.get(&format!("/api/v1/resources/{id}")).await, 404);
    assert_problem(&admin.delete(&format!("/api/v1/resources/{id}")).await, 404);
    assert_problem(&admin.patch(&format!("/api/v1/resources/{id}"), json!({"name": "x"})).await, 404);
    assert_eq!(ids(&admin.get("/api/v1/resources").await.body), vec![other]);
    s.stop().await;
}

#[tokio::test]
async fn rooms_take_resources_by_name_or_id_and_lose_deleted_ones() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let projector =
        admin.post("/api/v1/resources", json!({"name": "Projector"})).await.body["id"].as_str().unwrap().to_string();
    let board =
        admin.post("/api/v1/resources", json!({"name": "Whiteboard"})).await.body["id"].as_str().unwrap().to_string();

    // By name (any case), by id, and a repeat of the same resource counted once.
    let body = json!({"name": "Equipada", "capacity": 6, "resources": ["projector", board, "PROJECTOR"]});
    let res = admin.post("/api/v1/rooms", body).await;
    assert_eq!(res.status, 201, "{}", res.body);
    let room = res.body["id"].as_str().unwrap().to_string();
    assert_eq!(res.body["resources"], json!([projector, board]));

    let plain = admin.create_room("Sin equipo", 6).await;
    let res = admin.patch(&format!("/api/v1/rooms/{plain}"), json!({"resources": ["Whiteboard"]})).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.body["resources"], json!([board]));

    // Deleting a resource takes it off every room that had it (a new version of the room).
    let before = admin.get(&format!("/api/v1/rooms/{room}")).await.body["version"].as_u64().unwrap();
    assert_eq!(admin.delete(&format!("/api/v1/resources/{board}")).await.status, 204);
    let got = admin.get(&format!("/api/v1/rooms/{room}")).await;
    assert_eq!(got.body["resources"], json!([projector]));
    assert!(got.body["version"].as_u64().unwrap() > before, "{}", got.body);
    assert_eq!(admin.get(&format!("/api/v1/rooms/{plain}")).await.body["resources"], json!([]));
    s.stop().await;
}

#[tokio::test]
async fn unknown_resources_are_named_by_position() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    assert_eq!(admin.post("/api/v1/resources", json!({"name": "Projector"})).await.status, 201);

    let res = admin.post("/api/v1/rooms", json!({"name": "R", "capacity": 4, "resources": ["Teleporter"]})).await;
    assert_invalid(&res, "resources[0]");
    let res = admin
        .post("/api/v1/rooms", json!({"name": "R", "capacity": 4, "resources": ["Projector", "Teleporter"]}))
        .await;
    assert_invalid(&res, "resources[1]");
    assert!(!res.error_fields().contains(&"resources[0]".to_string()), "{}", res.body);
    let missing = uuid::Uuid::now_v7().to_string();
    let res = admin.post("/api/v1/rooms", json!({"name": "R", "capacity": 4, "resources": [missing]})).await;
    assert_invalid(&res, "resources[0]");
    assert_eq!(admin.get("/api/v1/rooms").await.body, json!([]), "nothing was created");

    let room = admin.create_room("R", 4).await;
    let res = admin.patch(&format!("/api/v1/rooms/{room}"), json!({"resources": ["Teleporter"]})).await;
    assert_invalid(&res, "resources[0]");
    s.stop().await;
}

//! Listing reservations: by room, by user, `mine`, by window, and paging through `Link`.

use crate::common::{TestServer, at};
use crate::support::{assert_invalid, book_with, booked, enc, ids, parse_time, t};
use serde_json::json;
use std::collections::HashSet;

#[tokio::test]
async fn filters_by_room_user_mine_and_window() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let member = s.user("member").await;
    let viewer = s.user("viewer").await;
    let r1 = admin.create_room("Uno", 6).await;
    let r2 = admin.create_room("Dos", 6).await;
    let m1 = booked(&member, &r1, &at(2, 9), &at(2, 10)).await;
    let m2 = booked(&member, &r2, &at(4, 9), &at(4, 10)).await;
    let a1 = booked(&admin, &r1, &at(3, 9), &at(3, 10)).await;
    // Booked by the admin for the member: it is the member's.
    let res = book_with(&admin, &r2, &at(5, 9), &at(5, 10), json!({"user_id": member.id})).await;
    assert_eq!(res.status, 201, "{}", res.body);
    assert_eq!(res.body["user_id"], member.id.as_str());
    assert_eq!(res.body["created_by"], admin.id.as_str());
    let m3 = res.body["id"].as_str().unwrap().to_string();

    let all = admin.get("/api/v1/reservations").await;
    assert_eq!(all.status, 200);
    assert_eq!(ids(&all.body), vec![m1.clone(), a1.clone(), m2.clone(), m3.clone()], "start order");

    assert_eq!(ids(&admin.get(&format!("/api/v1/reservations?room_id={r1}")).await.body), vec![m1.clone(), a1.clone()]);
    assert_eq!(ids(&admin.get(&format!("/api/v1/reservations?room_id={r2}")).await.body), vec![m2.clone(), m3.clone()]);

    let mine = member.get("/api/v1/reservations?mine=true").await;
    assert_eq!(ids(&mine.body), vec![m1.clone(), m2.clone(), m3.clone()]);
    assert_eq!(ids(&admin.get("/api/v1/reservations?mine=true").await.body), vec![a1.clone()]);
    assert_eq!(viewer.get("/api/v1/reservations?mine=true").await.body, json!([]));

    let by_user = admin.get(&format!("/api/v1/reservations?user_id={}", member.id)).await;
    assert_eq!(ids(&by_user.body), vec![m1.clone(), m2.clone(), m3.clone()]);
    let combined = admin.get(&format!("/api/v1/reservations?user_id={}&room_id={r2}", member.id)).await;
    assert_eq!(ids(&combined.body), vec![m2.clone(), m3.clone()]);

    // Window: reservations ending after `from` and starting before `to`.
    let q = format!("/api/v1/reservations?from={}&to={}", enc(&at(3, 0)), enc(&at(4, 23)));
    assert_eq!(ids(&admin.get(&q).await.body), vec![a1.clone(), m2.clone()]);
    // Touching the window's edges is outside it.
    let q = format!("/api/v1/reservations?from={}&to={}", enc(&at(2, 10)), enc(&at(3, 9)));
    assert_eq!(admin.get(&q).await.body, json!([]));
    // Overlapping an edge is inside.
    let half_past = (t(&at(2, 9)) + chrono::Duration::minutes(30)).to_rfc3339();
    let q = format!("/api/v1/reservations?from={}&to={}", enc(&half_past), enc(&at(3, 9)));
    assert_eq!(ids(&admin.get(&q).await.body), vec![m1.clone()]);
    let q = format!("/api/v1/reservations?from={}&room_id={r2}", enc(&at(4, 30)));
    assert_eq!(ids(&admin.get(&q).await.body), vec![m3.clone()], "from alone");
    let q = format!("/api/v1/reservations?to={}", enc(&at(3, 0)));
    assert_eq!(ids(&admin.get(&q).await.body), vec![m1.clone()], "to alone");

    // Viewers read reservations too.
    assert_eq!(ids(&viewer.get(&format!("/api/v1/reservations?room_id={r1}")).await.body), vec![m1, a1]);

    let bad = admin.get(&format!("/api/v1/reservations?from={}&to={}", enc(&at(4, 0)), enc(&at(3, 0)))).await;
    assert_invalid(&bad, "to");
    assert_invalid(&admin.get("/api/v1/reservations?from=tomorrow").await, "from");
    assert_invalid(&admin.get("/api/v1/reservations?room_id=nope").await, "room_id");
    assert_invalid(&admin.get("/api/v1/reservations?mine=perhaps").await, "mine");
    s.stop().await;
}

#[tokio::test]
async fn paging_follows_link_next_until_exhausted() {
    let s = TestServer::start().await;
    let admin = s.admin().await;
    let room = admin.create_room("Paginada", 6).await;
    let noise = admin.create_room("Otra", 6).await;
    let mut want = Vec::new();
    for i in 0..11 {
        want.push(booked(&admin, &room, &at(1 + i / 5, 8 + i % 5), &at(1 + i / 5, 9 + i % 5)).await);
        booked(&admin, &noise, &at(1 + i / 5, 8 + i % 5), &at(1 + i / 5, 9 + i % 5)).await;
    }
    let mut path = format!("/api/v1/reservations?room_id={room}&limit=4");
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    loop {
        let res = admin.get(&path).await;
        assert_eq!(res.status, 200, "{path}: {}", res.body);
        let page = ids(&res.body);
        pages.push(page.len());
        seen.extend(page);
        let Some(link) = res.header("link") else {
            assert!(res.header("x-next-cursor").is_none());
            break;
        };
        assert!(link.ends_with("rel=\"next\""), "{link}");
        let next = link.split('>').next().unwrap().trim_start_matches('<').to_string();
        assert!(next.contains("limit=4") && next.contains(&format!("room_id={room}")), "keeps the query: {next}");
        assert!(pages.len() < 10, "paging does not end");
        path = next;
    }
    assert_eq!(pages, vec![4, 4, 3]);
    assert_eq!(seen, want, "every reservation once, in start order");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len(), "no duplicates");

    // Unfiltered: the two rooms' reservations start at identical instants, and a page boundary
    // between such twins must neither skip nor repeat one.
    let mut path = "/api/v1/reservations?limit=3".to_string();
    let mut seen = Vec::new();
    let mut last_start = None;
    for _ in 0..20 {
        let res = admin.get(&path).await;
        for r in res.body.as_array().unwrap() {
            let start = parse_time(&r["start"]);
            assert!(last_start.is_none_or(|l| l <= start), "start order across pages");
            last_start = Some(start);
            seen.push(r["id"].as_str().unwrap().to_string());
        }
        match res.header("link") {
            Some(link) => path = link.split('>').next().unwrap().trim_start_matches('<').to_string(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 22);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 22, "no duplicates");

    // An exact multiple of the page size ends without an empty page's link loop.
    let res = admin.get(&format!("/api/v1/reservations?room_id={room}&limit=11")).await;
    assert_eq!(ids(&res.body).len(), 11);
    assert!(res.header("link").is_none(), "nothing after the last page");

    assert_invalid(&admin.get("/api/v1/reservations?limit=0").await, "limit");
    assert_invalid(&admin.get("/api/v1/reservations?limit=501").await, "limit");
    assert_invalid(&admin.get("/api/v1/reservations?cursor=garbage").await, "cursor");
    s.stop().await;
}

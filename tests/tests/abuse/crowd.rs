//! Abuse cases: a crowd of ordinary members doing the same thing at the same moment.
//!
//! On the embedded SQLite default a write transaction that first reads and then writes must upgrade
//! its read snapshot to the write lock; when another member committed in between, SQLite refuses
//! at once (`SQLITE_BUSY_SNAPSHOT`) and the member got a 503. Write transactions now start as
//! writes and queue; these tests keep it so.

use std::collections::HashSet;

use serde_json::{Value, json};

use app::clock::Clock;

use crate::support::*;

/// A cell of the demo's first commune other than the one of `bithu`: its secretary's token and
/// its members' usernames (party-card number, or `dv` + the serial that ends the CCCD for a
/// probationary member, as the demo issues them).
async fn cell_members(s: &Server, admin: &str, cell_index: usize) -> (String, Vec<String>) {
    let xa = token(s.addr, "bithu.xa", api::demo::DEMO_PASSWORD).await;
    let (_, _, me) = http(s.addr, "GET", "/api/v1/me", Some(&xa), None).await;
    let commune = me["positions"][0]["unit_id"].as_str().expect("commune").to_string();
    let (_, _, cells) = http(s.addr, "GET", &format!("/api/v1/org-units/{commune}/children"), Some(admin), None).await;
    let cells = cells.as_array().expect("cells").clone();
    let cell = cells[cell_index]["id"].as_str().expect("cell id").to_string();
    let (status, _, roster) = http(s.addr, "GET", &format!("/api/v1/org-units/{cell}/members?limit=200"), Some(admin), None).await;
    assert_eq!(status, 200, "{roster}");
    let mut secretary = None;
    let mut usernames = Vec::new();
    for m in roster["items"].as_array().expect("items") {
        let username = match m["party_card_number"].as_str() {
            Some(card) => card.to_string(),
            None => format!("dv{}", &m["citizen_id"].as_str().expect("cccd")[6..]),
        };
        if m["positions"].as_array().is_some_and(|p| p.iter().any(|p| p["role"] == "secretary" && p["unit_id"].as_str() == Some(&cell))) {
            secretary = Some(username.clone());
        }
        if m["exempt_since"].is_null() {
            usernames.push(username);
        }
    }
    (cell, {
        usernames.insert(0, secretary.expect("the cell has a secretary"));
        usernames
    })
}

async fn tokens(s: &Server, usernames: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for u in usernames {
        out.push(token(s.addr, u, api::demo::DEMO_PASSWORD).await);
    }
    out
}

fn no_server_errors(what: &str, replies: &[(u16, String, Value)]) {
    let failed: Vec<_> = replies.iter().filter(|r| r.0 >= 500).map(|r| (r.0, r.2.clone())).collect();
    assert!(failed.is_empty(), "{what}: {} of {} answered 5xx: {failed:?}", failed.len(), replies.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_members_read_check_in_start_and_submit_quizzes_give_opinions_vote_and_rate_at_once() {
    let s = start_demo().await;
    let admin = token(s.addr, "quantri.tinh", api::demo::DEMO_PASSWORD).await;
    let (cell, mut crowd) = cell_members(&s, &admin, 1).await;
    let (_, more) = cell_members(&s, &admin, 2).await;
    let secretary = crowd.remove(0);
    let in_cell = crowd.len();
    crowd.extend(more.into_iter().skip(1));
    crowd.truncate(32);
    assert!(crowd.len() >= 32 && in_cell >= 16, "a crowd of 32, at least 16 of them in the meeting's cell");
    let crowd = tokens(&s, &crowd).await;
    let secretary = token(s.addr, &secretary, api::demo::DEMO_PASSWORD).await;

    // A directive just published to the province: nobody has read it yet.
    let (_, _, top) = http(s.addr, "GET", "/api/v1/org-units", Some(&admin), None).await;
    let province = top[0]["id"].as_str().expect("province").to_string();
    let (status, _, doc) = http(
        s.addr,
        "POST",
        &format!("/api/v1/org-units/{province}/documents"),
        Some(&admin),
        Some(json!({"kind": "directive", "number": "99-CT/TU", "title": "Chỉ thị mới", "summary": "Tóm tắt", "body": "Nội dung"})),
    )
    .await;
    assert_eq!(status, 201, "{doc}");
    let doc = doc["id"].as_str().expect("doc").to_string();
    let (status, _, body) = http(s.addr, "POST", &format!("/api/v1/documents/{doc}/publish"), Some(&admin), None).await;
    assert_eq!(status, 200, "{body}");

    // The cell's meeting, opened.
    let starts_at = s.clock.now() + chrono::Duration::minutes(5);
    let (status, _, meeting) = http(
        s.addr,
        "POST",
        &format!("/api/v1/org-units/{cell}/meetings"),
        Some(&secretary),
        Some(json!({"kind": "thematic", "title": "Sinh hoạt chuyên đề", "starts_at": starts_at, "planned_minutes": 90, "location": "Hội trường", "use_template": true})),
    )
    .await;
    assert_eq!(status, 201, "{meeting}");
    let meeting = meeting["id"].as_str().expect("meeting").to_string();
    for action in ["publish", "open"] {
        let (status, _, body) = http(s.addr, "POST", &format!("/api/v1/meetings/{meeting}/{action}"), Some(&secretary), None).await;
        assert_eq!(status, 200, "{action}: {body}");
    }

    // The province quiz.
    let (_, _, quizzes) = http(s.addr, "GET", "/api/v1/quizzes?open=true", Some(&crowd[0]), None).await;
    let quiz = quizzes[0]["id"].as_str().expect("quiz").to_string();

    // Everyone at once: the first read, the check-in (members of the cell), a quiz start.
    let mut calls = Vec::new();
    for (i, t) in crowd.iter().enumerate() {
        let addr = s.addr;
        let t = t.clone();
        let paths = [
            Some(("GET", format!("/api/v1/documents/{doc}"))),
            (i < in_cell).then(|| ("POST", format!("/api/v1/meetings/{meeting}/check-in"))),
            Some(("POST", format!("/api/v1/quizzes/{quiz}/attempts"))),
        ];
        for (method, path) in paths.into_iter().flatten() {
            let t = t.clone();
            calls.push(tokio::spawn(async move { (path.clone(), http(addr, method, &path, Some(&t), None).await) }));
        }
    }
    let mut reads = Vec::new();
    let mut check_ins = Vec::new();
    let mut starts = Vec::new();
    for c in calls {
        let (path, reply) = c.await.expect("task");
        if path.ends_with("/check-in") {
            check_ins.push(reply);
        } else if path.ends_with("/attempts") {
            starts.push(reply);
        } else {
            reads.push(reply);
        }
    }
    no_server_errors("first reads", &reads);
    no_server_errors("check-ins", &check_ins);
    no_server_errors("quiz starts", &starts);
    assert!(reads.iter().all(|r| r.0 == 200), "every member reads the directive");
    assert!(check_ins.iter().all(|r| r.0 == 200 && r.2["recorded"] == true), "every check-in is recorded: {check_ins:?}");
    assert!(starts.iter().all(|r| r.0 == 201), "every member starts an attempt: {:?}", starts.iter().map(|r| r.0).collect::<Vec<_>>());
    let attempts: HashSet<&str> = starts.iter().filter_map(|r| r.2["id"].as_str()).collect();
    assert_eq!(attempts.len(), crowd.len(), "one attempt each");

    // Exactly the intended effect: one read each, one attendance each.
    let (_, _, stats) = http(s.addr, "GET", &format!("/api/v1/documents/{doc}/read-stats?unit_id={province}"), Some(&admin), None).await;
    assert_eq!(stats["read"], json!(crowd.len()), "{stats}");
    let (_, _, attendance) = http(s.addr, "GET", &format!("/api/v1/meetings/{meeting}/attendance"), Some(&secretary), None).await;
    assert_eq!(attendance["figures"]["present"], json!(in_cell), "{attendance}");

    // Second wave, at once: the cell's opinions and votes on a motion, everyone's quiz submission.
    let (status, _, motion) = http(
        s.addr,
        "POST",
        &format!("/api/v1/meetings/{meeting}/motions"),
        Some(&secretary),
        Some(json!({"title": "Thông qua nghị quyết chuyên đề", "by_ballot": true})),
    )
    .await;
    assert_eq!(status, 201, "{motion}");
    let motion = motion["id"].as_str().expect("motion").to_string();
    let mut calls = Vec::new();
    for (i, (t, attempt)) in crowd.iter().zip(&starts).enumerate() {
        let n = attempt.2["questions"].as_array().map_or(0, Vec::len);
        let mut requests = vec![(
            "submit",
            format!("/api/v1/attempts/{}/submit", attempt.2["id"].as_str().unwrap_or_default()),
            json!({"answers": vec![vec![0usize]; n]}),
        )];
        if i < in_cell {
            requests.push(("comment", format!("/api/v1/meetings/{meeting}/comments"), json!({"body": format!("Ý kiến số {i}")})));
            requests.push(("vote", format!("/api/v1/motions/{motion}/votes"), json!({"vote": "agree"})));
        }
        for (what, path, body) in requests {
            let (addr, t) = (s.addr, t.clone());
            calls.push(tokio::spawn(async move { (what, http(addr, "POST", &path, Some(&t), Some(body)).await) }));
        }
    }
    let mut replies: std::collections::HashMap<&str, Vec<(u16, String, Value)>> = Default::default();
    for c in calls {
        let (what, reply) = c.await.expect("task");
        replies.entry(what).or_default().push(reply);
    }
    for (what, list) in &replies {
        no_server_errors(what, list);
    }
    assert!(replies["submit"].iter().all(|r| r.0 == 200 && r.2["submitted_at"].is_string()), "every submission is scored");
    assert!(replies["comment"].iter().all(|r| r.0 == 201), "every opinion is kept");
    assert!(replies["vote"].iter().all(|r| r.0 == 200), "every vote is counted");
    let (_, _, comments) = http(s.addr, "GET", &format!("/api/v1/meetings/{meeting}/comments"), Some(&secretary), None).await;
    assert_eq!(comments["items"].as_array().map(Vec::len), Some(in_cell), "{comments}");
    let (_, _, motions) = http(s.addr, "GET", &format!("/api/v1/meetings/{meeting}/motions"), Some(&secretary), None).await;
    assert_eq!(motions[0]["agree"], json!(in_cell), "{motions}");

    // After the meeting, the cell rates it at once.
    let (status, _, body) = http(s.addr, "POST", &format!("/api/v1/meetings/{meeting}/end"), Some(&secretary), None).await;
    assert_eq!(status, 200, "{body}");
    let ratings: Vec<_> = crowd[..in_cell]
        .iter()
        .map(|t| {
            let (addr, t, path) = (s.addr, t.clone(), format!("/api/v1/meetings/{meeting}/ratings"));
            tokio::spawn(async move {
                http(addr, "POST", &path, Some(&t), Some(json!({"preparation": 5, "content": 4, "discussion": 5}))).await
            })
        })
        .collect();
    let mut rated = Vec::new();
    for r in ratings {
        rated.push(r.await.expect("task"));
    }
    no_server_errors("ratings", &rated);
    assert!(rated.iter().all(|r| r.0 == 201), "every rating is kept: {:?}", rated.iter().map(|r| r.0).collect::<Vec<_>>());
}

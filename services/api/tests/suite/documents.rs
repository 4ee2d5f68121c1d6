//! Documents API tests: audiences, search without diacritics, read receipts, withdrawal,
//! attachments, bookmarks, escalation. Run on SQLite, and on PostgreSQL when `TEST_DATABASE_URL`
//! is set.

use crate::common::{Reply, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

fn doc(number: &str, title: &str, extra: Value) -> Value {
    let mut body = json!({"kind": "resolution", "number": number, "title": title, "summary": "Tóm tắt", "body": "Nội dung về công tác xây dựng Đảng và đảng viên."});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body
}

async fn issue(t: &TestApp, token: &str, unit: &str, body: Value) -> String {
    let id = t.post(&format!("/api/v1/org-units/{unit}/documents"), token, body).await.expect(StatusCode::CREATED).id();
    t.call(Method::POST, &format!("/api/v1/documents/{id}/publish"), Some(token), None).await.expect(StatusCode::OK);
    id
}

fn ids(r: &Reply) -> Vec<String> {
    r.body["items"].as_array().unwrap().iter().map(|d| d["id"].as_str().unwrap().to_string()).collect()
}

async fn search(t: &TestApp, token: &str, q: &str) -> Vec<String> {
    let url = format!("/api/v1/documents?q={}", urlencode(q));
    ids(&t.get(&url, token).await.expect(StatusCode::OK))
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn audience_feed_and_search_never_leak() {
    let t = TestApp::new().await;
    let w = t.world().await;
    // Only the issuing unit's own leaders (and administrators) draft.
    t.post(&format!("/api/v1/org-units/{}/documents", w.c1), &w.sec.1, doc("01-NQ/ĐU", "x", json!({})))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/org-units/{}/documents", w.c1), &w.m1.1, doc("01-NQ/ĐU", "x", json!({})))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    let bad = json!({"kind": "memo", "title": "", "number": "abc", "audience_unit_ids": [w.x]});
    let r = t
        .post(&format!("/api/v1/org-units/{}/documents", w.c1), &w.csec.1, bad)
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(r.body["errors"].as_array().unwrap().len(), 4, "{}", r.body);

    let nq = issue(&t, &w.csec.1, &w.c1, doc("05-NQ/ĐU", "Nghị quyết về phát triển đảng viên", json!({"tags": ["Xây dựng Đảng"]}))).await;
    let news =
        issue(&t, &w.padm.1, &w.c2, json!({"kind": "news", "title": "Tin tức xã Thanh Tân: nghị quyết mới", "body": "đảng viên"})).await;
    t.post(&format!("/api/v1/org-units/{}/documents", w.c1), &w.csec.1, doc("05-NQ/ĐU", "Trùng số", json!({})))
        .await
        .expect_problem(StatusCode::CONFLICT, "duplicate_document_number");
    let draft = t
        .post(&format!("/api/v1/org-units/{}/documents", w.c1), &w.csec.1, doc("06-NQ/ĐU", "Nghị quyết dự thảo", json!({})))
        .await
        .expect(StatusCode::CREATED)
        .id();

    // The feed: a member of A sees C1's document, not C2's news nor the draft.
    let feed = t.get("/api/v1/documents", &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(ids(&feed), vec![nq.clone()]);
    assert_eq!(ids(&t.get("/api/v1/documents", &w.x1.1).await.expect(StatusCode::OK)), vec![news.clone()]);
    let manager_feed = ids(&t.get("/api/v1/documents", &w.csec.1).await.expect(StatusCode::OK));
    assert!(manager_feed.contains(&draft) && manager_feed.contains(&nq), "the issuer's leaders see their drafts");

    // Search ignores diacritics and case, ranks exact diacritics higher, never leaks.
    for q in ["nghi quyet", "NGHỊ QUYẾT 05", "dang vien", "Đảng viên", "xay dung dang", "05-NQ/ĐU"] {
        assert_eq!(search(&t, &w.m1.1, q).await, vec![nq.clone()], "member of A searching {q:?}");
        assert!(!search(&t, &w.x1.1, q).await.contains(&nq), "member of C2 searching {q:?}");
    }
    assert_eq!(search(&t, &w.x1.1, "nghi quyet").await, vec![news.clone()]);
    assert!(search(&t, &w.m1.1, "không có từ này").await.is_empty());
    t.get(&format!("/api/v1/documents/{nq}"), &w.x1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/documents/{draft}"), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get("/api/v1/documents?kind=memo", &w.m1.1).await.expect_problem(StatusCode::BAD_REQUEST, "invalid_query");
    let by_kind = t.get("/api/v1/documents?kind=news", &w.m1.1).await.expect(StatusCode::OK);
    assert!(ids(&by_kind).is_empty());

    // Both members see the ranking of their own results only; the bootstrap admin sees all.
    let all = search(&t, &w.admin, "nghi quyet").await;
    assert!(all.contains(&nq) && all.contains(&news) && all.contains(&draft));
    // Exact diacritics rank higher: a title with "nghị quyết" beats one without marks.
    let plain = issue(&t, &w.csec.1, &w.c1, doc("07-NQ/ĐU", "Nghi quyet (ban khong dau)", json!({}))).await;
    assert_eq!(search(&t, &w.m1.1, "nghị quyết").await, vec![nq.clone(), plain.clone()]);
}

#[tokio::test]
async fn draft_edits_follow_the_if_match_rule() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let created = t
        .post(&format!("/api/v1/org-units/{}/documents", w.c1), &w.csec.1, doc("20-NQ/ĐU", "Dự thảo nghị quyết", json!({})))
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(created.headers[header::ETAG], "\"1\"");
    let url = format!("/api/v1/documents/{}", created.id());
    t.check_if_match_rule(
        &url,
        &w.csec.1,
        (doc("20-NQ/ĐU", "Dự thảo sửa lần một", json!({})), "/title", json!("Dự thảo sửa lần một")),
        (doc("20-NQ/ĐU", "Dự thảo sửa lần hai", json!({})), "/title", json!("Dự thảo sửa lần hai")),
    )
    .await;
    // Members of the audience cannot edit, whatever the tag.
    t.patch(&url, &w.m1.1, Some("\"3\""), doc("20-NQ/ĐU", "x", json!({}))).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn roles_transfers_receipts_and_withdrawal() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let leaders_only =
        issue(&t, &w.csec.1, &w.c1, doc("10-CT/ĐU", "Chỉ thị cho bí thư", json!({"kind": "directive", "roles": ["secretary"]}))).await;
    t.get(&format!("/api/v1/documents/{leaders_only}"), &w.sec.1).await.expect(StatusCode::OK);
    t.get(&format!("/api/v1/documents/{leaders_only}"), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    assert!(!ids(&t.get("/api/v1/documents", &w.m1.1).await).contains(&leaders_only));

    // Addressed to cell A only.
    let for_a = issue(
        &t,
        &w.csec.1,
        &w.c1,
        doc("11-TB/ĐU", "Thông báo chi bộ thôn Đông", json!({"kind": "notice", "audience_unit_ids": [w.a], "required": true})),
    )
    .await;
    t.get(&format!("/api/v1/documents/{for_a}"), &w.b1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    let first = t.get(&format!("/api/v1/documents/{for_a}"), &w.m1.1).await.expect(StatusCode::OK);
    let again = t.get(&format!("/api/v1/documents/{for_a}"), &w.m1.1).await.expect(StatusCode::OK);
    assert!(first.body["read_at"].is_string());
    assert_eq!(first.body["read_at"], again.body["read_at"], "the first read time is kept");
    let unread_feed = t.get("/api/v1/documents?unread=true&required=true", &w.m1.1).await.expect(StatusCode::OK);
    assert!(!ids(&unread_feed).contains(&for_a));

    let readers = |token: String, unit: String, status: &'static str| {
        let t = &t;
        let for_a = for_a.clone();
        async move { t.get(&format!("/api/v1/documents/{for_a}/readers?unit_id={unit}&status={status}"), &token).await }
    };
    let unread = readers(w.sec.1.clone(), w.a.clone(), "unread").await.expect(StatusCode::OK);
    let names: Vec<_> = unread.body.as_array().unwrap().iter().map(|r| r["member_id"].as_str().unwrap().to_string()).collect();
    assert!(!names.contains(&w.m1.0) && names.contains(&w.sec.0));
    readers(w.m1.1.clone(), w.a.clone(), "all").await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    readers(w.sec.1.clone(), w.b.clone(), "all").await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    readers(w.padm.1.clone(), w.c2.clone(), "all").await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    readers(w.sec.1.clone(), w.a.clone(), "maybe").await.expect_problem(StatusCode::BAD_REQUEST, "invalid_query");
    let stats = t.get(&format!("/api/v1/documents/{for_a}/read-stats?unit_id={}", w.c1), &w.csec.1).await.expect(StatusCode::OK);
    assert_eq!(stats.body["audience"], 5);
    assert_eq!(stats.body["read"], 1);
    assert_eq!(stats.body["cells"].as_array().unwrap().len(), 1);

    // b1 transfers into A: now in the audience and on A's unread list.
    let today = t.today();
    let decision = json!({"number": "02-QĐ/ĐU", "date": today, "issuer": "Đảng ủy xã"});
    t.post(
        &format!("/api/v1/members/{}/events", w.b1.0),
        &w.csec.1,
        json!({"type": "transfer", "effective_on": today, "to_unit_id": w.a, "decision": decision}),
    )
    .await
    .expect(StatusCode::CREATED);
    let b1 = t.token("bmem1", crate::common::PASSWORD).await;
    t.get(&format!("/api/v1/documents/{for_a}"), &b1).await.expect(StatusCode::OK);
    let stats = t.get(&format!("/api/v1/documents/{for_a}/read-stats?unit_id={}", w.a), &w.sec.1).await.expect(StatusCode::OK);
    assert_eq!((stats.body["audience"].clone(), stats.body["read"].clone()), (json!(6), json!(2)));

    // Escalation after the deadline: one outbox event per cell with unread members.
    let overdue = issue(
        &t,
        &w.csec.1,
        &w.c1,
        doc(
            "12-HD/ĐU",
            "Hướng dẫn bắt buộc đọc",
            json!({"kind": "guidance", "required": true, "read_deadline": today - chrono::Duration::days(1)}),
        ),
    )
    .await;
    let n = app::jobs::escalate_unread(&t.state.ctx()).await.unwrap();
    assert_eq!(n, 1, "cell A only: B has no members left");
    let events = storage::outbox::pending(t.state.db.conn(), 100).await.unwrap();
    let e = events.iter().find(|e| e.kind == "document.unread_escalation").unwrap();
    assert_eq!(e.aggregate_id.to_string(), overdue);
    assert_eq!(e.payload["unread_member_ids"].as_array().unwrap().len(), 6);
    match app::events::Event::from_outbox(e).unwrap() {
        app::events::Event::UnreadEscalation(x) => assert_eq!((x.cell_id.to_string(), x.unread_member_ids.len()), (w.a.clone(), 6)),
        other => panic!("unexpected {other:?}"),
    }
    for e in &events {
        app::events::Event::from_outbox(e).unwrap_or_else(|err| panic!("{}: {err}", e.kind));
    }
    assert_eq!(app::jobs::escalate_unread(&t.state.ctx()).await.unwrap(), 0, "escalated once");

    // Withdrawal: members lose it; leaders read it with a banner.
    t.post(&format!("/api/v1/documents/{for_a}/withdraw"), &w.sec.1, json!({"reason": "Sai sót"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.post(&format!("/api/v1/documents/{for_a}/withdraw"), &w.csec.1, json!({"reason": "Ban hành nhầm"})).await.expect(StatusCode::OK);
    t.get(&format!("/api/v1/documents/{for_a}"), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    let seen = t.get(&format!("/api/v1/documents/{for_a}"), &w.sec.1).await.expect(StatusCode::OK);
    assert_eq!(seen.body["status"], "withdrawn");
    assert!(seen.body["banner"].as_str().unwrap().contains("Ban hành nhầm"));
    assert!(!search(&t, &w.m1.1, "thong bao").await.contains(&for_a));
}

fn multipart(file_name: &str, declared: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "handbook-test-boundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: {declared}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(t: &TestApp, token: &str, doc: &str, file_name: &str, declared: &str, bytes: &[u8]) -> Reply {
    let (content_type, body) = multipart(file_name, declared, bytes);
    let req = Request::post(format!("/api/v1/documents/{doc}/attachments"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    t.send(req).await
}

async fn download(t: &TestApp, token: &str, id: &str) -> (StatusCode, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = Request::get(format!("/api/v1/attachments/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let res = t.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    (status, res.into_body().collect().await.unwrap().to_bytes().to_vec())
}

#[tokio::test]
async fn attachments_are_sniffed_limited_and_permission_checked() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let id = t
        .post(&format!("/api/v1/org-units/{}/documents", w.c1), &w.csec.1, doc("20-NQ/ĐU", "Nghị quyết có đính kèm", json!({})))
        .await
        .expect(StatusCode::CREATED)
        .id();
    let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer\n%%EOF\n".to_vec();
    let r = upload(&t, &w.csec.1, &id, "Nghị quyết.pdf", "application/octet-stream", &pdf).await.expect(StatusCode::CREATED);
    assert_eq!(r.body["content_type"], "application/pdf");
    assert_eq!(r.body["sha256"].as_str().unwrap().len(), 64);
    let attachment = r.id();
    // A lying content type is refused; so is a file over the limit (1 MiB in tests), and nothing
    // is stored.
    upload(&t, &w.csec.1, &id, "virus.pdf", "application/pdf", b"<html><script>alert(1)</script>")
        .await
        .expect_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(1024 * 1024 + 10, b'x');
    upload(&t, &w.csec.1, &id, "big.pdf", "application/pdf", &big).await.expect_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let mut huge = b"%PDF-1.7\n".to_vec();
    huge.resize(3 * 1024 * 1024, b'x');
    upload(&t, &w.csec.1, &id, "huge.pdf", "application/pdf", &huge)
        .await
        .expect_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let stored: usize = walk(&t.state.config.attachments_dir);
    assert_eq!(stored, 1, "only the accepted file is on disk");
    upload(&t, &w.sec.1, &id, "x.pdf", "application/pdf", &pdf).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    let doc_view = t.get(&format!("/api/v1/documents/{id}"), &w.csec.1).await.expect(StatusCode::OK);
    assert_eq!(doc_view.body["attachments"].as_array().unwrap().len(), 1);

    // Downloads follow the document's visibility.
    assert_eq!(download(&t, &w.m1.1, &attachment).await.0, StatusCode::FORBIDDEN, "draft");
    t.call(Method::POST, &format!("/api/v1/documents/{id}/publish"), Some(&w.csec.1), None).await.expect(StatusCode::OK);
    upload(&t, &w.csec.1, &id, "late.pdf", "application/pdf", &pdf).await.expect_problem(StatusCode::CONFLICT, "document_not_draft");
    let (status, bytes) = download(&t, &w.m1.1, &attachment).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, pdf);
    assert_eq!(download(&t, &w.x1.1, &attachment).await.0, StatusCode::FORBIDDEN);

    // Bookmarks.
    let put = Request::put(format!("/api/v1/me/bookmarks/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {}", w.m1.1))
        .body(Body::empty())
        .unwrap();
    t.send(put).await.expect(StatusCode::NO_CONTENT);
    let put = Request::put(format!("/api/v1/me/bookmarks/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {}", w.x1.1))
        .body(Body::empty())
        .unwrap();
    t.send(put).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    let list = t.get("/api/v1/me/bookmarks", &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(list.body[0]["id"], id.as_str());
    assert_eq!(list.body[0]["bookmarked"], true);
    let del = Request::delete(format!("/api/v1/me/bookmarks/{id}"))
        .header(header::AUTHORIZATION, format!("Bearer {}", w.m1.1))
        .body(Body::empty())
        .unwrap();
    t.send(del).await.expect(StatusCode::NO_CONTENT);
    assert!(t.get("/api/v1/me/bookmarks", &w.m1.1).await.body.as_array().unwrap().is_empty());
}

fn walk(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries.flatten().map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum()
}

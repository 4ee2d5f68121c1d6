//! Generated reports API tests: requesting (202, Location, idempotent while queued), the
//! generator's pass run in-process, status, the file (bytes, ETag = SHA-256), regeneration with
//! unchanged figures (same checksum), the `report.generated` event, every kind in every format it
//! is written in, what does not apply (422 codes), and the permission denials (a member of
//! another cell, a plain member, a cell secretary asking for the commune, another member's own
//! sheet), plus parallel requests and parallel claims. Run on SQLite, and on PostgreSQL when
//! `TEST_DATABASE_URL` is set.

use std::collections::HashSet;
use std::sync::Arc;

use crate::common::{TestApp, World};
use app::reports::Generator;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Datelike;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

fn generator(t: &TestApp, holder: &str) -> Generator {
    Generator { dir: t.state.config.reports_dir.clone(), holder: holder.into(), lease: chrono::Duration::minutes(2), max_attempts: 3 }
}

async fn drain(t: &TestApp) -> (u32, u32) {
    app::reports::drain(&t.state.ctx(), &generator(t, "test-generator"), &|| false).await.unwrap()
}

fn month(t: &TestApp) -> String {
    let d = t.today();
    format!("{:04}-{:02}", d.year(), d.month())
}

fn year(t: &TestApp) -> String {
    format!("{:04}", t.today().year())
}

async fn download(t: &TestApp, id: &str, token: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let req = Request::get(format!("/api/v1/reports/{id}/file"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let res = t.app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, headers, bytes)
}

async fn request(t: &TestApp, token: &str, unit: &str, body: Value) -> crate::common::Reply {
    t.post(&format!("/api/v1/org-units/{unit}/reports"), token, body).await
}

#[tokio::test]
async fn request_generate_read_and_regenerate() {
    let t = TestApp::new().await;
    let w: World = t.world().await;
    let sec = &w.sec.1;
    let m = month(&t);
    let body = json!({"kind": "cell_month", "period": m, "format": "csv"});
    let r = request(&t, sec, &w.a, body.clone()).await.expect(StatusCode::ACCEPTED);
    let id = r.id();
    assert_eq!(r.headers.get(header::LOCATION).unwrap(), &format!("/api/v1/reports/{id}"));
    assert_eq!((r.body["status"].as_str(), r.body["url"].as_str()), (Some("queued"), Some(format!("/api/v1/reports/{id}").as_str())));
    assert!(r.body["file_url"].is_null());
    // Asked again while queued: the same report, nothing new.
    assert_eq!(request(&t, sec, &w.a, body.clone()).await.expect(StatusCode::ACCEPTED).id(), id);
    let (status, _, bytes) = download(&t, &id, sec).await;
    assert_eq!(status, StatusCode::CONFLICT, "{}", String::from_utf8_lossy(&bytes));
    assert!(String::from_utf8_lossy(&bytes).contains("report_not_ready"));

    assert_eq!(drain(&t).await, (1, 0));
    let done = t.get(&format!("/api/v1/reports/{id}"), sec).await.expect(StatusCode::OK).body;
    assert_eq!((done["status"].as_str(), done["progress"].as_i64()), (Some("done"), Some(100)));
    let checksum = done["checksum"].as_str().unwrap().to_string();
    let (status, headers, bytes) = download(&t, &id, sec).await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "CSV starts with the BOM");
    let sha: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(sha, checksum);
    assert_eq!(headers.get(header::ETAG).unwrap(), &format!("\"{checksum}\""));
    assert_eq!(headers.get(header::CONTENT_TYPE).unwrap(), "text/csv; charset=utf-8");
    assert_eq!(done["size_bytes"].as_u64(), Some(bytes.len() as u64));

    // The requester hears of it: a `report.generated` event on the outbox.
    let events = storage::outbox::pending(t.state.db.conn(), 1000).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == "report.generated" && e.aggregate_id == uuid::Uuid::parse_str(&id).unwrap()).count(), 1);
    // … which the notifier turns into an item in the requester's inbox, linking to the report.
    let mut pass = app::notify::PassReport::default();
    app::notify::process_events(&t.state.ctx(), &app::notify::Settings::default(), &mut pass).await.unwrap();
    let inbox = t.get("/api/v1/me/notifications", sec).await.expect(StatusCode::OK).body;
    let items: Vec<&Value> = inbox["items"].as_array().unwrap().iter().filter(|i| i["kind"] == "report.generated").collect();
    assert_eq!(items.len(), 1, "{inbox}");
    assert_eq!(items[0]["link"].as_str(), Some(format!("/api/v1/reports/{id}").as_str()));
    assert!(items[0]["body"].as_str().unwrap().contains("Chi bộ thôn Đông"), "{}", items[0]);
    let others = t.get("/api/v1/me/notifications", &w.dep.1).await.expect(StatusCode::OK).body;
    assert!(others["items"].as_array().unwrap().iter().all(|i| i["kind"] != "report.generated"), "only the requester is told");

    // Requested again with nothing changed: regenerated, same file, same checksum.
    let day_before = t.today();
    t.clock.advance(chrono::Duration::minutes(5));
    let again = request(&t, sec, &w.a, body.clone()).await.expect(StatusCode::ACCEPTED);
    assert_eq!((again.id(), again.body["status"].as_str()), (id.clone(), Some("queued")));
    // The previous file stays available while the new one is generated.
    assert_eq!(download(&t, &id, sec).await.0, StatusCode::OK);
    assert_eq!(drain(&t).await, (1, 0));
    let after = t.get(&format!("/api/v1/reports/{id}"), sec).await.expect(StatusCode::OK).body;
    assert_eq!(after["checksum"].as_str(), Some(checksum.as_str()));
    if t.today() == day_before {
        assert_eq!(after["generated_at"], done["generated_at"], "unchanged figures keep the file and its generation time");
    } else {
        // Vietnam's date changed meanwhile (a clock pinned just before midnight): the printed
        // date line differs, so the report is written again — with the same CSV bytes.
        assert_ne!(after["generated_at"], done["generated_at"]);
    }
    assert_ne!(after["data_cutoff"], done["data_cutoff"], "the figures were read again");

    // Listed for the cell's leaders, filtered by kind and period.
    let list = t.get(&format!("/api/v1/org-units/{}/reports?kind=cell_month&period={}", w.a, m), sec).await.expect(StatusCode::OK).body;
    assert_eq!(list.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect::<Vec<_>>(), [id.as_str()]);
    let none = t.get(&format!("/api/v1/org-units/{}/reports?kind=activity", w.a), sec).await.expect(StatusCode::OK).body;
    assert_eq!(none.as_array().unwrap().len(), 0);
    t.get(&format!("/api/v1/org-units/{}/reports?kind=weekly", w.a), sec)
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    t.get(&format!("/api/v1/org-units/{}/reports?period=2026-13", w.a), sec)
        .await
        .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn every_kind_in_every_format_it_is_written_in() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let (m, y) = (month(&t), year(&t));
    let mut ids = Vec::new();
    for (kind, unit, period) in [
        ("cell_month", &w.a, &m),
        ("activity", &w.c1, &m),
        ("activity", &w.province, &y),
        ("membership", &w.c1, &m),
        ("member_year", &w.a, &y),
    ] {
        for format in ["xlsx", "csv", "html", "pdf"] {
            let pdf_ok = matches!(kind, "cell_month" | "member_year");
            let r = request(&t, &w.admin, unit, json!({"kind": kind, "period": period, "format": format})).await;
            if format == "pdf" && !pdf_ok {
                r.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "format_not_for_kind");
            } else {
                ids.push((kind, format, r.expect(StatusCode::ACCEPTED).id()));
            }
        }
    }
    let (done, failed) = drain(&t).await;
    assert_eq!((done as usize, failed), (ids.len(), 0));
    for (kind, format, id) in ids {
        let (status, headers, bytes) = download(&t, &id, &w.admin).await;
        assert_eq!(status, StatusCode::OK, "{kind} {format}");
        assert!(!bytes.is_empty());
        let magic: &[u8] = match format {
            "xlsx" => b"PK",
            "csv" => b"\xEF\xBB\xBF",
            "html" => b"<!",
            _ => b"%PDF-",
        };
        assert!(bytes.starts_with(magic), "{kind} {format} starts with {magic:?}");
        assert_eq!(headers.get(header::CONTENT_TYPE).unwrap(), reports::Format::from_code(format).unwrap().media_type());
        if (kind, format) == ("member_year", "pdf") {
            // The printed sheet: the Party header, the cell, its members' names with their
            // diacritics, as pdftotext (poppler-utils) extracts them.
            let path = std::env::temp_dir().join(format!("member-year-{id}.pdf"));
            std::fs::write(&path, &bytes).unwrap();
            let out = std::process::Command::new("pdftotext")
                .args([path.to_str().unwrap(), "-"])
                .output()
                .expect("pdftotext (Debian package poppler-utils) reads the PDF back");
            let _ = std::fs::remove_file(&path);
            let text: String = unicode_normalization::UnicodeNormalization::nfc(String::from_utf8(out.stdout).unwrap().as_str()).collect();
            for expected in ["ĐẢNG CỘNG SẢN VIỆT NAM", "CHI BỘ THÔN ĐÔNG", "Trần Văn Bí", "Nguyễn Thị Một", "Hoàng Văn Xã", "BÍ THƯ"]
            {
                assert!(text.contains(expected), "{expected} in the PDF's text:\n{text}");
            }
        }
    }
}

#[tokio::test]
async fn what_does_not_apply_is_refused_with_its_code() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let (m, y) = (month(&t), year(&t));
    let admin = &w.admin;
    let cases = [
        (&w.c1, json!({"kind": "cell_month", "period": m, "format": "xlsx"}), "unit_not_a_cell"),
        (&w.a, json!({"kind": "cell_month", "period": y, "format": "xlsx"}), "period_not_for_kind"),
        (&w.a, json!({"kind": "member_year", "period": m, "format": "xlsx"}), "period_not_for_kind"),
        (&w.c1, json!({"kind": "activity", "period": m, "format": "pdf"}), "format_not_for_kind"),
        (&w.a, json!({"kind": "activity", "period": m, "format": "csv", "member_id": w.m1.0}), "member_not_for_kind"),
        (&w.a, json!({"kind": "member_year", "period": y, "format": "csv", "member_id": w.b1.0}), "member_not_in_unit"),
    ];
    for (unit, body, code) in cases {
        request(&t, admin, unit, body).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, code);
    }
    for body in [
        json!({"kind": "weekly", "period": m, "format": "csv"}),
        json!({"kind": "activity", "period": "2026-13", "format": "csv"}),
        json!({"kind": "activity", "period": "2026-Q5", "format": "csv"}),
        json!({"kind": "activity", "period": m, "format": "docx"}),
    ] {
        let r = request(&t, admin, &w.a, body).await.expect_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert!(!r.body["errors"].as_array().unwrap().is_empty());
    }
    request(&t, admin, &w.a, json!({"kind": "activity", "period": m, "format": "csv", "extra": 1}))
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY);
    request(&t, admin, &uuid::Uuid::now_v7().to_string(), json!({"kind": "activity", "period": m, "format": "csv"}))
        .await
        .expect(StatusCode::NOT_FOUND);
    t.get(&format!("/api/v1/reports/{}", uuid::Uuid::now_v7()), admin).await.expect(StatusCode::NOT_FOUND);
    // Nothing was queued by any refused request.
    assert_eq!(drain(&t).await, (0, 0));
}

#[tokio::test]
async fn permission_denials() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let (m, y) = (month(&t), year(&t));
    let cell_month = json!({"kind": "cell_month", "period": m, "format": "csv"});
    // A member of another cell, and a plain member of the cell, may not ask for the cell's month.
    request(&t, &w.b1.1, &w.a, cell_month.clone()).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    request(&t, &w.m1.1, &w.a, cell_month.clone()).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    // A committee member is not a leader for reports (secretaries and deputies are).
    request(&t, &w.com.1, &w.a, cell_month.clone()).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    // A cell secretary asking for the commune's roll-up.
    request(&t, &w.sec.1, &w.c1, json!({"kind": "activity", "period": m, "format": "xlsx"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    // The commune's secretary (sitting in cell A) may not ask for the other commune's cell.
    request(&t, &w.csec.1, &w.x, cell_month.clone()).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    // An administrator of C2 only may not ask for C1.
    request(&t, &w.padm.1, &w.c1, json!({"kind": "activity", "period": m, "format": "csv"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");

    // Allowed: the cell's secretary and deputy, the commune's secretary (the level above), the
    // administrator of C2 on cell X.
    let id = request(&t, &w.sec.1, &w.a, cell_month.clone()).await.expect(StatusCode::ACCEPTED).id();
    request(&t, &w.dep.1, &w.a, cell_month.clone()).await.expect(StatusCode::ACCEPTED);
    request(&t, &w.csec.1, &w.c1, json!({"kind": "activity", "period": m, "format": "csv"})).await.expect(StatusCode::ACCEPTED);
    request(&t, &w.padm.1, &w.x, cell_month.clone()).await.expect(StatusCode::ACCEPTED);

    // A member's own year sheet: themselves, their own cell — and nobody else's.
    let own = json!({"kind": "member_year", "period": y, "format": "pdf", "member_id": w.m1.0});
    let own_id = request(&t, &w.m1.1, &w.a, own.clone()).await.expect(StatusCode::ACCEPTED).id();
    request(&t, &w.m1.1, &w.a, json!({"kind": "member_year", "period": y, "format": "pdf", "member_id": w.sec.0}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    // Not the whole cell's sheet, and not their own sheet filed under another unit.
    request(&t, &w.m1.1, &w.a, json!({"kind": "member_year", "period": y, "format": "pdf"}))
        .await
        .expect_problem(StatusCode::FORBIDDEN, "forbidden");
    request(&t, &w.m1.1, &w.c1, own.clone()).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    // Their own sheet may be read by them; the cell's month may not.
    assert_eq!(drain(&t).await.1, 0);
    t.get(&format!("/api/v1/reports/{own_id}"), &w.m1.1).await.expect(StatusCode::OK);
    assert_eq!(download(&t, &own_id, &w.m1.1).await.0, StatusCode::OK);
    t.get(&format!("/api/v1/reports/{id}"), &w.m1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(download(&t, &id, &w.m1.1).await.0, StatusCode::FORBIDDEN);
    assert_eq!(download(&t, &id, &w.b1.1).await.0, StatusCode::FORBIDDEN);
    // Another member of the cell may not read m1's sheet; the cell's secretary may.
    t.get(&format!("/api/v1/reports/{own_id}"), &w.com.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/reports/{own_id}"), &w.sec.1).await.expect(StatusCode::OK);
    // Lists: the member sees only their own sheets; another cell's member nothing.
    let mine = t.get(&format!("/api/v1/org-units/{}/reports", w.a), &w.m1.1).await.expect(StatusCode::OK).body;
    assert_eq!(mine.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect::<Vec<_>>(), [own_id.as_str()]);
    let all = t.get(&format!("/api/v1/org-units/{}/reports", w.a), &w.sec.1).await.expect(StatusCode::OK).body;
    assert_eq!(all.as_array().unwrap().len(), 2);
    t.get(&format!("/api/v1/org-units/{}/reports", w.a), &w.b1.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
    t.get(&format!("/api/v1/org-units/{}/reports", w.c1), &w.sec.1).await.expect_problem(StatusCode::FORBIDDEN, "forbidden");
}

#[tokio::test]
async fn parallel_requests_queue_one_report_and_parallel_generators_claim_each_once() {
    let t = Arc::new(TestApp::new().await);
    let w = t.world().await;
    let m = month(&t);
    // 16 leaders' clients ask for the same report at once: one row, no 5xx.
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (t, token, unit, m) = (t.clone(), w.admin.clone(), w.c1.clone(), m.clone());
        tasks
            .push(tokio::spawn(async move { request(&t, &token, &unit, json!({"kind": "activity", "period": m, "format": "csv"})).await }));
    }
    let mut ids = HashSet::new();
    for task in tasks {
        let r = task.await.unwrap();
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
        ids.insert(r.id());
    }
    assert_eq!(ids.len(), 1);
    // More reports, then four generators draining at once: each generated exactly once.
    for (unit, kind, period) in [
        (&w.a, "cell_month", &m),
        (&w.b, "cell_month", &m),
        (&w.x, "cell_month", &m),
        (&w.c2, "membership", &m),
        (&w.province, "activity", &m),
    ] {
        request(&t, &w.admin, unit, json!({"kind": kind, "period": period, "format": "csv"})).await.expect(StatusCode::ACCEPTED);
    }
    let mut workers = Vec::new();
    for n in 0..4 {
        let t = t.clone();
        workers.push(tokio::spawn(async move {
            let g = generator(&t, &format!("gen-{n}"));
            app::reports::drain(&t.state.ctx(), &g, &|| false).await.unwrap()
        }));
    }
    let mut total = (0, 0);
    for wkr in workers {
        let (d, f) = wkr.await.unwrap();
        total = (total.0 + d, total.1 + f);
    }
    assert_eq!(total, (6, 0), "six reports, each generated once");
    let audit = storage::testing::query(
        &t.state.db,
        "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'report.generated'",
        vec![],
        &[("n", storage::testing::Col::BigInt)],
    )
    .await
    .unwrap();
    assert_eq!(audit[0][0], storage::testing::Cell::Int(6));
}

/// The first commune committee of the generated small dataset, with its cells (id, name).
async fn commune_and_cells(t: &TestApp, admin: &str) -> (String, Vec<(String, String)>) {
    let root = t.root_id(admin).await;
    let children = |id: String| async move { t.get(&format!("/api/v1/org-units/{id}/children"), admin).await.expect(StatusCode::OK).body };
    let province = children(root).await[0]["id"].as_str().unwrap().to_string();
    let communes = children(province).await;
    let commune =
        communes.as_array().unwrap().iter().find(|u| u["kind"] == "commune_committee").unwrap()["id"].as_str().unwrap().to_string();
    let cells = children(commune.clone())
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["kind"] == "cell")
        .map(|u| (u["id"].as_str().unwrap().to_string(), u["name"].as_str().unwrap().to_string()))
        .collect();
    (commune, cells)
}

#[tokio::test]
async fn the_activity_workbook_agrees_with_the_api_figure_by_figure() {
    use calamine::{Data, Reader, Xlsx};

    let t = TestApp::new().await;
    demo::dataset::generate(&t.state.db, demo::dataset::Size::Small, 7, t.now()).await.unwrap();
    let admin = t.admin().await;
    let (commune, cells) = commune_and_cells(&t, &admin).await;
    // Last month: twelve months of history are generated up to now.
    let period = reports::Period::month_of(t.today()).previous();
    let (from, to) = (period.start(), period.last_day());
    let id = request(&t, &admin, &commune, json!({"kind": "activity", "period": period.to_string(), "format": "xlsx"}))
        .await
        .expect(StatusCode::ACCEPTED)
        .id();
    assert_eq!(drain(&t).await, (1, 0));
    let (status, _, bytes) = download(&t, &id, &admin).await;
    assert_eq!(status, StatusCode::OK);
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet_name = book.sheet_names().into_iter().find(|n| n == "Chi bộ").expect("a sheet per cell");
    let range = book.worksheet_range(&sheet_name).unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name} in {header:?}"));
    let int = |c: &Data| match c {
        Data::Float(f) => *f as i64,
        Data::Int(i) => *i,
        other => panic!("not a number: {other:?}"),
    };
    let mut checked = 0;
    for (cell, name) in &cells {
        let row = rows.iter().find(|r| r[col("Chi bộ")].to_string() == *name).unwrap_or_else(|| panic!("a row for {name}"));
        // Tasks: the API's task figures for the cell over tasks due in the period.
        let stats = t.get(&format!("/api/v1/org-units/{cell}/task-stats?from={from}&to={to}"), &admin).await.expect(StatusCode::OK).body;
        for (column, field) in [
            ("Nhiệm vụ được giao", "assigned"),
            ("Nhiệm vụ hoàn thành đúng hạn", "done_on_time"),
            ("Nhiệm vụ hoàn thành trễ hạn", "done_late"),
            ("Nhiệm vụ quá hạn", "overdue"),
        ] {
            assert_eq!(int(&row[col(column)]), stats["total"][field].as_i64().unwrap(), "{name}: {column}");
        }
        // Attendance: the API's figures of each meeting held in the period, summed.
        let meetings = t
            .get(
                &format!("/api/v1/org-units/{cell}/meetings?from={from}&to={to}&status=open,ended,minutes_approved,reported,acknowledged"),
                &admin,
            )
            .await
            .expect(StatusCode::OK)
            .body;
        let (mut attended, mut obliged) = (0u64, 0u64);
        for m in meetings.as_array().unwrap() {
            let f = t.get(&format!("/api/v1/meetings/{}/attendance", m["id"].as_str().unwrap()), &admin).await.expect(StatusCode::OK).body;
            attended += f["figures"]["present"].as_u64().unwrap() + f["figures"]["late"].as_u64().unwrap();
            obliged += f["figures"]["obliged"].as_u64().unwrap();
        }
        assert_eq!(int(&row[col("Số cuộc họp đã họp")]) as usize, meetings.as_array().unwrap().len(), "{name}: meetings held");
        match &row[col("Tỉ lệ dự họp")] {
            Data::Float(rate) => {
                assert!((rate - attended as f64 / obliged as f64).abs() < 1e-9, "{name}: rate {rate} vs {attended}/{obliged}")
            }
            Data::Empty => assert_eq!(obliged, 0, "{name}: no rate only when nobody was obliged"),
            other => panic!("{name}: rate {other:?}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 10, "every cell of the commune has its row");
    // The totals row is the commune's: the sum of its cells.
    let totals = rows.last().unwrap();
    let sum: i64 = rows[1..rows.len() - 1].iter().map(|r| int(&r[col("Số cuộc họp đã họp")])).sum();
    assert_eq!(int(&totals[col("Số cuộc họp đã họp")]), sum);
}

#[tokio::test]
async fn the_demo_cell_month_csv_on_a_pinned_clock() {
    let t = TestApp::new().await;
    // A fixed instant, whatever the harness's pinned clock: the snapshot's dates do not move.
    t.clock.set(chrono::DateTime::parse_from_rfc3339("2026-11-10T03:00:00Z").unwrap().to_utc());
    demo::dataset::generate(&t.state.db, demo::dataset::Size::Small, 7, t.now()).await.unwrap();
    let admin = t.admin().await;
    let (_, cells) = commune_and_cells(&t, &admin).await;
    let id = request(&t, &admin, &cells[0].0, json!({"kind": "cell_month", "period": "2026-10", "format": "csv"}))
        .await
        .expect(StatusCode::ACCEPTED)
        .id();
    assert_eq!(drain(&t).await, (1, 0));
    let (_, _, bytes) = download(&t, &id, &admin).await;
    let text = String::from_utf8(bytes.clone()).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("BOM");
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    assert!(reader.records().count() > 0);
    insta::assert_snapshot!("demo_cell_month_csv", text);
    // The same request again with nothing changed: the same file.
    let first = t.get(&format!("/api/v1/reports/{id}"), &admin).await.body["checksum"].clone();
    t.clock.advance(chrono::Duration::minutes(1));
    request(&t, &admin, &cells[0].0, json!({"kind": "cell_month", "period": "2026-10", "format": "csv"}))
        .await
        .expect(StatusCode::ACCEPTED);
    assert_eq!(drain(&t).await, (1, 0));
    assert_eq!(t.get(&format!("/api/v1/reports/{id}"), &admin).await.body["checksum"], first);
}

#[tokio::test]
async fn due_queues_the_months_roll_ups_once() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let rules = reports::schedule::Rule::default_rules();
    let ctx = t.state.ctx();
    // The 5th at 23:59 Vietnam time: nothing is due yet.
    t.clock.set(chrono::DateTime::parse_from_rfc3339("2026-11-05T23:59:00+07:00").unwrap().to_utc());
    assert_eq!(app::reports::queue_due(&ctx, &rules).await.unwrap(), 0);
    // The 6th at 07:00: October's activity roll-up for the two communes and the province.
    t.clock.set(chrono::DateTime::parse_from_rfc3339("2026-11-06T07:00:00+07:00").unwrap().to_utc());
    assert_eq!(app::reports::queue_due(&ctx, &rules).await.unwrap(), 3);
    assert_eq!(app::reports::queue_due(&ctx, &rules).await.unwrap(), 0, "queued once");
    assert_eq!(drain(&t).await, (3, 0));
    t.clock.advance(chrono::Duration::hours(30));
    assert_eq!(app::reports::queue_due(&ctx, &rules).await.unwrap(), 0, "generated once, whatever the number of runs");
    for unit in [&w.c1, &w.c2, &w.province] {
        let list =
            t.get(&format!("/api/v1/org-units/{unit}/reports?kind=activity&period=2026-10"), &w.admin).await.expect(StatusCode::OK).body;
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!((list[0]["status"].as_str(), list[0]["format"].as_str()), (Some("done"), Some("xlsx")));
    }
    // Scheduled reports have no requester: nobody is notified.
    let events = storage::outbox::pending(t.state.db.conn(), 1000).await.unwrap();
    assert!(events.iter().all(|e| e.kind != "report.generated"));
    // December's run also covers the fourth quarter and the year.
    t.clock.set(chrono::DateTime::parse_from_rfc3339("2027-01-06T08:00:00+07:00").unwrap().to_utc());
    assert_eq!(app::reports::queue_due(&ctx, &rules).await.unwrap(), 9);
}

#[tokio::test]
async fn asked_again_while_running_is_generated_again_and_a_report_that_kills_its_generators_fails() {
    let t = TestApp::new().await;
    let w = t.world().await;
    let body = json!({"kind": "cell_month", "period": month(&t), "format": "csv"});
    let id = request(&t, &w.sec.1, &w.a, body.clone()).await.expect(StatusCode::ACCEPTED).id();
    let db = t.state.db.conn();
    let now = t.now();
    let lease = (now + chrono::Duration::minutes(2)).timestamp_micros();
    // A generator "other" holds it; the deputy asks for it meanwhile.
    let held = storage::reports::claim(db, "other", now.timestamp_micros(), lease, 3, now).await.unwrap().unwrap();
    assert_eq!(held.id.to_string(), id);
    let again = request(&t, &w.dep.1, &w.a, body.clone()).await.expect(StatusCode::ACCEPTED);
    assert_eq!((again.id(), again.body["status"].as_str()), (id.clone(), Some("running")));
    let finished = storage::reports::Finished {
        file_name: "x.csv".into(),
        size_bytes: 1,
        checksum: "0".repeat(64),
        content_key: "k".into(),
        generated_at: now,
        data_cutoff: now,
    };
    assert!(storage::reports::finish(db, held.id, "other", &finished, now).await.unwrap());
    // The run in progress read the data before the second request: it is generated again.
    let row = t.get(&format!("/api/v1/reports/{id}"), &w.sec.1).await.expect(StatusCode::OK).body;
    assert_eq!(row["status"].as_str(), Some("queued"));
    assert_eq!(drain(&t).await, (1, 0));
    assert_eq!(t.get(&format!("/api/v1/reports/{id}"), &w.sec.1).await.body["status"].as_str(), Some("done"));
    // The deputy, who asked second, is the one told of the new run.
    let mut pass = app::notify::PassReport::default();
    app::notify::process_events(&t.state.ctx(), &app::notify::Settings::default(), &mut pass).await.unwrap();
    let inbox = t.get("/api/v1/me/notifications", &w.dep.1).await.expect(StatusCode::OK).body;
    assert_eq!(inbox["items"].as_array().unwrap().iter().filter(|i| i["kind"] == "report.generated").count(), 1);

    // A report whose generator dies every time (lease run out, attempts used up) is failed, not
    // taken over forever.
    let other = request(&t, &w.sec.1, &w.a, json!({"kind": "cell_month", "period": month(&t), "format": "xlsx"}))
        .await
        .expect(StatusCode::ACCEPTED)
        .id();
    let mut at = now;
    for attempt in 1..=3 {
        let c = storage::reports::claim(
            db,
            &format!("dies-{attempt}"),
            at.timestamp_micros(),
            (at + chrono::Duration::minutes(2)).timestamp_micros(),
            3,
            at,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!((c.id.to_string(), c.attempts), (other.clone(), attempt));
        at += chrono::Duration::minutes(3); // the lease runs out
    }
    assert!(
        storage::reports::claim(db, "next", at.timestamp_micros(), (at + chrono::Duration::minutes(2)).timestamp_micros(), 3, at)
            .await
            .unwrap()
            .is_none()
    );
    let row = t.get(&format!("/api/v1/reports/{other}"), &w.sec.1).await.expect(StatusCode::OK).body;
    assert_eq!(row["status"].as_str(), Some("failed"));
    assert!(row["error"].as_str().unwrap().contains("stopped"));
}

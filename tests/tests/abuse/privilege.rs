//! Abuse cases: privilege. A leader acting on themselves or on a superior who sits in their own
//! cell, manual point adjustments beyond the yearly cap (one by one and in parallel), and the
//! superior's review of the adjustments made below. On the demo province: `bithu` is the
//! secretary of the first cell, `bithu.xa` the secretary of the first commune and a member of
//! that cell, `dangvien` a member of it, `quantri.tinh` the province's administrator.

use app::clock::Clock;
use serde_json::{Value, json};

use crate::support::*;

const PW: &str = api::demo::DEMO_PASSWORD;
/// The yearly cap on a member's manual adjustments (absolute values).
const CAP: i64 = study_points::ledger::YEARLY_ADJUSTMENT_CAP;

async fn get(s: &Server, token: &str, path: &str) -> Response {
    Request::new("GET", path).token(token).send(s.addr).await
}

async fn post(s: &Server, token: &str, path: &str, body: Value) -> Response {
    Request::new("POST", path).token(token).json(&body).send(s.addr).await
}

/// The caller's member id and home cell.
async fn me(s: &Server, token: &str) -> (String, String) {
    let r = get(s, token, "/api/v1/me").await;
    assert_eq!(r.status, 200, "{}", r.body);
    (r.body["member"]["id"].as_str().expect("member").to_string(), r.body["member"]["unit_id"].as_str().expect("cell").to_string())
}

async fn adjust(s: &Server, token: &str, member: &str, points: i64, reason: &str) -> Response {
    post(s, token, &format!("/api/v1/members/{member}/points/adjustments"), json!({"points": points, "reason": reason})).await
}

/// A member's total for this year, read by the member.
async fn points(s: &Server, token: &str) -> i64 {
    let r = get(s, token, "/api/v1/me/points").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["total"].as_i64().expect("total")
}

/// A member's history length and ETag (version), read by someone with the full view.
async fn record(s: &Server, token: &str, member: &str) -> (usize, String, Value) {
    let events = get(s, token, &format!("/api/v1/members/{member}/events")).await;
    assert_eq!(events.status, 200, "{}", events.body);
    let m = get(s, token, &format!("/api/v1/members/{member}")).await;
    assert_eq!(m.status, 200, "{}", m.body);
    (events.body.as_array().expect("events").len(), m.header("etag").expect("etag"), m.body["phone"].clone())
}

/// The demo people of the first cell: (member id, token) of `bithu`, `bithu.xa`, `dangvien`, and
/// the cell's id.
struct Cell {
    cell: String,
    secretary: (String, String),
    commune_secretary: (String, String),
    member: (String, String),
    admin: String,
}

async fn first_cell(s: &Server) -> Cell {
    let secretary = token(s.addr, "bithu", PW).await;
    let commune_secretary = token(s.addr, "bithu.xa", PW).await;
    let member = token(s.addr, "dangvien", PW).await;
    let admin = token(s.addr, "quantri.tinh", PW).await;
    let (sec_id, cell) = me(s, &secretary).await;
    let (com_id, com_cell) = me(s, &commune_secretary).await;
    let (mem_id, mem_cell) = me(s, &member).await;
    assert_eq!((&com_cell, &mem_cell), (&cell, &cell), "the commune secretary and the member sit in the secretary's cell");
    Cell { cell, secretary: (sec_id, secretary), commune_secretary: (com_id, commune_secretary), member: (mem_id, member), admin }
}

/// Logs in as the holder of `role` in `unit` (demo logins of other members are their card numbers).
async fn holder(s: &Server, admin: &str, unit: &str, role: &str) -> (String, String) {
    let positions = get(s, admin, &format!("/api/v1/org-units/{unit}/positions")).await;
    let id = positions.body.as_array().expect("positions").iter().find(|p| p["role"] == role).expect("role held")["member_id"]
        .as_str()
        .expect("id")
        .to_string();
    let m = get(s, admin, &format!("/api/v1/members/{id}")).await;
    let card = m.body["party_card_number"].as_str().expect("an official member logs in with the card number").to_string();
    (id, token(s.addr, &card, PW).await)
}

fn exemption(today: chrono::NaiveDate) -> Value {
    json!({"type": "exempt", "effective_on": today, "decision": {"number": "12-QĐ/ĐU", "date": today, "issuer": "Đảng ủy xã"}})
}

#[tokio::test]
async fn a_secretary_cannot_adjust_their_own_points_nor_record_events_about_themselves() {
    let s = start_demo().await;
    let c = first_cell(&s).await;
    let (me_id, me_token) = &c.secretary;
    let before = points(&s, me_token).await;
    let (events_before, _, _) = record(&s, &c.admin, me_id).await;

    for _ in 0..2 {
        let r = adjust(&s, me_token, me_id, 1000, "Tự cộng điểm cho bản thân").await;
        assert_eq!((r.status, r.code()), (403, "acting_on_self"), "{}", r.body);
    }
    let r = adjust(&s, me_token, me_id, 5, "Tự cộng điểm cho bản thân").await;
    assert_eq!((r.status, r.code()), (403, "acting_on_self"));
    let r = post(&s, me_token, &format!("/api/v1/members/{me_id}/events"), exemption(s.clock.today())).await;
    assert_eq!((r.status, r.code()), (403, "acting_on_self"), "{}", r.body);
    assert_eq!(points(&s, me_token).await, before, "no points added");
    assert_eq!(record(&s, &c.admin, me_id).await.0, events_before, "no event recorded");

    // Self-service members have stays: their own phone and e-mail.
    let (_, etag, _) = record(&s, me_token, me_id).await;
    let r = Request::new("PATCH", &format!("/api/v1/members/{me_id}"))
        .token(me_token)
        .header("If-Match", &etag)
        .json(&json!({"phone": "0912000111"}))
        .send(s.addr)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["phone"], "0912000111");
}

#[tokio::test]
async fn a_secretary_cannot_adjust_exempt_or_edit_the_commune_secretary_who_sits_in_their_cell() {
    let s = start_demo().await;
    let c = first_cell(&s).await;
    let (boss, boss_token) = &c.commune_secretary;
    let sec = &c.secretary.1;
    let before = points(&s, boss_token).await;
    let (events_before, etag, phone) = record(&s, sec, boss).await;

    for _ in 0..2 {
        let r = adjust(&s, sec, boss, 50, "Điều chỉnh điểm cho đồng chí bí thư").await;
        assert_eq!((r.status, r.code()), (403, "acting_on_superior"), "{}", r.body);
    }
    let r = adjust(&s, sec, boss, -50, "Trừ điểm đồng chí bí thư đảng ủy").await;
    assert_eq!((r.status, r.code()), (403, "acting_on_superior"));
    let r = post(&s, sec, &format!("/api/v1/members/{boss}/events"), exemption(s.clock.today())).await;
    assert_eq!((r.status, r.code()), (403, "acting_on_superior"), "{}", r.body);
    let r = Request::new("PATCH", &format!("/api/v1/members/{boss}"))
        .token(sec)
        .header("If-Match", &etag)
        .json(&json!({"phone": "0987654321", "email": "attacker@example.com"}))
        .send(s.addr)
        .await;
    assert_eq!((r.status, r.code()), (403, "acting_on_superior"), "{}", r.body);
    assert!(r.body["detail"].is_string() && r.body["title"].is_string(), "a localised problem: {}", r.body);

    assert_eq!(points(&s, boss_token).await, before, "the commune secretary's points are unchanged");
    let (events_after, etag_after, phone_after) = record(&s, sec, boss).await;
    assert_eq!((events_after, &etag_after, &phone_after), (events_before, &etag, &phone), "no event, no edit");

    // The cell's deputy may not act on their own secretary either.
    let (deputy_id, deputy) = holder(&s, &c.admin, &c.cell, "deputy_secretary").await;
    let r = adjust(&s, &deputy, &c.secretary.0, 30, "Cộng điểm cho đồng chí bí thư").await;
    assert_eq!((r.status, r.code()), (403, "acting_on_superior"), "{}", r.body);
    // Nor the secretary on the deputy: the commune appoints both.
    let r = adjust(&s, sec, &deputy_id, 30, "Cộng điểm cho đồng chí phó bí thư").await;
    assert_eq!((r.status, r.code()), (403, "acting_on_superior"), "{}", r.body);

    // Those above may: the province's administrator on the commune secretary, the secretary on a
    // plain member of the cell.
    let r = adjust(&s, &c.admin, boss, 5, "Khen thưởng hội thi cấp tỉnh").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = adjust(&s, sec, &c.member.0, 5, "Tham gia hội thi cấp xã").await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(points(&s, boss_token).await, before + 5);
}

#[tokio::test]
async fn a_members_manual_adjustments_stay_within_the_yearly_cap() {
    let s = start_demo().await;
    let c = first_cell(&s).await;
    let (member, member_token) = &c.member;
    let sec = &c.secretary.1;
    let before = points(&s, member_token).await;

    let r = adjust(&s, sec, member, CAP + 1, "Giải nhất hội thi tìm hiểu").await;
    assert_eq!((r.status, r.code()), (422, "adjustment_cap_exceeded"), "{}", r.body);
    let r = adjust(&s, sec, member, 10, "ngắn").await;
    assert_eq!((r.status, r.code()), (422, "validation_failed"), "a reason too short to review: {}", r.body);
    assert_eq!(r.body["errors"][0]["code"], "too_short");
    assert_eq!(adjust(&s, sec, member, 60, "Giải nhất hội thi tìm hiểu").await.status, 201);
    let r = adjust(&s, &c.admin, member, CAP - 59, "Khen thưởng hội thi cấp tỉnh").await;
    assert_eq!((r.status, r.code()), (422, "adjustment_cap_exceeded"), "whoever adjusts: {}", r.body);
    // A correction counts like a bonus (absolute values): +60 − 40 uses the whole cap.
    assert_eq!(adjust(&s, sec, member, -(CAP - 60), "Điều chỉnh do nhập trùng").await.status, 201);
    let r = adjust(&s, sec, member, 1, "Tham gia hội thi cấp xã").await;
    assert_eq!((r.status, r.code()), (422, "adjustment_cap_exceeded"), "{}", r.body);
    let r = adjust(&s, sec, member, -1, "Điều chỉnh do nhập trùng").await;
    assert_eq!((r.status, r.code()), (422, "adjustment_cap_exceeded"), "{}", r.body);
    assert_eq!(points(&s, member_token).await, before + 60 - (CAP - 60));

    // The next calendar year in Vietnam starts a new allowance.
    let year = chrono::Datelike::year(&s.clock.today());
    let new_year = chrono::NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("date");
    s.clock.set(membership::time::start_of_day(new_year) + chrono::Duration::minutes(1));
    let sec = token(s.addr, "bithu", PW).await;
    let r = adjust(&s, &sec, member, 1, "Tham gia hội thi cấp xã").await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test]
async fn parallel_adjustments_cannot_together_pass_the_cap() {
    let s = start_demo().await;
    let c = first_cell(&s).await;
    let roster = get(&s, &c.secretary.1, &format!("/api/v1/org-units/{}/members?limit=50", c.cell)).await;
    let plain: Vec<String> = roster.body["items"]
        .as_array()
        .expect("roster")
        .iter()
        .filter(|m| m["positions"].as_array().is_some_and(Vec::is_empty) && m["id"] != c.member.0.as_str())
        .map(|m| m["id"].as_str().expect("id").to_string())
        .take(2)
        .collect();
    assert_eq!(plain.len(), 2, "two plain members besides dangvien");

    // Two adjustments that together exceed the cap: exactly one passes.
    let half = CAP / 2 + 10;
    let two = at_once(&s, &c.secretary.1, &plain[0], half, "Giải nhất hội thi tìm hiểu", 2).await;
    let codes: Vec<(u16, String)> = two.into_iter().map(|r| (r.status, r.code().to_string())).collect();
    assert_eq!(codes.iter().filter(|(st, _)| *st == 201).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|(st, c)| *st == 422 && c == "adjustment_cap_exceeded").count(), 1, "{codes:?}");

    // Ten at once, of which three fit.
    let step = CAP * 3 / 10;
    let replies = at_once(&s, &c.secretary.1, &plain[1], step, "Tham gia hội thi cấp xã", 10).await;
    assert!(replies.iter().all(|r| r.status == 201 || (r.status == 422 && r.code() == "adjustment_cap_exceeded")), "no 5xx");
    assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 3);

    // The ledger holds exactly what was accepted.
    let review = get(&s, &c.commune_secretary.1, &format!("/api/v1/org-units/{}/points/adjustments?limit=200", c.cell)).await;
    assert_eq!(review.status, 200, "{}", review.body);
    let sum = |member: &str| -> i64 {
        review.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|i| i["member_id"] == member)
            .map(|i| i["points"].as_i64().unwrap_or(0))
            .sum()
    };
    assert_eq!((sum(&plain[0]), sum(&plain[1])), (half, 3 * step));
}

/// `n` identical adjustments sent at once, each on its own connection; the replies.
async fn at_once(s: &Server, token: &str, member: &str, points: i64, reason: &str, n: usize) -> Vec<Response> {
    let request = Request::new("POST", &format!("/api/v1/members/{member}/points/adjustments"))
        .token(token)
        .json(&json!({"points": points, "reason": reason}));
    let addr = s.addr;
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let r = request.clone();
            tokio::spawn(async move { r.send(addr).await })
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for h in handles {
        out.push(h.await.expect("request task"));
    }
    out
}

#[tokio::test]
async fn superiors_review_the_adjustments_made_below_and_outsiders_cannot() {
    let s = start_demo().await;
    let c = first_cell(&s).await;
    let (boss, boss_token) = &c.commune_secretary;
    assert_eq!(adjust(&s, &c.admin, boss, 7, "Khen thưởng hội thi cấp tỉnh").await.status, 201);
    assert_eq!(adjust(&s, &c.secretary.1, &c.member.0, -3, "Điều chỉnh do nhập trùng").await.status, 201);
    let commune = get(&s, &c.admin, &format!("/api/v1/org-units/{}", c.cell)).await.body["parent_id"].as_str().expect("parent").to_string();

    // The commune's secretary reviews the commune: both adjustments, who made them, newest first.
    let url = format!("/api/v1/org-units/{commune}/points/adjustments");
    let r = get(&s, boss_token, &url).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let items = r.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{}", r.body);
    assert_eq!(items[0]["member_id"], c.member.0.as_str());
    assert_eq!((items[0]["points"].as_i64(), items[0]["adjusted_by_username"].as_str()), (Some(-3), Some("bithu")));
    assert!(items[0]["adjusted_by_name"].is_string());
    assert_eq!(items[0]["reason"], "Điều chỉnh do nhập trùng");
    assert_eq!(items[0]["unit_id"], c.cell.as_str());
    assert_eq!(items[1]["member_id"], boss.as_str(), "the adjustment to the superior is listed");
    assert_eq!((items[1]["points"].as_i64(), items[1]["adjusted_by_username"].as_str()), (Some(7), Some("quantri.tinh")));
    assert!(items[1]["at"].is_string());
    // The province's administrator sees the same under the province; pages follow the cursor.
    let province = get(&s, &c.admin, &format!("/api/v1/org-units/{commune}")).await.body["parent_id"].as_str().expect("p").to_string();
    let first = get(&s, &c.admin, &format!("/api/v1/org-units/{province}/points/adjustments?limit=1")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let cursor = first.body["next_cursor"].as_str().expect("a second page").to_string();
    let second = get(&s, &c.admin, &format!("/api/v1/org-units/{province}/points/adjustments?limit=1&cursor={cursor}")).await;
    assert_eq!(
        (first.body["items"][0]["id"].clone(), second.body["items"][0]["id"].clone()),
        (items[0]["id"].clone(), items[1]["id"].clone())
    );
    assert!(second.body["next_cursor"].is_null());
    // Dates are Vietnam's calendar days, both ends included.
    let today = s.clock.today();
    let day = |from: chrono::NaiveDate, to: chrono::NaiveDate| format!("{url}?from={from}&to={to}");
    assert_eq!(get(&s, boss_token, &day(today, today)).await.body["items"].as_array().map(Vec::len), Some(2));
    let yesterday = today.pred_opt().expect("date");
    assert_eq!(get(&s, boss_token, &day(yesterday, yesterday)).await.body["items"].as_array().map(Vec::len), Some(0));
    let r = get(&s, boss_token, &format!("{url}?cursor=not-a-cursor")).await;
    assert_eq!((r.status, r.code()), (400, "invalid_cursor"));

    // Outsiders: a plain member, the cell's secretary on the commune above, another cell's
    // secretary, and no token at all.
    let r = get(&s, &c.member.1, &format!("/api/v1/org-units/{}/points/adjustments", c.cell)).await;
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    let r = get(&s, &c.secretary.1, &url).await;
    assert_eq!((r.status, r.code()), (403, "forbidden"), "a cell's secretary does not review the commune");
    let cells = get(&s, &c.admin, &format!("/api/v1/org-units/{commune}/children")).await;
    let sibling = cells
        .body
        .as_array()
        .expect("cells")
        .iter()
        .map(|u| u["id"].as_str().expect("id"))
        .find(|id| *id != c.cell)
        .expect("a sibling cell")
        .to_string();
    let (_, sibling_secretary) = holder(&s, &c.admin, &sibling, "secretary").await;
    let r = get(&s, &sibling_secretary, &format!("/api/v1/org-units/{}/points/adjustments", c.cell)).await;
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    let r = Request::new("GET", &url).send(s.addr).await;
    assert_eq!(r.status, 401);
}

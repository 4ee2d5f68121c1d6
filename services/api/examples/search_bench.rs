//! Search benchmark: generates a province-like set of documents (default 10,000; `DOCS=N`) on a
//! fresh database (a temporary SQLite file, or `DATABASE_URL`), then times the feed and search
//! endpoint through the real router (authentication, visibility, ranking, paging) for a member who
//! sees part of the documents.
//!
//! Run: `cargo run --release -p api --example search_bench`
//! (PostgreSQL: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/<empty db> cargo run --release -p api --example search_bench`)

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark program: failing loudly is right

use std::time::Instant;

use app::clock::{Clock, SystemClock};
use axum::body::Body;
use axum::http::{Request, header};
use documents::DocumentId;
use documents::model::{DocumentKind, DocumentStatus};
use documents::search::{Searchable, index_terms};
use http_body_util::BodyExt;
use membership::UnitId;
use storage::documents::DocumentRecord;
use tower::ServiceExt;

const TOPICS: [&str; 24] = [
    "công tác xây dựng Đảng",
    "phát triển đảng viên",
    "kinh tế nông nghiệp",
    "chuyển đổi số",
    "xây dựng nông thôn mới",
    "an ninh trật tự",
    "phòng chống tham nhũng",
    "học tập và làm theo tư tưởng Hồ Chí Minh",
    "công tác dân vận",
    "bảo vệ môi trường",
    "giáo dục đào tạo",
    "y tế cơ sở",
    "cải cách hành chính",
    "quốc phòng toàn dân",
    "văn hóa xã hội",
    "thu gom rác thải",
    "đê điều và thủy lợi",
    "đất đai và quy hoạch",
    "chính sách người có công",
    "thanh niên và phụ nữ",
    "kiểm tra giám sát",
    "tổ chức bộ máy",
    "sinh hoạt chi bộ",
    "đánh giá cán bộ",
];
const KINDS: [(DocumentKind, &str, &str); 6] = [
    (DocumentKind::Resolution, "Nghị quyết", "NQ"),
    (DocumentKind::Directive, "Chỉ thị", "CT"),
    (DocumentKind::Conclusion, "Kết luận", "KL"),
    (DocumentKind::Guidance, "Hướng dẫn", "HD"),
    (DocumentKind::Notice, "Thông báo", "TB"),
    (DocumentKind::News, "Tin tức", "TT"),
];
const FILLER: [&str; 20] = [
    "đảng viên",
    "chi bộ",
    "nhiệm vụ",
    "lãnh đạo",
    "thực hiện",
    "kết quả",
    "tháng",
    "năm",
    "cấp ủy",
    "nhân dân",
    "phong trào",
    "triển khai",
    "nâng cao",
    "chất lượng",
    "hiệu quả",
    "địa phương",
    "tổ chức",
    "quán triệt",
    "kế hoạch",
    "tuyên truyền",
];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n_docs: usize = std::env::var("DOCS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let tmp = std::env::temp_dir().join(format!("handbook-bench-{}.db", uuid::Uuid::now_v7().simple()));
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}", tmp.display()));
    let mut config = api::config::Config::for_test(&url);
    config.max_connections = 8;
    let state = api::prepare(config).await.expect("database");
    api::demo::seed(&state.db, api::demo::DEFAULT_SEED, state.clock.now()).await.expect("demo");
    let admin_top = storage::units::roots(state.db.conn()).await.unwrap();
    let province = storage::units::children(state.db.conn(), admin_top[0].id).await.unwrap()[0].clone();
    let communes = storage::units::children(state.db.conn(), province.id).await.unwrap();

    // Documents: 20% province-wide, the rest issued by one commune to its own subtree, so that a
    // member sees roughly 20% + 80%/12 ≈ 27% of them.
    let started = Instant::now();
    let mut rng = Rng(7);
    let now = SystemClock.now();
    let mut batch = Vec::new();
    for i in 0..n_docs {
        let (kind, kind_name, symbol) = KINDS[rng.below(KINDS.len())];
        let topic = TOPICS[rng.below(TOPICS.len())];
        let issuer: UnitId = if rng.below(5) == 0 { province.id } else { communes[rng.below(communes.len())].id };
        let body: Vec<&str> = (0..60).map(|_| FILLER[rng.below(FILLER.len())]).collect();
        let d = DocumentRecord {
            id: DocumentId::from_uuid(uuid::Uuid::now_v7()),
            issuer_unit_id: issuer,
            kind,
            number: Some(format!("{}-{symbol}/B{}", i + 1, rng.below(1000))),
            title: format!("{kind_name} về {topic} năm {}", 2020 + rng.below(7)),
            summary: format!("Triển khai {topic} tại địa phương"),
            body: body.join(" "),
            issued_on: Some(now.date_naive()),
            effective_on: None,
            tags: vec![topic.to_string()],
            roles: Vec::new(),
            status: DocumentStatus::Published,
            required: rng.below(10) == 0,
            read_deadline: None,
            escalated_at: None,
            published_at: Some(now - chrono::Duration::seconds(i64::try_from(n_docs - i).unwrap())),
            withdrawn_at: None,
            withdraw_reason: None,
            version: 1,
            created_by: None,
            created_at: now,
            updated_at: now,
        };
        batch.push(d);
        if batch.len() == 500 || i + 1 == n_docs {
            let tx = state.db.begin().await.unwrap();
            for d in batch.drain(..) {
                let terms = index_terms(Searchable {
                    title: &d.title,
                    number: d.number.as_deref().unwrap_or(""),
                    summary: &d.summary,
                    body: &d.body,
                    tags: &d.tags,
                });
                storage::documents::insert(tx.conn(), &d, &[d.issuer_unit_id], &terms).await.unwrap();
            }
            tx.commit().await.unwrap();
        }
    }
    println!("backend {}, {n_docs} documents generated in {:.1} s", state.db.backend_name(), started.elapsed().as_secs_f64());

    let app = api::app(state.clone());
    let login = Request::post("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"username":"dangvien","password":"demo12345"}"#))
        .unwrap();
    let res = app.clone().oneshot(login).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let token = body["access_token"].as_str().unwrap().to_string();

    let scenarios = [
        ("feed (no query)", ""),
        ("1 word, diacritics", "q=ngh%E1%BB%8B"),
        ("1 word, folded", "q=nghi"),
        ("2 words, diacritics", "q=chuy%E1%BB%83n%20%C4%91%E1%BB%95i"),
        ("2 words, folded", "q=chuyen%20doi"),
        ("3 words, folded", "q=xay%20dung%20dang"),
        ("3 words, diacritics", "q=x%C3%A2y%20d%E1%BB%B1ng%20%C4%90%E1%BA%A3ng"),
        ("common word", "q=dang%20vien"),
    ];
    println!("{:<22} {:>8} {:>8} {:>8} {:>8} {:>6}", "scenario", "p50 ms", "p95 ms", "p99 ms", "max ms", "hits");
    for (name, query) in scenarios {
        let mut times = Vec::new();
        let mut hits = 0;
        for i in 0..200 {
            let req = Request::get(format!("/api/v1/documents?{query}"))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap();
            let t0 = Instant::now();
            let res = app.clone().oneshot(req).await.unwrap();
            let bytes = res.into_body().collect().await.unwrap().to_bytes();
            let elapsed = t0.elapsed().as_secs_f64() * 1000.0;
            if i >= 10 {
                times.push(elapsed);
            }
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            hits = v["items"].as_array().map_or(0, Vec::len);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{name:<22} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>6}",
            percentile(&times, 0.5),
            percentile(&times, 0.95),
            percentile(&times, 0.99),
            times.last().copied().unwrap_or(0.0),
            hits
        );
    }
    let _ = std::fs::remove_file(&tmp);
    let _ = std::fs::remove_file(format!("{}-wal", tmp.display()));
    let _ = std::fs::remove_file(format!("{}-shm", tmp.display()));
}

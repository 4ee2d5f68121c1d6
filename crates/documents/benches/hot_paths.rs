//! Micro-benchmarks of the documents domain's hot paths: diacritic folding, indexing a document,
//! scoring it for a query, and audience resolution.
//!
//! Run: `cargo bench -p documents --bench hot_paths` (figures in docs/PERFORMANCE.md).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use documents::audience::includes;
use documents::fold::{fold, words};
use documents::search::{Searchable, index_terms, parse_query, score};
use membership::UnitId;
use membership::position::Role;

const TITLE: &str = "Nghị quyết về tăng cường công tác xây dựng Đảng trong tình hình mới";
const BODY: &str = "Quán triệt và triển khai thực hiện nghị quyết của Ban Chấp hành Đảng bộ tỉnh về nâng cao chất lượng \
    sinh hoạt chi bộ, đổi mới nội dung và phương thức lãnh đạo, phát huy vai trò tiên phong gương mẫu của cán bộ, \
    đảng viên; tăng cường công tác kiểm tra, giám sát, tuyên truyền trong nhân dân, bảo đảm kế hoạch được thực hiện \
    đúng tiến độ, có hiệu quả tại địa phương.";

fn folding(c: &mut Criterion) {
    c.bench_function("fold title (66 chars)", |b| b.iter(|| fold(black_box(TITLE))));
    c.bench_function("fold body (60 words)", |b| b.iter(|| fold(black_box(BODY))));
    c.bench_function("split body into (exact, folded) words", |b| b.iter(|| words(black_box(BODY))));
    let decomposed: String = unicode_normalization::UnicodeNormalization::nfd(BODY).collect();
    c.bench_function("fold body typed decomposed (NFD)", |b| b.iter(|| fold(black_box(&decomposed))));
}

fn search(c: &mut Criterion) {
    let tags = vec!["xây dựng Đảng".to_string()];
    let doc = Searchable {
        title: TITLE, number: "15-NQ/TU", summary: "Triển khai nghị quyết tại địa phương", body: BODY, tags: &tags
    };
    c.bench_function("index terms of a document", |b| b.iter(|| index_terms(black_box(doc))));
    let terms = index_terms(doc);
    let query = parse_query("nghị quyết chất lượng");
    c.bench_function("parse a 3-word query", |b| b.iter(|| parse_query(black_box("nghị quyết chất lượng"))));
    c.bench_function("score a document for a 3-word query", |b| b.iter(|| score(black_box(&query), black_box(&terms))));
}

fn audience(c: &mut Criterion) {
    let u = |n: u128| UnitId::from_uuid(uuid::Uuid::from_u128(n));
    let path = [u(1), u(2), u(3), u(4), u(5)];
    let roots: Vec<UnitId> = (100..120).map(u).chain([u(4)]).collect();
    let roles = [Role::Secretary, Role::DeputySecretary, Role::CommitteeMember];
    c.bench_function("audience: member in the last of 21 roots", |b| b.iter(|| includes(black_box(&roots), &[], black_box(&path), &[])));
    c.bench_function("audience: narrowed to leaders, member is a committee member", |b| {
        b.iter(|| includes(black_box(&roots), black_box(&roles), black_box(&path), black_box(&[Role::CommitteeMember])))
    });
}

criterion_group!(benches, folding, search, audience);
criterion_main!(benches);

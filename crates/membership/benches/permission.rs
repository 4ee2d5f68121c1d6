//! Micro-benchmark of the permission check, the function every request calls at least once.
//!
//! Run: `cargo bench -p membership --bench permission` (figures in docs/PERFORMANCE.md).

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use membership::permission::{Action, Actor, HeldPosition, authorize};
use membership::position::Role;
use membership::{MemberId, UnitId};

fn permission(c: &mut Criterion) {
    let u = |n: u128| UnitId::from_uuid(uuid::Uuid::from_u128(n));
    let on = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default();
    let from = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
    // Root 1 → province 2 → commune 3 → cells 4, 5.
    let cell_path = [u(1), u(2), u(3), u(4)];
    let other_cell = [u(1), u(2), u(3), u(5)];
    let secretary = Actor {
        member_id: Some(MemberId::from_uuid(uuid::Uuid::from_u128(9))),
        home_path: cell_path.to_vec(),
        positions: vec![
            HeldPosition { unit_id: u(4), role: Role::Secretary, from, to: None },
            HeldPosition {
                unit_id: u(3),
                role: Role::CommitteeMember,
                from,
                to: Some(NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default()),
            },
        ],
        ..Actor::default()
    };
    let member = Actor { positions: Vec::new(), ..secretary.clone() };
    let admin = Actor { admin_scopes: vec![u(7), u(8), u(2)], ..Actor::default() };
    c.bench_function("authorize: secretary manages own cell's members (allowed)", |b| {
        b.iter(|| authorize(black_box(&secretary), Action::ManageMembers, black_box(&cell_path), on))
    });
    c.bench_function("authorize: secretary manages another cell (denied)", |b| {
        b.iter(|| authorize(black_box(&secretary), Action::ManageMembers, black_box(&other_cell), on))
    });
    c.bench_function("authorize: member views own cell's meetings", |b| {
        b.iter(|| authorize(black_box(&member), Action::ViewMeetings, black_box(&cell_path), on))
    });
    c.bench_function("authorize: administrator of the province, third scope", |b| {
        b.iter(|| authorize(black_box(&admin), Action::ViewRoster, black_box(&other_cell), on))
    });
}

criterion_group!(benches, permission);
criterion_main!(benches);

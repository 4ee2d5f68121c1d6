//! Membership changes (*tăng giảm đảng viên*): per child unit and per cell, the members at the
//! start, the changes of the period from the lifecycle events, the members at the end; and the
//! composition at the end by standing, sex and age band.

use std::collections::HashMap;

use chrono::NaiveDate;
use membership::{MemberId, Sex, UnitId};
use report_render::model::{Cell, ColumnKind, Fact, Report, Section};
use reports::figures::AgeBand;
use storage::StoreError;
use storage::report_figures::{self as q, EventFacts, MemberFacts};

use super::{At, Tree, col, int, text};
use crate::Ctx;

/// The flows of one unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Flows {
    pub start: u64,
    pub admitted: u64,
    pub recognised: u64,
    pub transfer_in: u64,
    pub transfer_out: u64,
    pub temporary_in: u64,
    pub temporary_out: u64,
    pub exempted: u64,
    pub removed: u64,
    pub expelled: u64,
    pub deceased: u64,
    pub end: u64,
}

impl Flows {
    fn row(&self, name: &str) -> Vec<Cell> {
        vec![
            text(name),
            int(self.start),
            int(self.admitted),
            int(self.recognised),
            int(self.transfer_in),
            int(self.transfer_out),
            int(self.temporary_in),
            int(self.temporary_out),
            int(self.exempted),
            int(self.removed),
            int(self.expelled),
            int(self.deceased),
            int(self.end),
        ]
    }
}

fn flow_columns(unit_header: &str) -> Vec<report_render::model::Column> {
    use ColumnKind::*;
    vec![
        col("unit_name", unit_header, Text),
        col("start", "Đầu kỳ", Integer),
        col("admitted", "Kết nạp", Integer),
        col("recognised_official", "Công nhận chính thức", Integer),
        col("transfer_in", "Chuyển đến (chính thức)", Integer),
        col("transfer_out", "Chuyển đi (chính thức)", Integer),
        col("temporary_in", "Chuyển đến (tạm thời)", Integer),
        col("temporary_out", "Chuyển đi (tạm thời)", Integer),
        col("exempted", "Miễn sinh hoạt", Integer),
        col("removed", "Xóa tên", Integer),
        col("expelled", "Khai trừ", Integer),
        col("deceased", "Từ trần", Integer),
        col("end", "Cuối kỳ", Integer),
    ]
}

/// A member's state as the events leave it.
#[derive(Debug, Clone, Copy)]
struct State {
    home: UnitId,
    active: bool,
}

/// A member's timeline: the admission and each later event, with the state it leaves.
struct Timeline<'a> {
    member: &'a MemberFacts,
    admitted_on: NaiveDate,
    admitted_to: UnitId,
    /// (event, state before, state after).
    steps: Vec<(&'a EventFacts, State, State)>,
}

fn timeline<'a>(member: &'a MemberFacts, events: &[&'a EventFacts]) -> Timeline<'a> {
    let admit = events.iter().find(|e| e.kind == membership::lifecycle::ADMISSION_CODE);
    let first_from = events.iter().find(|e| e.kind != membership::lifecycle::ADMISSION_CODE).and_then(|e| e.from_unit_id);
    let admitted_to = admit.and_then(|e| e.to_unit_id).or(first_from).unwrap_or(member.unit_id);
    let admitted_on = admit.map_or(member.admitted_on, |e| e.effective_on);
    let mut state = State { home: admitted_to, active: true };
    let mut steps = Vec::new();
    for e in events.iter().filter(|e| e.kind != membership::lifecycle::ADMISSION_CODE) {
        let before = state;
        match e.kind.as_str() {
            "transfer" => {
                if let Some(to) = e.to_unit_id {
                    state.home = to;
                }
            }
            "remove" | "expel" | "decease" => state.active = false,
            _ => {}
        }
        steps.push((*e, before, state));
    }
    Timeline { member, admitted_on, admitted_to, steps }
}

impl Timeline<'_> {
    /// The state in effect at the start of `day` (events effective before it), if admitted.
    fn state_before(&self, day: NaiveDate) -> Option<State> {
        if self.admitted_on >= day {
            return None;
        }
        let mut s = State { home: self.admitted_to, active: true };
        for (e, _, after) in &self.steps {
            if e.effective_on < day {
                s = *after;
            }
        }
        Some(s)
    }
}

/// Membership flows of every unit of the subtree (by unit id), and the members active at the end
/// with their home cell.
pub(super) struct Changes {
    pub tree: Tree,
    pub flows: HashMap<UnitId, Flows>,
    pub at_end: Vec<(MemberFacts, UnitId)>,
}

pub(super) async fn changes(ctx: &Ctx, at: &At, root: UnitId) -> Result<Changes, StoreError> {
    let tree = Tree::load(ctx, root).await?;
    let (members, events) = q::membership_facts(ctx.db.reader(), root).await?;
    let (start, end) = (at.period.start(), at.period.end_exclusive());
    let mut by_member: HashMap<MemberId, Vec<&EventFacts>> = HashMap::new();
    for e in &events {
        by_member.entry(e.member_id).or_default().push(e);
    }
    let mut flows: HashMap<UnitId, Flows> = tree.units.iter().map(|u| (u.id, Flows::default())).collect();
    let mut at_end = Vec::new();
    for m in &members {
        let t = timeline(m, by_member.get(&m.id).map_or(&[][..], |v| v.as_slice()));
        let chain = |s: Option<State>| s.filter(|s| s.active).map_or_else(Vec::new, |s| tree.chain(s.home));
        for u in chain(t.state_before(start)) {
            if let Some(f) = flows.get_mut(&u) {
                f.start += 1;
            }
        }
        let end_state = t.state_before(end);
        for u in chain(end_state) {
            if let Some(f) = flows.get_mut(&u) {
                f.end += 1;
            }
        }
        if let Some(s) = end_state.filter(|s| s.active && !tree.chain(s.home).is_empty()) {
            at_end.push((t.member.clone(), s.home));
        }
        if (start..end).contains(&t.admitted_on) {
            for u in tree.chain(t.admitted_to) {
                if let Some(f) = flows.get_mut(&u) {
                    f.admitted += 1;
                }
            }
        }
        for (e, before, after) in t.steps.iter().filter(|(e, _, _)| (start..end).contains(&e.effective_on)) {
            let was = if before.active { tree.chain(before.home) } else { Vec::new() };
            let is = if after.active { tree.chain(after.home) } else { Vec::new() };
            let host = e.to_unit_id.map_or_else(Vec::new, |h| tree.chain(h));
            let mut touched: Vec<UnitId> = was.iter().chain(&is).chain(&host).copied().collect();
            touched.sort_by_key(|u| u.as_uuid());
            touched.dedup();
            for u in &touched {
                let Some(f) = flows.get_mut(u) else { continue };
                let (in_was, in_is) = (was.contains(u), is.contains(u));
                match e.kind.as_str() {
                    "transfer" if !in_was && in_is => f.transfer_in += 1,
                    "transfer" if in_was && !in_is => f.transfer_out += 1,
                    "remove" if in_was => f.removed += 1,
                    "expel" if in_was => f.expelled += 1,
                    "decease" if in_was => f.deceased += 1,
                    "recognize_official" if in_was => f.recognised += 1,
                    "exempt" if in_was => f.exempted += 1,
                    "temporary_transfer" if in_was && !host.contains(u) => f.temporary_out += 1,
                    "temporary_transfer" if !in_was && host.contains(u) => f.temporary_in += 1,
                    _ => {}
                }
            }
        }
    }
    Ok(Changes { tree, flows, at_end })
}

pub(super) async fn fill(ctx: &Ctx, at: &At, root: UnitId, report: &mut Report, progress: &(dyn Fn(u8) + Sync)) -> Result<(), StoreError> {
    let Changes { tree, flows, at_end } = changes(ctx, at, root).await?;
    progress(70);
    let total = flows.get(&root).copied().unwrap_or_default();
    let children: Vec<_> = tree.children().collect();
    if !children.is_empty() {
        report.sections.push(Section {
            sheet: "Đơn vị trực thuộc".into(),
            title: "Tăng giảm đảng viên theo đơn vị trực thuộc".into(),
            columns: flow_columns("Đơn vị"),
            rows: children.iter().map(|c| flows.get(&c.id).copied().unwrap_or_default().row(&c.name)).collect(),
            totals: Some(total.row("Tổng cộng")),
        });
    }
    report.primary = report.sections.len();
    report.sections.push(Section {
        sheet: "Chi bộ".into(),
        title: "Tăng giảm đảng viên theo chi bộ".into(),
        columns: flow_columns("Chi bộ"),
        rows: tree.cells().map(|c| flows.get(&c.id).copied().unwrap_or_default().row(&c.name)).collect(),
        totals: Some(total.row("Tổng cộng")),
    });

    // Composition at the end of the period, per child unit (or the unit itself).
    let last = at.period.last_day();
    let groups: Vec<(UnitId, String)> =
        if children.is_empty() { vec![(root, tree.name(root))] } else { children.iter().map(|c| (c.id, c.name.clone())).collect() };
    let mut comp: HashMap<UnitId, [u64; 4 + AgeBand::ALL.len()]> = HashMap::new();
    let mut comp_total = [0u64; 4 + AgeBand::ALL.len()];
    for (m, home) in &at_end {
        let official = m.official_on.is_some_and(|d| d <= last);
        let band = AgeBand::of(Some(m.date_of_birth), last);
        let add = |slot: &mut [u64; 4 + AgeBand::ALL.len()]| {
            slot[if official { 0 } else { 1 }] += 1;
            slot[if m.sex == Sex::Male { 2 } else { 3 }] += 1;
            if let Some(i) = AgeBand::ALL.iter().position(|b| *b == band) {
                slot[4 + i] += 1;
            }
        };
        add(&mut comp_total);
        let key = if children.is_empty() { Some(root) } else { tree.child_of.get(home).copied() };
        if let Some(k) = key {
            add(comp.entry(k).or_insert([0; 4 + AgeBand::ALL.len()]));
        }
    }
    let comp_row = |name: &str, v: &[u64]| {
        let mut row = vec![text(name), int(v.iter().take(2).sum())];
        row.extend(v.iter().map(|n| int(*n)));
        row
    };
    let mut columns = vec![
        col("unit_name", "Đơn vị", ColumnKind::Text),
        col("members", "Tổng số", ColumnKind::Integer),
        col("official", "Chính thức", ColumnKind::Integer),
        col("probationary", "Dự bị", ColumnKind::Integer),
        col("male", "Nam", ColumnKind::Integer),
        col("female", "Nữ", ColumnKind::Integer),
    ];
    let age_keys = ["age_up_to_30", "age_31_40", "age_41_50", "age_51_60", "age_over_60", "age_unknown"];
    for (b, key) in AgeBand::ALL.iter().zip(age_keys) {
        columns.push(col(key, &format!("Tuổi {}", b.label()), ColumnKind::Integer));
    }
    report.sections.push(Section {
        sheet: "Cơ cấu".into(),
        title: format!("Cơ cấu đảng viên đến ngày {}", last.format("%d/%m/%Y")),
        columns,
        rows: groups.iter().map(|(id, name)| comp_row(name, &comp.get(id).copied().unwrap_or_default())).collect(),
        totals: Some(comp_row("Tổng cộng", &comp_total)),
    });
    let f = |label: &str, value: Cell| Fact { label: label.into(), value };
    report.summary = vec![
        f("Đảng viên đầu kỳ", int(total.start)),
        f("Kết nạp", int(total.admitted)),
        f("Công nhận chính thức", int(total.recognised)),
        f("Chuyển đến", int(total.transfer_in)),
        f("Chuyển đi", int(total.transfer_out)),
        f("Xóa tên, khai trừ, từ trần", int(total.removed + total.expelled + total.deceased)),
        f("Đảng viên cuối kỳ", int(total.end)),
    ];
    Ok(())
}

//! The set-based queries behind the reports' figures (cell month, activity roll-up, membership
//! changes, member year sheet).
//!
//! Every query covers a whole subtree (through `org_unit_closure`) in one statement and returns
//! plain rows that the application layer groups with hash maps: no query runs per cell or per
//! member. The same statements run on SQLite and PostgreSQL (`$n` placeholders, each used once;
//! sums cast to `BIGINT`).

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt;
use meetings::MeetingId;
use meetings::attendance::AttendanceStatus;
use meetings::lifecycle::{MeetingKind, MeetingStatus};
use membership::lifecycle::Standing;
use membership::{MemberId, Sex, UnitId, UnitKind};
use sea_orm::{ConnectionTrait, QueryResult, Statement, StreamTrait, Value};
use uuid::Uuid;

use crate::notifications::{placeholders, stmt};
use crate::{StoreResult, corrupt};

/// Runs a query and maps each row as it arrives. A province's result sets hold up to 150,000
/// rows; materialised first (`query_all_raw`), their raw rows alone took over 100 MB.
async fn map_rows<C: ConnectionTrait + StreamTrait, T>(
    c: &C,
    statement: Statement,
    f: impl Fn(&QueryResult) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut rows = std::pin::pin!(c.stream_raw(statement).await?);
    let mut out = Vec::new();
    while let Some(row) = rows.next().await {
        out.push(f(&row?)?);
    }
    Ok(out)
}

/// Statuses of a meeting that was held (opened, so it has a ledger), as the attendance history
/// counts them.
pub const HELD: [MeetingStatus; 5] =
    [MeetingStatus::Open, MeetingStatus::Ended, MeetingStatus::MinutesApproved, MeetingStatus::Reported, MeetingStatus::Acknowledged];

fn held_list() -> String {
    HELD.iter().map(|s| format!("'{}'", s.code())).collect::<Vec<_>>().join(", ")
}

const ACTIVE: &str = "m.standing IN ('probationary', 'official')";

fn uid(r: &QueryResult, col: &str) -> StoreResult<Uuid> {
    Ok(r.try_get::<Uuid>("", col)?)
}

fn count(r: &QueryResult, col: &str) -> StoreResult<u64> {
    let n: i64 = r.try_get("", col)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// A unit of the subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRow {
    /// Id.
    pub id: UnitId,
    /// Current parent (`None` for a root).
    pub parent_id: Option<UnitId>,
    /// Kind.
    pub kind: UnitKind,
    /// Name.
    pub name: String,
    /// Depth below the subtree's root (0: the root).
    pub depth: i32,
    /// When the unit was created.
    pub created_at: DateTime<Utc>,
}

/// Every unit of `unit`'s subtree (the unit included), by depth then name.
pub async fn subtree_units<C: ConnectionTrait + StreamTrait>(c: &C, unit: UnitId) -> StoreResult<Vec<UnitRow>> {
    let rows = c
        .query_all_raw(stmt(
            c,
            "SELECT u.id AS id, u.parent_id AS parent_id, u.kind AS kind, u.name AS name, cl.depth AS depth, u.created_at AS created_at \
             FROM org_unit_closure cl JOIN org_units u ON u.id = cl.descendant_id WHERE cl.ancestor_id = $1 ORDER BY cl.depth, u.name, u.id",
            vec![unit.as_uuid().into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let kind: String = r.try_get("", "kind")?;
            Ok(UnitRow {
                id: UnitId::from_uuid(uid(r, "id")?),
                parent_id: r.try_get::<Option<Uuid>>("", "parent_id")?.map(UnitId::from_uuid),
                kind: UnitKind::parse(&kind).map_err(|e| corrupt("org_units.kind", e))?,
                name: r.try_get("", "name")?,
                depth: r.try_get("", "depth")?,
                created_at: r.try_get("", "created_at")?,
            })
        })
        .collect()
}

/// A meeting of the subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRow {
    /// Id.
    pub id: MeetingId,
    /// The unit holding it.
    pub unit_id: UnitId,
    /// Kind.
    pub kind: MeetingKind,
    /// A regular meeting combined with a thematic one.
    pub combined_thematic: bool,
    /// Status.
    pub status: MeetingStatus,
    /// Scheduled start.
    pub starts_at: DateTime<Utc>,
}

/// The held meetings ([`HELD`]) of `unit`'s subtree starting in `[from, to)`, by start.
pub async fn held_meetings<C: ConnectionTrait + StreamTrait>(
    c: &C,
    unit: UnitId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<MeetingRow>> {
    let sql = format!(
        "SELECT mt.id AS id, mt.unit_id AS unit_id, mt.kind AS kind, mt.combined_thematic AS combined_thematic, mt.status AS status, \
         mt.starts_at AS starts_at FROM meetings mt JOIN org_unit_closure cl ON cl.descendant_id = mt.unit_id \
         WHERE cl.ancestor_id = $1 AND mt.starts_at >= $2 AND mt.starts_at < $3 AND mt.status IN ({}) ORDER BY mt.starts_at, mt.id",
        held_list()
    );

    map_rows(c, stmt(c, &sql, vec![unit.as_uuid().into(), from.into(), to.into()]), |r| {
        let kind: String = r.try_get("", "kind")?;
        let status: String = r.try_get("", "status")?;
        Ok(MeetingRow {
            id: MeetingId::from_uuid(uid(r, "id")?),
            unit_id: UnitId::from_uuid(uid(r, "unit_id")?),
            kind: MeetingKind::parse(&kind).ok_or_else(|| corrupt("meetings.kind", &kind))?,
            combined_thematic: r.try_get("", "combined_thematic")?,
            status: MeetingStatus::parse(&status).ok_or_else(|| corrupt("meetings.status", &status))?,
            starts_at: r.try_get("", "starts_at")?,
        })
    })
    .await
}

/// The attendance figures' counts of one held meeting, over the members obliged to attend (the
/// counts `meetings::attendance::figures` takes from a ledger).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeetingAttendance {
    /// The meeting.
    pub meeting_id: MeetingId,
    /// Members obliged to attend.
    pub obliged: u64,
    /// Of whom present or late.
    pub attended: u64,
    /// Official members obliged to attend.
    pub official: u64,
    /// Of whom present or late.
    pub official_attended: u64,
}

const ATTENDED: &str = "a.status IN ('present', 'late')";

/// The obliged ledger rows of the held meetings (committee meetings aside) of `unit`'s subtree
/// starting in `[from, to)`, optionally of one member: a `FROM … WHERE …` clause whose values are
/// appended to `values` (placeholders numbered after those already there).
fn scope(unit: UnitId, from: DateTime<Utc>, to: DateTime<Utc>, member: Option<MemberId>, values: &mut Vec<Value>) -> String {
    let n = values.len();
    values.extend([Value::from(unit.as_uuid()), from.into(), to.into()]);
    let mut sql = format!(
        "FROM meetings mt JOIN org_unit_closure cl ON cl.descendant_id = mt.unit_id JOIN attendance a ON a.meeting_id = mt.id \
         WHERE cl.ancestor_id = ${} AND mt.starts_at >= ${} AND mt.starts_at < ${} AND mt.status IN ({}) AND mt.kind <> 'committee' \
         AND a.role = 'obliged'",
        n + 1,
        n + 2,
        n + 3,
        held_list()
    );
    if let Some(m) = member {
        sql.push_str(&format!(" AND a.member_id = ${}", n + 4));
        values.push(m.as_uuid().into());
    }
    sql
}

/// Per held meeting (committee meetings aside) of `unit`'s subtree starting in `[from, to)`, the
/// counts of its ledger (one grouped statement).
pub async fn meeting_attendance<C: ConnectionTrait + StreamTrait>(
    c: &C,
    unit: UnitId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<MeetingAttendance>> {
    let mut values: Vec<Value> = Vec::new();
    let sql = format!(
        "SELECT a.meeting_id AS meeting_id, CAST(COUNT(*) AS BIGINT) AS obliged, \
         CAST(SUM(CASE WHEN {ATTENDED} THEN 1 ELSE 0 END) AS BIGINT) AS attended, \
         CAST(SUM(CASE WHEN a.official THEN 1 ELSE 0 END) AS BIGINT) AS official, \
         CAST(SUM(CASE WHEN a.official AND {ATTENDED} THEN 1 ELSE 0 END) AS BIGINT) AS official_attended {} GROUP BY a.meeting_id",
        scope(unit, from, to, None, &mut values)
    );

    map_rows(c, stmt(c, &sql, values), |r| {
        Ok(MeetingAttendance {
            meeting_id: MeetingId::from_uuid(uid(r, "meeting_id")?),
            obliged: count(r, "obliged")?,
            attended: count(r, "attended")?,
            official: count(r, "official")?,
            official_attended: count(r, "official_attended")?,
        })
    })
    .await
}

/// Per member, the held meetings of the subtree in `[from, to)` they were obliged to attend and
/// attended (one grouped statement; optionally one member).
pub async fn member_attendance<C: ConnectionTrait + StreamTrait>(
    c: &C,
    unit: UnitId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    member: Option<MemberId>,
) -> StoreResult<Vec<(MemberId, u64, u64)>> {
    let mut values: Vec<Value> = Vec::new();
    let sql = format!(
        "SELECT a.member_id AS member_id, CAST(COUNT(*) AS BIGINT) AS meetings, \
         CAST(SUM(CASE WHEN {ATTENDED} THEN 1 ELSE 0 END) AS BIGINT) AS attended {} GROUP BY a.member_id",
        scope(unit, from, to, member, &mut values)
    );

    map_rows(c, stmt(c, &sql, values), |r| Ok((MemberId::from_uuid(uid(r, "member_id")?), count(r, "meetings")?, count(r, "attended")?)))
        .await
}

/// One obliged ledger row in a member's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryRow {
    /// The member.
    pub member_id: MemberId,
    /// The meeting's unit.
    pub unit_id: UnitId,
    /// The meeting's start.
    pub starts_at: DateTime<Utc>,
    /// The member's status.
    pub status: AttendanceStatus,
}

/// The obliged ledger rows, in the held meetings of the subtree in `[from, to)`, of the members
/// absent from at least three of them — the only ones an absence flag (three in a row, three
/// months in a year) can concern — by member and start (optionally one member).
pub async fn absence_histories<C: ConnectionTrait + StreamTrait>(
    c: &C,
    unit: UnitId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    member: Option<MemberId>,
) -> StoreResult<Vec<HistoryRow>> {
    // The candidates first (one grouped pass), then their rows through the member index: an
    // `IN (subquery)` would make SQLite probe the candidate list for every meeting of the subtree.
    let mut values: Vec<Value> = Vec::new();
    let inner = scope(unit, from, to, member, &mut values);
    let n = values.len();
    values.extend([Value::from(unit.as_uuid()), from.into(), to.into()]);
    let sql = format!(
        "SELECT a.member_id AS member_id, mt.unit_id AS unit_id, mt.starts_at AS starts_at, a.status AS status \
         FROM (SELECT a.member_id AS member_id {inner} AND NOT {ATTENDED} GROUP BY a.member_id HAVING COUNT(*) >= 3) f \
         JOIN attendance a ON a.member_id = f.member_id JOIN meetings mt ON mt.id = a.meeting_id \
         JOIN org_unit_closure cl ON cl.descendant_id = mt.unit_id AND cl.ancestor_id = ${} \
         WHERE mt.starts_at >= ${} AND mt.starts_at < ${} AND mt.status IN ({}) AND mt.kind <> 'committee' AND a.role = 'obliged' \
         ORDER BY a.member_id, mt.starts_at",
        n + 1,
        n + 2,
        n + 3,
        held_list()
    );

    map_rows(c, stmt(c, &sql, values), |r| {
        let status: String = r.try_get("", "status")?;
        Ok(HistoryRow {
            member_id: MemberId::from_uuid(uid(r, "member_id")?),
            unit_id: UnitId::from_uuid(uid(r, "unit_id")?),
            starts_at: r.try_get("", "starts_at")?,
            status: AttendanceStatus::parse(&status).ok_or_else(|| corrupt("attendance.status", &status))?,
        })
    })
    .await
}

/// A report sent to the superior for a meeting of the subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentReport {
    /// The meeting.
    pub meeting_id: MeetingId,
    /// The reporting unit.
    pub unit_id: UnitId,
    /// Sent after the 5th of the following month.
    pub late: bool,
}

/// The reports of `unit`'s subtree for the given months (`YYYY-MM`).
pub async fn sent_reports<C: ConnectionTrait + StreamTrait>(c: &C, unit: UnitId, months: &[String]) -> StoreResult<Vec<SentReport>> {
    if months.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT r.meeting_id AS meeting_id, r.unit_id AS unit_id, r.late AS late FROM meeting_reports r \
         JOIN org_unit_closure cl ON cl.descendant_id = r.unit_id WHERE cl.ancestor_id = $1 AND r.month IN ({})",
        placeholders(2, months.len())
    );
    let mut values: Vec<Value> = vec![unit.as_uuid().into()];
    values.extend(months.iter().map(|m| Value::from(m.clone())));

    map_rows(c, stmt(c, &sql, values), |r| {
        Ok(SentReport {
            meeting_id: MeetingId::from_uuid(uid(r, "meeting_id")?),
            unit_id: UnitId::from_uuid(uid(r, "unit_id")?),
            late: r.try_get("", "late")?,
        })
    })
    .await
}

/// An active member of the subtree with the year's study points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberPoints {
    /// The member.
    pub member_id: MemberId,
    /// Full name.
    pub full_name: String,
    /// Home cell.
    pub unit_id: UnitId,
    /// Points in the year (`member_points` plus the member's entries still queued for it: the
    /// member's own total as the API shows it).
    pub points: i64,
}

/// The active members (probationary and official) whose home cell is in `unit`'s subtree, with
/// their study points of `year`, by name then id.
pub async fn member_points<C: ConnectionTrait + StreamTrait>(c: &C, unit: UnitId, year: i32) -> StoreResult<Vec<MemberPoints>> {
    let sql = format!(
        "SELECT m.id AS id, m.full_name AS full_name, m.unit_id AS unit_id, CAST(COALESCE(mp.total, 0) + COALESCE(pp.points, 0) AS BIGINT) AS points \
         FROM members m JOIN org_unit_closure cl ON cl.descendant_id = m.unit_id \
         LEFT JOIN member_points mp ON mp.member_id = m.id AND mp.year = $2 \
         LEFT JOIN (SELECT member_id, SUM(points) AS points FROM point_totals_pending WHERE year = $2 GROUP BY member_id) pp ON pp.member_id = m.id WHERE cl.ancestor_id = $1 AND {ACTIVE} ORDER BY m.full_name, m.id"
    );

    map_rows(c, stmt(c, &sql, vec![unit.as_uuid().into(), year.into()]), |r| {
        Ok(MemberPoints {
            member_id: MemberId::from_uuid(uid(r, "id")?),
            full_name: r.try_get("", "full_name")?,
            unit_id: UnitId::from_uuid(uid(r, "unit_id")?),
            points: r.try_get("", "points")?,
        })
    })
    .await
}

/// The (required document, member) pairs of the required reading: driven from the period's
/// required documents (few) through their audience's units to the active members of those units
/// in the subtree, narrowed to the document's roles. Values: `$1` the subtree's root, `$2` true,
/// `$3`/`$4` the deadline range, `$5`/`$6` the day the roles are held on.
const READING_FROM: &str = "FROM (SELECT DISTINCT d0.id AS document_id, ac.descendant_id AS unit_id \
     FROM documents d0 JOIN document_audience da ON da.document_id = d0.id JOIN org_unit_closure ac ON ac.ancestor_id = da.unit_id \
     WHERE d0.required = $2 AND d0.status = 'published' AND d0.read_deadline >= $3 AND d0.read_deadline < $4) aud \
     JOIN documents d ON d.id = aud.document_id \
     JOIN org_unit_closure cl ON cl.descendant_id = aud.unit_id AND cl.ancestor_id = $1 \
     JOIN members m ON m.unit_id = aud.unit_id \
     LEFT JOIN read_receipts rr ON rr.document_id = d.id AND rr.member_id = m.id \
     WHERE m.standing IN ('probationary', 'official') \
     AND (d.roles = '' OR EXISTS (SELECT 1 FROM positions p WHERE p.member_id = m.id AND p.from_date <= $5 \
          AND (p.to_date IS NULL OR p.to_date >= $6) AND d.roles LIKE '%,' || p.role || ',%'))";

/// One member's required readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberReading {
    /// The member.
    pub member_id: MemberId,
    /// Home cell.
    pub unit_id: UnitId,
    /// Required documents addressed to the member with a reading deadline in the period.
    pub required: u64,
    /// Of those, the ones the member has read.
    pub read: u64,
}

/// Required reading of the active members of `unit`'s subtree: the published required documents
/// whose reading deadline falls in `[from, to)` and whose audience reaches the member's home cell
/// (narrowed to the document's roles, held on `roles_on`), with the member's receipts — the rule
/// of the document's read statistics, for every document of the period at once. Members with no
/// such document are absent.
pub async fn required_reading<C: ConnectionTrait + StreamTrait>(
    c: &C,
    unit: UnitId,
    from: NaiveDate,
    to: NaiveDate,
    roles_on: NaiveDate,
) -> StoreResult<Vec<MemberReading>> {
    let sql = format!(
        "SELECT m.id AS id, m.unit_id AS unit_id, CAST(COUNT(*) AS BIGINT) AS required, \
         CAST(SUM(CASE WHEN rr.member_id IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS done {READING_FROM} GROUP BY m.id, m.unit_id"
    );
    let values: Vec<Value> = vec![unit.as_uuid().into(), true.into(), from.into(), to.into(), roles_on.into(), roles_on.into()];

    map_rows(c, stmt(c, &sql, values), |r| {
        Ok(MemberReading {
            member_id: MemberId::from_uuid(uid(r, "id")?),
            unit_id: UnitId::from_uuid(uid(r, "unit_id")?),
            required: count(r, "required")?,
            read: count(r, "done")?,
        })
    })
    .await
}

/// Per home cell of `unit`'s subtree: the distinct members (active today) whose account signed in
/// (opened a session) in `[from, to)`.
pub async fn signed_in_members<C: ConnectionTrait + StreamTrait>(
    c: &C,
    unit: UnitId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Vec<(UnitId, u64)>> {
    let sql = format!(
        "SELECT m.unit_id AS unit_id, CAST(COUNT(DISTINCT m.id) AS BIGINT) AS n FROM sessions s JOIN accounts a ON a.id = s.account_id \
         JOIN members m ON m.id = a.member_id JOIN org_unit_closure cl ON cl.descendant_id = m.unit_id \
         WHERE cl.ancestor_id = $1 AND s.created_at >= $2 AND s.created_at < $3 AND {ACTIVE} GROUP BY m.unit_id"
    );

    map_rows(c, stmt(c, &sql, vec![unit.as_uuid().into(), from.into(), to.into()]), |r| {
        Ok((UnitId::from_uuid(uid(r, "unit_id")?), count(r, "n")?))
    })
    .await
}

/// A member who belongs or belonged to the subtree, for the membership changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberFacts {
    /// Id.
    pub id: MemberId,
    /// Current home cell.
    pub unit_id: UnitId,
    /// Current standing.
    pub standing: Standing,
    /// Admission date.
    pub admitted_on: NaiveDate,
    /// Recognised official on.
    pub official_on: Option<NaiveDate>,
    /// Sex.
    pub sex: Sex,
    /// Date of birth.
    pub date_of_birth: NaiveDate,
}

/// A lifecycle event of such a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFacts {
    /// The member.
    pub member_id: MemberId,
    /// Event code (`admit` or a `membership::lifecycle::EventKind` code).
    pub kind: String,
    /// Effective date.
    pub effective_on: NaiveDate,
    /// Home cell before the event.
    pub from_unit_id: Option<UnitId>,
    /// Cell the event names.
    pub to_unit_id: Option<UnitId>,
}

const TOUCHES: &str = "(m.unit_id IN (SELECT descendant_id FROM org_unit_closure WHERE ancestor_id = $1) \
     OR m.id IN (SELECT e.member_id FROM member_events e WHERE e.from_unit_id IN (SELECT descendant_id FROM org_unit_closure WHERE ancestor_id = $2) \
     OR e.to_unit_id IN (SELECT descendant_id FROM org_unit_closure WHERE ancestor_id = $3)))";

/// Every member whose home cell is, or whose events name a cell, in `unit`'s subtree, with all of
/// their lifecycle events (two statements).
pub async fn membership_facts<C: ConnectionTrait + StreamTrait>(c: &C, unit: UnitId) -> StoreResult<(Vec<MemberFacts>, Vec<EventFacts>)> {
    let u = || -> Vec<Value> { vec![unit.as_uuid().into(), unit.as_uuid().into(), unit.as_uuid().into()] };
    let sql = format!(
        "SELECT m.id AS id, m.unit_id AS unit_id, m.standing AS standing, m.admitted_on AS admitted_on, m.official_on AS official_on, \
         m.sex AS sex, m.date_of_birth AS date_of_birth FROM members m WHERE {TOUCHES}"
    );

    let members = map_rows(c, stmt(c, &sql, u()), |r| {
        let standing: String = r.try_get("", "standing")?;
        let sex: String = r.try_get("", "sex")?;
        Ok(MemberFacts {
            id: MemberId::from_uuid(uid(r, "id")?),
            unit_id: UnitId::from_uuid(uid(r, "unit_id")?),
            standing: Standing::parse(&standing).ok_or_else(|| corrupt("members.standing", &standing))?,
            admitted_on: r.try_get("", "admitted_on")?,
            official_on: r.try_get("", "official_on")?,
            sex: Sex::parse(&sex).map_err(|e| corrupt("members.sex", e))?,
            date_of_birth: r.try_get("", "date_of_birth")?,
        })
    })
    .await?;
    let sql = format!(
        "SELECT ev.member_id AS member_id, ev.kind AS kind, ev.effective_on AS effective_on, ev.from_unit_id AS from_unit_id, \
         ev.to_unit_id AS to_unit_id FROM member_events ev JOIN members m ON m.id = ev.member_id WHERE {TOUCHES} \
         ORDER BY ev.member_id, ev.effective_on, ev.recorded_at, ev.id"
    );

    let events = map_rows(c, stmt(c, &sql, u()), |r| {
        Ok(EventFacts {
            member_id: MemberId::from_uuid(uid(r, "member_id")?),
            kind: r.try_get("", "kind")?,
            effective_on: r.try_get("", "effective_on")?,
            from_unit_id: r.try_get::<Option<Uuid>>("", "from_unit_id")?.map(UnitId::from_uuid),
            to_unit_id: r.try_get::<Option<Uuid>>("", "to_unit_id")?.map(UnitId::from_uuid),
        })
    })
    .await?;
    Ok((members, events))
}

/// One required document's reading among the active members of the subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentReading {
    /// The document's id.
    pub document_id: Uuid,
    /// Title.
    pub title: String,
    /// Reading deadline.
    pub read_deadline: Option<NaiveDate>,
    /// Members of the subtree the document is required of.
    pub required: u64,
    /// Of those, readers.
    pub read: u64,
}

/// Like [`required_reading`], grouped by document (by deadline then title).
pub async fn required_reading_by_document<C: ConnectionTrait + StreamTrait>(
    c: &C,
    unit: UnitId,
    from: NaiveDate,
    to: NaiveDate,
    roles_on: NaiveDate,
) -> StoreResult<Vec<DocumentReading>> {
    let sql = format!(
        "SELECT d.id AS id, d.title AS title, d.read_deadline AS read_deadline, CAST(COUNT(*) AS BIGINT) AS required, \
         CAST(SUM(CASE WHEN rr.member_id IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS done {READING_FROM} \
         GROUP BY d.id, d.title, d.read_deadline ORDER BY d.read_deadline, d.title, d.id"
    );
    let values: Vec<Value> = vec![unit.as_uuid().into(), true.into(), from.into(), to.into(), roles_on.into(), roles_on.into()];

    map_rows(c, stmt(c, &sql, values), |r| {
        Ok(DocumentReading {
            document_id: uid(r, "id")?,
            title: r.try_get("", "title")?,
            read_deadline: r.try_get("", "read_deadline")?,
            required: count(r, "required")?,
            read: count(r, "done")?,
        })
    })
    .await
}

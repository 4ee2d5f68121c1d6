//! Reports (*báo cáo*): requesting them, the generators' passes that build and write them, and
//! reading them back.
//!
//! A report is one row per (kind, unit, period, format, subject) — see `storage::reports`. The
//! API queues requests ([`request`]); report generators claim them ([`generate_next`]), build
//! the figures once ([`figures::build`]), write the file with `report_render`, and record it:
//! the file is written under a temporary name, synced, then renamed to a name that carries its
//! checksum, and only then does the row point at it (with the audit record and the
//! `report.generated` outbox event in the same transaction). A generator killed at any moment
//! leaves the previous file named by the row, intact; its claim's lease runs out and another
//! generator (or the same one restarted) takes the report again. Regenerating with unchanged
//! figures keeps the file and its checksum.
//!
//! Who may request and read: the leaders and administrators over the unit
//! (`Action::ReviewReports`: secretaries and deputies of the unit or above, administrators over
//! it); a member may request and read their own year sheet (kind `member_year`, their own cell,
//! `member` = themselves).

pub mod figures;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use membership::permission::{Action, Actor};
use membership::{MemberId, UnitId};
use report_render::model::Report;
use reports::schedule::Rule;
use reports::{Format, Period, ReportKind};
use sha2::{Digest, Sha256};
use storage::StoreError;
use storage::reports::{Finished, ReportKey, ReportRecord};
use uuid::Uuid;

use self::figures::{BuildError, Subject};
use crate::audit::{self, Requester};
use crate::events::{Event, EventError, ReportGenerated};
use crate::{Ctx, allowed, unit_path};

/// A request for a report, as parsed by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewReport {
    /// The kind.
    pub kind: ReportKind,
    /// The period.
    pub period: Period,
    /// The format.
    pub format: Format,
    /// For a member year sheet: one member only (required when a member asks for their own).
    pub member: Option<MemberId>,
}

/// Why a report does not apply to what was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InapplicableError {
    /// The kind does not take this period (the cell month takes a month, the year sheet a year).
    #[error("this report kind does not take this period")]
    Period,
    /// The kind is not written in this format (PDF: cell month and member year sheet only).
    #[error("this report kind is not written in this format")]
    Format,
    /// The cell month is for a cell.
    #[error("this report kind is for a cell")]
    NotACell,
    /// `member` is only for the member year sheet.
    #[error("a member may be named only for the member year sheet")]
    MemberNotForKind,
    /// The member does not belong to the unit's subtree.
    #[error("the member does not belong to the unit")]
    MemberNotInUnit,
}

impl InapplicableError {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            InapplicableError::Period => "period_not_for_kind",
            InapplicableError::Format => "format_not_for_kind",
            InapplicableError::NotACell => "unit_not_a_cell",
            InapplicableError::MemberNotForKind => "member_not_for_kind",
            InapplicableError::MemberNotInUnit => "member_not_in_unit",
        }
    }
}

/// Why a report cannot be requested or read.
#[derive(Debug, thiserror::Error)]
pub enum ReportsError<E> {
    /// The caller may not request or read reports of the unit (or this member's sheet).
    #[error("not permitted")]
    Forbidden,
    /// The request itself was refused by the caller's parser.
    #[error("the request was refused")]
    Request(E),
    /// The report does not apply to the unit, period or format asked for.
    #[error(transparent)]
    Inapplicable(#[from] InapplicableError),
    /// The report's file is not generated yet (or its generation failed and none exists).
    #[error("the report is not ready")]
    NotReady(Box<ReportRecord>),
    /// Storage (a missing unit or report is `Store(NotFound)`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The key of a request.
pub fn key_of(unit: UnitId, r: &NewReport) -> ReportKey {
    ReportKey {
        kind: r.kind.code().to_string(),
        unit_id: unit,
        period: r.period.to_string(),
        format: r.format.code().to_string(),
        subject: r.member.map(|m| m.as_uuid().to_string()).unwrap_or_default(),
    }
}

/// Checks that the report applies to the unit: kind × period × format, a cell for the cell month,
/// a member only on a year sheet and within the unit.
async fn check_applies(ctx: &Ctx, unit: UnitId, r: &NewReport) -> Result<(), ReportsError<std::convert::Infallible>> {
    if !r.kind.accepts(r.period) {
        return Err(InapplicableError::Period.into());
    }
    if !r.kind.supports(r.format) {
        return Err(InapplicableError::Format.into());
    }
    let record = storage::units::get(ctx.db.conn(), unit).await?;
    if r.kind.needs_cell() && record.kind != membership::unit::UnitKind::Cell {
        return Err(InapplicableError::NotACell.into());
    }
    if let Some(m) = r.member {
        if r.kind != ReportKind::MemberYear {
            return Err(InapplicableError::MemberNotForKind.into());
        }
        let member = match storage::members::get(ctx.db.conn(), m).await {
            Ok(member) => member,
            Err(StoreError::NotFound) => return Err(InapplicableError::MemberNotInUnit.into()),
            Err(e) => return Err(e.into()),
        };
        if !storage::units::in_subtree(ctx.db.conn(), unit, member.state.home_unit).await? {
            return Err(InapplicableError::MemberNotInUnit.into());
        }
    }
    Ok(())
}

fn widen<E>(e: ReportsError<std::convert::Infallible>) -> ReportsError<E> {
    match e {
        ReportsError::Forbidden => ReportsError::Forbidden,
        ReportsError::Request(never) => match never {},
        ReportsError::Inapplicable(i) => ReportsError::Inapplicable(i),
        ReportsError::NotReady(r) => ReportsError::NotReady(r),
        ReportsError::Store(s) => ReportsError::Store(s),
    }
}

/// Whether the caller's own year sheet is what `key` names: kind `member_year`, subject = the
/// caller's member, unit = the caller's home cell.
fn own_sheet(actor: &Actor, kind: &str, unit: UnitId, subject: &str) -> bool {
    kind == ReportKind::MemberYear.code()
        && actor.member_id.is_some_and(|m| m.as_uuid().to_string() == subject)
        && actor.home_path.last() == Some(&unit)
}

/// Requests a report of `unit`: queued for the generators (a new one, or a finished one queued
/// again to be regenerated; one already queued or running is returned as it is). Returns the row
/// and whether this call queued it. Audited (`report.requested`).
pub async fn request<E>(
    ctx: &Ctx,
    who: Requester<'_>,
    unit: UnitId,
    input: Result<NewReport, E>,
) -> Result<(ReportRecord, bool), ReportsError<E>> {
    let path = unit_path(ctx, unit).await?;
    let leader = allowed(ctx, who.actor, Action::ReviewReports, &path);
    let r = input.map_err(ReportsError::Request)?;
    let key = key_of(unit, &r);
    if !leader && !own_sheet(who.actor, &key.kind, unit, &key.subject) {
        return Err(ReportsError::Forbidden);
    }
    check_applies(ctx, unit, &r).await.map_err(widen)?;
    let now = ctx.clock.now();
    let tx = ctx.db.begin().await?;
    let (row, queued) = storage::reports::request(tx.conn(), &key, Uuid::now_v7(), who.actor.account_id.map(|a| a.as_uuid()), now).await?;
    if queued {
        audit::record(
            &tx,
            who,
            now,
            "report.requested",
            ("report", Some(row.id)),
            Some(unit),
            serde_json::json!({"kind": key.kind, "period": key.period, "format": key.format, "member": r.member.map(|m| m.as_uuid())}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok((row, queued))
}

async fn readable(ctx: &Ctx, actor: &Actor, id: Uuid) -> Result<ReportRecord, ReportsError<std::convert::Infallible>> {
    let row = storage::reports::get(ctx.db.conn(), id).await?;
    let path = unit_path(ctx, row.key.unit_id).await?;
    if allowed(ctx, actor, Action::ReviewReports, &path) || own_sheet(actor, &row.key.kind, row.key.unit_id, &row.key.subject) {
        Ok(row)
    } else {
        Err(ReportsError::Forbidden)
    }
}

/// One report's status (who may read it: as for [`request`]).
pub async fn report(ctx: &Ctx, actor: &Actor, id: Uuid) -> Result<ReportRecord, ReportsError<std::convert::Infallible>> {
    readable(ctx, actor, id).await
}

/// The report's current file: its row and its path under `dir`. `NotReady` while none was
/// generated yet.
pub async fn file(
    ctx: &Ctx,
    actor: &Actor,
    id: Uuid,
    dir: &Path,
) -> Result<(ReportRecord, PathBuf), ReportsError<std::convert::Infallible>> {
    let row = readable(ctx, actor, id).await?;
    match &row.file_name {
        Some(name) => {
            let path = dir.join(name);
            Ok((row, path))
        }
        None => Err(ReportsError::NotReady(Box::new(row))),
    }
}

/// What a list is filtered by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only this kind.
    pub kind: Option<ReportKind>,
    /// Only this period.
    pub period: Option<Period>,
}

/// A unit's reports, newest request first (at most 200): all of them for its leaders and
/// administrators; for a member of the cell, their own year sheets only.
pub async fn list<E>(ctx: &Ctx, actor: &Actor, unit: UnitId, filter: Result<ListFilter, E>) -> Result<Vec<ReportRecord>, ReportsError<E>> {
    let path = unit_path(ctx, unit).await?;
    let leader = allowed(ctx, actor, Action::ReviewReports, &path);
    let own_cell = actor.member_id.is_some() && actor.home_path.last() == Some(&unit);
    if !leader && !own_cell {
        return Err(ReportsError::Forbidden);
    }
    let filter = filter.map_err(ReportsError::Request)?;
    let kind = filter.kind.map(ReportKind::code);
    let period = filter.period.map(|p| p.to_string());
    if leader {
        return Ok(storage::reports::list(ctx.db.conn(), unit, kind, period.as_deref(), None, 200).await?);
    }
    // A member: their own year sheets, filtered in the query (not after the limit).
    let own = actor.member_id.map(|m| m.as_uuid().to_string()).unwrap_or_default();
    let rows = storage::reports::list(ctx.db.conn(), unit, kind, period.as_deref(), Some(&own), 200).await?;
    Ok(rows.into_iter().filter(|r| own_sheet(actor, &r.key.kind, unit, &r.key.subject)).collect())
}

// ---------------------------------------------------------------------------------------------
// Generation

/// How a generator works.
#[derive(Debug, Clone)]
pub struct Generator {
    /// Where report files live (shared with the API that serves them).
    pub dir: PathBuf,
    /// This instance's name in leases (host and process).
    pub holder: String,
    /// How long a claim lasts without progress before another generator may take it over.
    pub lease: Duration,
    /// Attempts before a report is marked failed.
    pub max_attempts: i32,
}

/// Why generation stopped (not a report's own failure, which is recorded on its row).
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// Storage.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The outbox event could not be encoded.
    #[error(transparent)]
    Event(#[from] EventError),
    /// The report's figures could not be built.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The file could not be written.
    #[error("writing the report failed: {0}")]
    Write(String),
    /// The stored row names an unknown kind, period or format.
    #[error("the stored report is invalid: {0}")]
    Invalid(String),
}

/// What one generation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// The report's id.
    pub id: Uuid,
    /// The file's checksum.
    pub checksum: String,
    /// Whether the figures were unchanged since the previous file, which was kept.
    pub unchanged: bool,
}

/// Parses a stored key into the subject and format.
pub fn subject_of(key: &ReportKey) -> Result<(Subject, Format), GenerateError> {
    let kind = ReportKind::from_code(&key.kind).ok_or_else(|| GenerateError::Invalid(format!("kind {}", key.kind)))?;
    let period = Period::parse(&key.period).map_err(|_| GenerateError::Invalid(format!("period {}", key.period)))?;
    let format = Format::from_code(&key.format).ok_or_else(|| GenerateError::Invalid(format!("format {}", key.format)))?;
    let member = if key.subject.is_empty() {
        None
    } else {
        Some(MemberId::from_uuid(Uuid::parse_str(&key.subject).map_err(|_| GenerateError::Invalid(format!("subject {}", key.subject)))?))
    };
    Ok((Subject { kind, unit: key.unit_id, period, member }, format))
}

/// A hash of the figures a report shows, without the instants of its generation: equal figures,
/// equal key.
pub fn content_key(report: &Report, format: Format) -> String {
    let mut stable = report.clone();
    stable.generated_at = DateTime::<Utc>::UNIX_EPOCH;
    stable.data_cutoff = DateTime::<Utc>::UNIX_EPOCH;
    hex(&Sha256::digest(format!("{}:{}:{stable:?}", report_render::VERSION, format.code()).as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `report` in `format` to `path` atomically: a temporary file in the same directory,
/// synced, then renamed over `path`. Returns the SHA-256 and size of what was written. Blocking:
/// run it off the async workers.
pub fn write_atomically(report: &Report, format: Format, path: &Path) -> Result<(String, u64), GenerateError> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| GenerateError::Write(format!("{}: {e}", dir.display())))?;
    let tmp = dir.join(format!(".{}.{}.tmp", path.file_name().and_then(|n| n.to_str()).unwrap_or("report"), Uuid::now_v7().simple()));
    let result = (|| {
        let file = std::fs::File::create(&tmp).map_err(|e| GenerateError::Write(format!("{}: {e}", tmp.display())))?;
        let mut out = HashingWriter { inner: std::io::BufWriter::new(file), hash: Sha256::new(), size: 0 };
        report_render::render(report, format, &mut out).map_err(|e| GenerateError::Write(e.to_string()))?;
        out.flush().map_err(|e| GenerateError::Write(e.to_string()))?;
        let HashingWriter { inner, hash, size } = out;
        let file = inner.into_inner().map_err(|e| GenerateError::Write(e.to_string()))?;
        file.sync_all().map_err(|e| GenerateError::Write(e.to_string()))?;
        Ok((hex(&hash.finalize()), size))
    })();
    match result {
        Ok(done) => {
            std::fs::rename(&tmp, path).map_err(|e| GenerateError::Write(format!("{}: {e}", path.display())))?;
            sync_dir(dir);
            Ok(done)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Makes renames in `dir` durable before the database records them (directories can be synced on
/// Unix; elsewhere this is a no-op).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

struct HashingWriter<W> {
    inner: W,
    hash: Sha256,
    size: u64,
}

impl<W: std::io::Write> std::io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// `ctx` whose figures, when read on a replica, include every write committed before now: the
/// replica serves them only once it has replayed the primary's present position (a report asked
/// for right after a write is built with it, and stamped with a cut-off it really has).
async fn with_writes_so_far(ctx: &Ctx) -> Result<Ctx, StoreError> {
    Ok(match ctx.db.write_position().await? {
        Some(position) => Ctx { db: ctx.db.reading_after(position), ..ctx.clone() },
        None => ctx.clone(),
    })
}

/// Builds a report's figures and writes it to `out` (the command line's `run`: no row, no event).
/// `progress` hears the share done (0–100).
pub async fn generate_to(
    ctx: &Ctx,
    subject: &Subject,
    format: Format,
    out: &Path,
    progress: &(dyn Fn(u8) + Sync),
) -> Result<(String, u64), GenerateError> {
    let ctx = &with_writes_so_far(ctx).await?;
    let report = figures::build(ctx, subject, progress).await?;
    let out = out.to_path_buf();
    let written = tokio::task::spawn_blocking(move || write_atomically(&report, format, &out))
        .await
        .map_err(|e| GenerateError::Write(e.to_string()))??;
    progress(100);
    Ok(written)
}

/// Claims the next queued report and generates it. `Ok(None)` when none is waiting. A report that
/// cannot be built or written is recorded as failed on its row (retried up to `max_attempts`
/// times) and reported in the result's `Err` only for storage failures.
pub async fn generate_next(ctx: &Ctx, g: &Generator) -> Result<Option<Result<Generated, String>>, GenerateError> {
    let now = ctx.clock.now();
    let tx = ctx.db.begin().await?;
    let claimed =
        storage::reports::claim(tx.conn(), &g.holder, now.timestamp_micros(), (now + g.lease).timestamp_micros(), g.max_attempts, now)
            .await?;
    tx.commit().await?;
    let Some(row) = claimed else { return Ok(None) };
    let started = std::time::Instant::now();
    let result = generate_claimed(ctx, g, &row).await;
    let outcome = match &result {
        Ok(_) => "ok",
        Err(GenerateError::Store(_)) => "error",
        Err(_) => "failed",
    };
    metrics::counter!("handbook_report_jobs_total", "kind" => row.key.kind.clone(), "result" => outcome).increment(1);
    metrics::histogram!("handbook_report_job_duration_seconds", "kind" => row.key.kind.clone()).record(started.elapsed().as_secs_f64());
    match result {
        Ok(done) => Ok(Some(Ok(done))),
        Err(GenerateError::Store(e)) => Err(GenerateError::Store(e)),
        Err(e) => {
            let permanent = matches!(e, GenerateError::Invalid(_) | GenerateError::Build(BuildError::NotApplicable));
            let message = e.to_string();
            tracing::warn!(report = %row.id, kind = %row.key.kind, period = %row.key.period, error = %message, "report generation failed");
            storage::reports::fail(ctx.db.conn(), row.id, &g.holder, &message, permanent, g.max_attempts, ctx.clock.now()).await?;
            Ok(Some(Err(message)))
        }
    }
}

async fn generate_claimed(ctx: &Ctx, g: &Generator, row: &ReportRecord) -> Result<Generated, GenerateError> {
    let (subject, format) = subject_of(&row.key)?;
    // Progress is recorded (and the lease renewed) as the figures are read, off the build's path:
    // the callback only notes the share, a task writes it.
    let shared = std::sync::Arc::new(std::sync::atomic::AtomicU8::new(0));
    let note = {
        let shared = shared.clone();
        move |p: u8| shared.store(p.min(99), std::sync::atomic::Ordering::Relaxed)
    };
    // … and the lease is renewed while the work lasts — figures, rendering, writing — so that a
    // long report is not taken over by another generator: at every change of progress and at
    // least every third of the lease.
    let writer = {
        let (ctx, g, id, shared) = (ctx.clone(), g.clone(), row.id, shared.clone());
        tokio::spawn(async move {
            let mut last = (0u8, std::time::Instant::now());
            let renew_every = (g.lease / 3).to_std().unwrap_or(std::time::Duration::from_secs(10));
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                let p = shared.load(std::sync::atomic::Ordering::Relaxed);
                if p != last.0 || last.1.elapsed() >= renew_every {
                    last = (p, std::time::Instant::now());
                    let until = (ctx.clock.now() + g.lease).timestamp_micros();
                    if !matches!(storage::reports::progress(ctx.db.conn(), id, &g.holder, i32::from(p), until).await, Ok(true)) {
                        return;
                    }
                }
            }
        })
    };
    let result = generate_held(ctx, g, row, format, &subject, &note).await;
    writer.abort();
    result
}

/// The work of [`generate_claimed`] while its lease is kept.
async fn generate_held(
    ctx: &Ctx,
    g: &Generator,
    row: &ReportRecord,
    format: Format,
    subject: &Subject,
    note: &(dyn Fn(u8) + Sync),
) -> Result<Generated, GenerateError> {
    let report = figures::build(&with_writes_so_far(ctx).await?, subject, note).await?;
    let key = content_key(&report, format);
    let unchanged = row.content_key.as_deref() == Some(key.as_str())
        && row.checksum.is_some()
        && row
            .file_name
            .as_ref()
            .and_then(|f| std::fs::metadata(g.dir.join(f)).ok())
            .is_some_and(|m| m.is_file() && i64::try_from(m.len()).ok() == row.size_bytes);
    let (file_name, checksum, size, generated_at, cutoff) = if unchanged {
        (
            row.file_name.clone().unwrap_or_default(),
            row.checksum.clone().unwrap_or_default(),
            row.size_bytes.unwrap_or(0),
            row.generated_at.unwrap_or(report.generated_at),
            report.data_cutoff,
        )
    } else {
        // Written under a temporary name first; its final name carries its checksum, so the file
        // the row names now stays in place until the row names the new one.
        let tmp = g.dir.join(format!(".{}.{}.partial", row.id, Uuid::now_v7().simple()));
        let (r, tmp2) = (report.clone(), tmp.clone());
        let (checksum, size) = tokio::task::spawn_blocking(move || write_atomically(&r, format, &tmp2))
            .await
            .map_err(|e| GenerateError::Write(e.to_string()))??;
        let name = format!("{}-{}.{}", row.id, &checksum[..16], format.code());
        std::fs::rename(&tmp, g.dir.join(&name)).map_err(|e| GenerateError::Write(e.to_string()))?;
        sync_dir(&g.dir);
        (name, checksum, i64::try_from(size).unwrap_or(i64::MAX), report.generated_at, report.data_cutoff)
    };
    let now = ctx.clock.now();
    let finished = Finished {
        file_name: file_name.clone(),
        size_bytes: size,
        checksum: checksum.clone(),
        content_key: key,
        generated_at,
        data_cutoff: cutoff,
    };
    let event = Event::ReportGenerated(ReportGenerated {
        report_id: row.id,
        unit_id: row.key.unit_id.as_uuid(),
        kind: row.key.kind.clone(),
        period: row.key.period.clone(),
        format: row.key.format.clone(),
        requested_by: row.requested_by,
    })
    .to_outbox(now)?;
    let system = Actor::default();
    let tx = ctx.db.begin().await?;
    if !storage::reports::finish(tx.conn(), row.id, &g.holder, &finished, now).await? {
        // Another generator took the report over (this one's lease ran out): it records its own.
        return Err(GenerateError::Write("the claim was taken over by another generator".into()));
    }
    if row.requested_by.is_some() {
        storage::outbox::push(tx.conn(), &event).await?;
    }
    audit::record(
        &tx,
        Requester { actor: &system, client_addr: None },
        now,
        "report.generated",
        ("report", Some(row.id)),
        Some(row.key.unit_id),
        serde_json::json!({"kind": row.key.kind, "period": row.key.period, "format": row.key.format, "checksum": checksum, "unchanged": unchanged, "generator": g.holder}),
    )
    .await?;
    tx.commit().await?;
    // The previous file, no longer named by the row, is removed (a crash before this line leaves
    // an unnamed file behind, never a missing one).
    if let Some(old) = row.file_name.as_ref().filter(|old| **old != file_name) {
        let _ = std::fs::remove_file(g.dir.join(old));
    }
    Ok(Generated { id: row.id, checksum, unchanged })
}

/// Generates queued reports until none is left or `stop` says so. Returns how many were done and
/// how many failed.
pub async fn drain(ctx: &Ctx, g: &Generator, stop: &(dyn Fn() -> bool + Sync)) -> Result<(u32, u32), GenerateError> {
    let (mut done, mut failed) = (0, 0);
    while !stop() {
        match generate_next(ctx, g).await? {
            None => break,
            Some(Ok(_)) => done += 1,
            Some(Err(_)) => failed += 1,
        }
    }
    Ok((done, failed))
}

/// Queues every scheduled report due at the clock's now that was never requested (each
/// (kind, unit, period, format) once, whatever the number of runs). Returns how many were queued.
pub async fn queue_due(ctx: &Ctx, rules: &[Rule]) -> Result<u32, StoreError> {
    let now = ctx.clock.now();
    let local = now.with_timezone(&membership::time::VIETNAM).naive_local();
    let mut queued = 0;
    for rule in rules {
        let periods = rule.due(local);
        if periods.is_empty() {
            continue;
        }
        let kinds: Vec<&str> = rule.units.iter().map(|k| k.code()).collect();
        let units = storage::reports::units_of_kinds(ctx.db.conn(), &kinds).await?;
        for period in periods {
            for unit in &units {
                let key = key_of(*unit, &NewReport { kind: rule.kind, period, format: rule.format, member: None });
                if storage::reports::request_once(ctx.db.conn(), &key, Uuid::now_v7(), now).await? {
                    queued += 1;
                }
            }
        }
    }
    Ok(queued)
}

/// Gives back the reports this generator holds (graceful shutdown).
pub async fn release(ctx: &Ctx, g: &Generator) -> Result<u64, StoreError> {
    storage::reports::release(ctx.db.conn(), &g.holder).await
}

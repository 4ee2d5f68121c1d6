//! Typed events of the transactional outbox.
//!
//! A use case that changes something members should hear about writes one [`Event`] in the same
//! transaction as the change ([`Event::to_outbox`] → `storage::outbox::push`); the notifier reads
//! the rows back with [`Event::from_outbox`]. The stored form is the row's `kind` (e.g.
//! `meeting.published`, see [`Event::kind`]) and a JSON `payload`: the fields of the variant's
//! struct below plus `"v": 1`, the version of that form ([`PAYLOAD_VERSION`]). A later version adds
//! fields or a new kind; a reader refuses a version it does not know rather than guessing. Rows
//! written before the version field existed have the same fields and read as version 1.

use chrono::{DateTime, NaiveDate, Utc};
use membership::UnitId;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use storage::outbox::OutboxEvent;
use uuid::Uuid;

/// Version of the JSON payload written by this code.
pub const PAYLOAD_VERSION: u64 = 1;

/// A meeting was published (members are told the date and agenda in advance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingPublished {
    /// The meeting.
    pub meeting_id: Uuid,
    /// Its cell.
    pub unit_id: Uuid,
    /// Title.
    pub title: String,
    /// Scheduled start (UTC).
    pub starts_at: DateTime<Utc>,
    /// Published later than the notice period before the start.
    pub late_publication: bool,
    /// An extraordinary meeting (*sinh hoạt bất thường*): its notice is urgent. Absent in rows
    /// written before the field existed (read as `false`).
    #[serde(default)]
    pub extraordinary: bool,
}

/// A meeting was opened (check-in begins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingOpened {
    /// The meeting.
    pub meeting_id: Uuid,
    /// Its cell.
    pub unit_id: Uuid,
    /// Title.
    pub title: String,
    /// Scheduled start (UTC).
    pub starts_at: DateTime<Utc>,
}

/// A published meeting was cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingCancelled {
    /// The meeting.
    pub meeting_id: Uuid,
    /// Its cell.
    pub unit_id: Uuid,
    /// Title.
    pub title: String,
    /// Scheduled start (UTC).
    pub starts_at: DateTime<Utc>,
    /// Why.
    pub reason: String,
}

/// A published meeting was moved to another time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingRescheduled {
    /// The meeting.
    pub meeting_id: Uuid,
    /// Its cell.
    pub unit_id: Uuid,
    /// Title.
    pub title: String,
    /// The new start (UTC).
    pub starts_at: DateTime<Utc>,
    /// The start it replaces (UTC).
    pub previous_starts_at: DateTime<Utc>,
}

/// A cell's meeting report for a month: not sent by the 3rd of the next month (to the cell's
/// secretary), or late after the 5th (to the superior's leaders). Written by the notifier's scans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportMissing {
    /// The meeting whose report is missing.
    pub meeting_id: Uuid,
    /// The cell.
    pub unit_id: Uuid,
    /// The meeting's title.
    pub title: String,
    /// The cell's name.
    pub unit_name: String,
    /// The superior unit.
    pub parent_unit_id: Uuid,
    /// The month, `YYYY-MM`.
    pub month: String,
}

/// A quiz closes within 24 hours (to audience members who have not attempted it). Written by the
/// notifier's scans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuizClosing {
    /// The quiz.
    pub quiz_id: Uuid,
    /// The unit whose subtree the quiz is for.
    pub unit_id: Uuid,
    /// Title.
    pub title: String,
    /// When it closes (UTC).
    pub closes_at: DateTime<Utc>,
}

/// A required document's reading deadline is within two days (to audience members who have not
/// read it). Written by the notifier's scans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingDue {
    /// The document.
    pub document_id: Uuid,
    /// The issuing unit.
    pub issuer_unit_id: Uuid,
    /// Title.
    pub title: String,
    /// Official number/symbol.
    pub number: Option<String>,
    /// The deadline.
    pub read_deadline: NaiveDate,
}

/// A requested report was generated (to the member who requested it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportGenerated {
    /// The report.
    pub report_id: Uuid,
    /// The unit reported on.
    pub unit_id: Uuid,
    /// `cell_month`, `activity`, `membership` or `member_year`.
    pub kind: String,
    /// The period, e.g. `2026-10`.
    pub period: String,
    /// The format, e.g. `xlsx`.
    pub format: String,
    /// The account that requested it (`None`: the schedule; nobody is told).
    pub requested_by: Option<Uuid>,
}

/// A cell sent its meeting report to the superior unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSubmitted {
    /// The report.
    pub report_id: Uuid,
    /// The meeting reported on.
    pub meeting_id: Uuid,
    /// The reporting cell.
    pub unit_id: Uuid,
    /// The superior unit that receives it.
    pub parent_unit_id: Uuid,
    /// Sent after the 5th of the following month.
    pub late: bool,
}

/// The superior unit returned a report for revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportReturned {
    /// The report.
    pub report_id: Uuid,
    /// The meeting reported on.
    pub meeting_id: Uuid,
    /// The reporting cell.
    pub unit_id: Uuid,
    /// What to revise.
    pub comment: String,
}

/// A document was published to its audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentPublished {
    /// The document.
    pub document_id: Uuid,
    /// The issuing unit.
    pub issuer_unit_id: Uuid,
    /// Title.
    pub title: String,
    /// Official number/symbol, e.g. `05-NQ/TU`.
    pub number: Option<String>,
    /// Required reading.
    pub required: bool,
    /// Reading deadline (Vietnam's calendar).
    pub read_deadline: Option<NaiveDate>,
    /// Roots of the audience subtrees.
    pub audience_unit_ids: Vec<Uuid>,
    /// Roles the audience is narrowed to (`secretary`, `deputy_secretary`, `committee_member`);
    /// empty for every member.
    pub roles: Vec<String>,
}

/// Members of one cell had not read a required document by its deadline (addressed to the cell's
/// leaders).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadEscalation {
    /// The document.
    pub document_id: Uuid,
    /// The cell.
    pub cell_id: Uuid,
    /// Title.
    pub title: String,
    /// The deadline that passed.
    pub read_deadline: Option<NaiveDate>,
    /// Members of the cell who have not read it, sorted.
    pub unread_member_ids: Vec<Uuid>,
}

/// A task assigned, due soon or overdue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskNotice {
    /// The task.
    pub task_id: Uuid,
    /// The cell that assigned it.
    pub unit_id: Uuid,
    /// Title.
    pub title: String,
    /// Due date (Vietnam's calendar).
    pub due_on: NaiveDate,
    /// Assignees.
    pub assignee_ids: Vec<Uuid>,
}

/// Everything the outbox carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `meeting.published`
    MeetingPublished(MeetingPublished),
    /// `meeting.opened`
    MeetingOpened(MeetingOpened),
    /// `meeting.cancelled`
    MeetingCancelled(MeetingCancelled),
    /// `meeting.rescheduled`
    MeetingRescheduled(MeetingRescheduled),
    /// `meeting.starting_soon` (a reminder: the meeting starts within 24 hours)
    MeetingStartingSoon(MeetingOpened),
    /// `meeting.report_not_sent` (a reminder, to the cell's secretary)
    ReportNotSent(ReportMissing),
    /// `meeting.report_late` (a reminder, to the superior's leaders)
    ReportLate(ReportMissing),
    /// `document.reading_due` (a reminder)
    ReadingDue(ReadingDue),
    /// `quiz.closing` (a reminder)
    QuizClosing(QuizClosing),
    /// `meeting.report_submitted`
    ReportSubmitted(ReportSubmitted),
    /// `meeting.report_returned`
    ReportReturned(ReportReturned),
    /// `document.published`
    DocumentPublished(DocumentPublished),
    /// `document.unread_escalation`
    UnreadEscalation(UnreadEscalation),
    /// `task.assigned`
    TaskAssigned(TaskNotice),
    /// `task.due_soon`
    TaskDueSoon(TaskNotice),
    /// `task.overdue`
    TaskOverdue(TaskNotice),
    /// `report.generated`
    ReportGenerated(ReportGenerated),
}

/// Why an outbox row could not be turned into an [`Event`] (or back).
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// The row's kind is not one this code knows.
    #[error("unknown event kind `{0}`")]
    UnknownKind(String),
    /// The payload was written by a newer version of the form.
    #[error("event `{kind}` has payload version {version}; this reader knows version {PAYLOAD_VERSION}")]
    UnknownVersion {
        /// The kind.
        kind: String,
        /// The version found.
        version: u64,
    },
    /// The payload does not have the fields of its kind.
    #[error("event `{kind}` has an invalid payload: {source}")]
    Payload {
        /// The kind.
        kind: String,
        /// What serde said.
        source: serde_json::Error,
    },
}

impl Event {
    /// Every kind, as stored in the outbox's `kind` column.
    pub const KINDS: [&'static str; 17] = [
        "meeting.published",
        "meeting.opened",
        "meeting.cancelled",
        "meeting.rescheduled",
        "meeting.starting_soon",
        "meeting.report_not_sent",
        "meeting.report_late",
        "document.reading_due",
        "quiz.closing",
        "meeting.report_submitted",
        "meeting.report_returned",
        "document.published",
        "document.unread_escalation",
        "task.assigned",
        "task.due_soon",
        "task.overdue",
        "report.generated",
    ];

    /// The stored kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::MeetingPublished(_) => "meeting.published",
            Event::MeetingOpened(_) => "meeting.opened",
            Event::MeetingCancelled(_) => "meeting.cancelled",
            Event::MeetingRescheduled(_) => "meeting.rescheduled",
            Event::MeetingStartingSoon(_) => "meeting.starting_soon",
            Event::ReportNotSent(_) => "meeting.report_not_sent",
            Event::ReportLate(_) => "meeting.report_late",
            Event::ReadingDue(_) => "document.reading_due",
            Event::QuizClosing(_) => "quiz.closing",
            Event::ReportSubmitted(_) => "meeting.report_submitted",
            Event::ReportReturned(_) => "meeting.report_returned",
            Event::DocumentPublished(_) => "document.published",
            Event::UnreadEscalation(_) => "document.unread_escalation",
            Event::TaskAssigned(_) => "task.assigned",
            Event::TaskDueSoon(_) => "task.due_soon",
            Event::TaskOverdue(_) => "task.overdue",
            Event::ReportGenerated(_) => "report.generated",
        }
    }

    /// The aggregate the event is about (type and id).
    fn aggregate(&self) -> (&'static str, Uuid) {
        match self {
            Event::MeetingPublished(e) => ("meeting", e.meeting_id),
            Event::MeetingOpened(e) => ("meeting", e.meeting_id),
            Event::MeetingCancelled(e) => ("meeting", e.meeting_id),
            Event::MeetingRescheduled(e) => ("meeting", e.meeting_id),
            Event::MeetingStartingSoon(e) => ("meeting", e.meeting_id),
            Event::ReportNotSent(e) | Event::ReportLate(e) => ("meeting", e.meeting_id),
            Event::ReadingDue(e) => ("document", e.document_id),
            Event::QuizClosing(e) => ("quiz", e.quiz_id),
            Event::ReportSubmitted(e) => ("meeting_report", e.report_id),
            Event::ReportReturned(e) => ("meeting_report", e.report_id),
            Event::DocumentPublished(e) => ("document", e.document_id),
            Event::UnreadEscalation(e) => ("document", e.document_id),
            Event::TaskAssigned(e) | Event::TaskDueSoon(e) | Event::TaskOverdue(e) => ("task", e.task_id),
            Event::ReportGenerated(e) => ("report", e.report_id),
        }
    }

    /// The unit whose members (or leaders) are concerned: the cell for meetings, tasks and
    /// escalations, the superior unit for a submitted report, the issuer for a document.
    fn unit(&self) -> Uuid {
        match self {
            Event::MeetingPublished(e) => e.unit_id,
            Event::MeetingOpened(e) => e.unit_id,
            Event::MeetingCancelled(e) => e.unit_id,
            Event::MeetingRescheduled(e) => e.unit_id,
            Event::MeetingStartingSoon(e) => e.unit_id,
            Event::ReportNotSent(e) => e.unit_id,
            Event::ReportLate(e) => e.parent_unit_id,
            Event::ReadingDue(e) => e.issuer_unit_id,
            Event::QuizClosing(e) => e.unit_id,
            Event::ReportSubmitted(e) => e.parent_unit_id,
            Event::ReportReturned(e) => e.unit_id,
            Event::DocumentPublished(e) => e.issuer_unit_id,
            Event::UnreadEscalation(e) => e.cell_id,
            Event::TaskAssigned(e) | Event::TaskDueSoon(e) | Event::TaskOverdue(e) => e.unit_id,
            Event::ReportGenerated(e) => e.unit_id,
        }
    }

    fn payload(&self) -> Result<serde_json::Value, serde_json::Error> {
        match self {
            Event::MeetingPublished(e) => serde_json::to_value(e),
            Event::MeetingOpened(e) => serde_json::to_value(e),
            Event::MeetingCancelled(e) => serde_json::to_value(e),
            Event::MeetingRescheduled(e) => serde_json::to_value(e),
            Event::MeetingStartingSoon(e) => serde_json::to_value(e),
            Event::ReportNotSent(e) | Event::ReportLate(e) => serde_json::to_value(e),
            Event::ReadingDue(e) => serde_json::to_value(e),
            Event::QuizClosing(e) => serde_json::to_value(e),
            Event::ReportSubmitted(e) => serde_json::to_value(e),
            Event::ReportReturned(e) => serde_json::to_value(e),
            Event::DocumentPublished(e) => serde_json::to_value(e),
            Event::UnreadEscalation(e) => serde_json::to_value(e),
            Event::TaskAssigned(e) | Event::TaskDueSoon(e) | Event::TaskOverdue(e) => serde_json::to_value(e),
            Event::ReportGenerated(e) => serde_json::to_value(e),
        }
    }

    /// The outbox row for this event, with a new id (UUID v7: delivery order) written at `at`.
    pub fn to_outbox(&self, at: DateTime<Utc>) -> Result<OutboxEvent, EventError> {
        let mut payload = self.payload().map_err(|source| EventError::Payload { kind: self.kind().to_string(), source })?;
        if let Some(fields) = payload.as_object_mut() {
            fields.insert("v".to_string(), PAYLOAD_VERSION.into());
        }
        let (aggregate_type, aggregate_id) = self.aggregate();
        Ok(OutboxEvent {
            id: Uuid::now_v7(),
            kind: self.kind().to_string(),
            aggregate_type: aggregate_type.to_string(),
            aggregate_id,
            unit_id: Some(UnitId::from_uuid(self.unit())),
            payload,
            created_at: at,
        })
    }

    /// Reads an outbox row back.
    pub fn from_outbox(row: &OutboxEvent) -> Result<Event, EventError> {
        Self::from_parts(&row.kind, &row.payload)
    }

    /// Reads an event from its stored kind and JSON payload.
    pub fn from_parts(kind: &str, payload: &serde_json::Value) -> Result<Event, EventError> {
        let version = payload.get("v").and_then(serde_json::Value::as_u64).unwrap_or(1);
        if version != PAYLOAD_VERSION {
            return Err(EventError::UnknownVersion { kind: kind.to_string(), version });
        }
        fn parse<T: DeserializeOwned>(kind: &str, payload: &serde_json::Value) -> Result<T, EventError> {
            T::deserialize(payload).map_err(|source| EventError::Payload { kind: kind.to_string(), source })
        }
        let p = payload;
        Ok(match kind {
            "meeting.published" => Event::MeetingPublished(parse(kind, p)?),
            "meeting.opened" => Event::MeetingOpened(parse(kind, p)?),
            "meeting.cancelled" => Event::MeetingCancelled(parse(kind, p)?),
            "meeting.rescheduled" => Event::MeetingRescheduled(parse(kind, p)?),
            "meeting.starting_soon" => Event::MeetingStartingSoon(parse(kind, p)?),
            "meeting.report_not_sent" => Event::ReportNotSent(parse(kind, p)?),
            "meeting.report_late" => Event::ReportLate(parse(kind, p)?),
            "document.reading_due" => Event::ReadingDue(parse(kind, p)?),
            "quiz.closing" => Event::QuizClosing(parse(kind, p)?),
            "meeting.report_submitted" => Event::ReportSubmitted(parse(kind, p)?),
            "meeting.report_returned" => Event::ReportReturned(parse(kind, p)?),
            "document.published" => Event::DocumentPublished(parse(kind, p)?),
            "document.unread_escalation" => Event::UnreadEscalation(parse(kind, p)?),
            "task.assigned" => Event::TaskAssigned(parse(kind, p)?),
            "task.due_soon" => Event::TaskDueSoon(parse(kind, p)?),
            "task.overdue" => Event::TaskOverdue(parse(kind, p)?),
            "report.generated" => Event::ReportGenerated(parse(kind, p)?),
            other => return Err(EventError::UnknownKind(other.to_string())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn samples() -> Vec<Event> {
        let id = |n: u128| Uuid::from_u128(n);
        let at = Utc.with_ymd_and_hms(2026, 11, 29, 17, 0, 0).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let missing = ReportMissing {
            meeting_id: id(1),
            unit_id: id(2),
            title: "T".into(),
            unit_name: "Chi bộ 1".into(),
            parent_unit_id: id(5),
            month: "2026-11".into(),
        };
        let task = TaskNotice { task_id: id(20), unit_id: id(2), title: "Vận động".into(), due_on: day, assignee_ids: vec![id(3)] };
        vec![
            Event::MeetingPublished(MeetingPublished {
                meeting_id: id(1),
                unit_id: id(2),
                title: "Sinh hoạt chi bộ tháng 12".into(),
                starts_at: at,
                late_publication: false,
                extraordinary: false,
            }),
            Event::MeetingOpened(MeetingOpened { meeting_id: id(1), unit_id: id(2), title: "T".into(), starts_at: at }),
            Event::MeetingCancelled(MeetingCancelled {
                meeting_id: id(1),
                unit_id: id(2),
                title: "T".into(),
                starts_at: at,
                reason: "Bão".into(),
            }),
            Event::MeetingRescheduled(MeetingRescheduled {
                meeting_id: id(1),
                unit_id: id(2),
                title: "T".into(),
                starts_at: at,
                previous_starts_at: at,
            }),
            Event::MeetingStartingSoon(MeetingOpened { meeting_id: id(1), unit_id: id(2), title: "T".into(), starts_at: at }),
            Event::ReportNotSent(missing.clone()),
            Event::ReportLate(missing),
            Event::ReadingDue(ReadingDue {
                document_id: id(6),
                issuer_unit_id: id(5),
                title: "Nghị quyết".into(),
                number: None,
                read_deadline: day,
            }),
            Event::QuizClosing(QuizClosing { quiz_id: id(7), unit_id: id(5), title: "Q".into(), closes_at: at }),
            Event::ReportSubmitted(ReportSubmitted {
                report_id: id(4),
                meeting_id: id(1),
                unit_id: id(2),
                parent_unit_id: id(5),
                late: true,
            }),
            Event::ReportReturned(ReportReturned { report_id: id(4), meeting_id: id(1), unit_id: id(2), comment: "Bổ sung".into() }),
            Event::DocumentPublished(DocumentPublished {
                document_id: id(6),
                issuer_unit_id: id(5),
                title: "Nghị quyết".into(),
                number: Some("05-NQ/TU".into()),
                required: true,
                read_deadline: Some(day),
                audience_unit_ids: vec![id(5)],
                roles: vec!["secretary".into()],
            }),
            Event::UnreadEscalation(UnreadEscalation {
                document_id: id(6),
                cell_id: id(2),
                title: "Nghị quyết".into(),
                read_deadline: Some(day),
                unread_member_ids: vec![id(3)],
            }),
            Event::TaskAssigned(task.clone()),
            Event::TaskDueSoon(task.clone()),
            Event::TaskOverdue(task),
            Event::ReportGenerated(ReportGenerated {
                report_id: id(8),
                unit_id: id(5),
                kind: "activity".into(),
                period: "2026-10".into(),
                format: "xlsx".into(),
                requested_by: Some(id(9)),
            }),
        ]
    }

    #[test]
    fn every_kind_round_trips_through_its_outbox_row() {
        let at = Utc.with_ymd_and_hms(2026, 11, 29, 17, 0, 0).unwrap();
        let events = samples();
        let kinds: Vec<&str> = events.iter().map(Event::kind).collect();
        assert_eq!(kinds, Event::KINDS, "one sample per kind, in order");
        for event in events {
            let row = event.to_outbox(at).unwrap();
            assert_eq!(row.kind, event.kind());
            assert_eq!(row.payload["v"], 1);
            assert_eq!(row.created_at, at);
            assert_eq!(Event::from_outbox(&row).unwrap(), event);
        }
    }

    #[test]
    fn the_stored_form_is_stable() {
        let row = samples()[9].to_outbox(Utc.with_ymd_and_hms(2026, 11, 29, 17, 0, 0).unwrap()).unwrap();
        assert_eq!(row.aggregate_type, "meeting_report");
        assert_eq!(row.unit_id.map(|u| u.as_uuid()), Some(Uuid::from_u128(5)), "a submitted report concerns the superior unit");
        assert_eq!(
            row.payload.to_string(),
            r#"{"late":true,"meeting_id":"00000000-0000-0000-0000-000000000001","parent_unit_id":"00000000-0000-0000-0000-000000000005","report_id":"00000000-0000-0000-0000-000000000004","unit_id":"00000000-0000-0000-0000-000000000002","v":1}"#
        );
    }

    #[test]
    fn unknown_kinds_versions_and_shapes_are_refused() {
        let mut row = samples()[0].to_outbox(Utc.with_ymd_and_hms(2026, 11, 29, 17, 0, 0).unwrap()).unwrap();
        let unversioned = {
            let mut r = row.clone();
            r.payload.as_object_mut().unwrap().remove("v");
            r
        };
        assert!(Event::from_outbox(&unversioned).is_ok(), "rows written before the version field read as version 1");
        row.payload["v"] = 2.into();
        assert!(matches!(Event::from_outbox(&row), Err(EventError::UnknownVersion { version: 2, .. })));
        row.payload["v"] = 1.into();
        row.payload.as_object_mut().unwrap().remove("title");
        assert!(matches!(Event::from_outbox(&row), Err(EventError::Payload { .. })));
        row.kind = "meeting.exploded".into();
        assert!(matches!(Event::from_outbox(&row), Err(EventError::UnknownKind(_))));
    }
}

//! Notification kinds, channels and urgency.

/// What an item is about. Codes are stable: they are stored, sent to clients and used as keys of
/// [`crate::Preferences`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A meeting of the member's cell was published (`meeting.published`).
    MeetingPublished,
    /// A meeting starts within 24 hours (`meeting.starting_soon`, a reminder).
    MeetingStartingSoon,
    /// A meeting was opened: check-in has begun (`meeting.opened`).
    MeetingOpened,
    /// A published meeting was cancelled (`meeting.cancelled`, urgent).
    MeetingCancelled,
    /// A published meeting was moved to another time (`meeting.rescheduled`, urgent).
    MeetingRescheduled,
    /// A cell sent its meeting report (`meeting.report_submitted`, to the superior's leaders).
    ReportSubmitted,
    /// The superior returned a report for revision (`meeting.report_returned`, to the cell's leaders).
    ReportReturned,
    /// The month's meeting report has not been sent by the 3rd (`meeting.report_not_sent`, to the
    /// cell's secretary).
    ReportNotSent,
    /// The month's meeting report is late after the 5th (`meeting.report_late`, to the superior's
    /// leaders).
    ReportLate,
    /// A document was published to the member (`document.published`).
    DocumentPublished,
    /// A required reading is due within two days and unread (`document.reading_due`).
    DocumentReadingDue,
    /// Members of the cell did not read a required document by its deadline
    /// (`document.unread_escalation`, to the cell's leaders).
    UnreadEscalation,
    /// A task was assigned to the member (`task.assigned`).
    TaskAssigned,
    /// A task is due soon (`task.due_soon`).
    TaskDueSoon,
    /// A task is overdue (`task.overdue`).
    TaskOverdue,
    /// A quiz closes within 24 hours and the member has not attempted it (`quiz.closing`).
    QuizClosing,
    /// A report the member requested is ready (`report.generated`).
    ReportGenerated,
}

/// How urgent a kind is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Sent at once on every channel, quiet hours or not.
    Urgent,
    /// Sent at once, or at the end of the member's quiet hours.
    Normal,
    /// Like normal, or gathered in the daily e-mail digest when the member chose it.
    Low,
}

/// A delivery channel. The in-app inbox is always on and is not a channel a member can switch off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// E-mail over SMTP, to members with an address on record.
    Email,
    /// The push gateway's webhook.
    Push,
}

impl Channel {
    /// Both channels.
    pub const ALL: [Channel; 2] = [Channel::Email, Channel::Push];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Push => "push",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// What an item links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    /// A meeting.
    Meeting,
    /// A meeting report.
    Report,
    /// A document.
    Document,
    /// A task.
    Task,
    /// A quiz.
    Quiz,
    /// A generated report (XLSX, CSV, HTML or PDF file; `/api/v1/reports/{id}`).
    GeneratedReport,
}

impl ObjectType {
    /// Every object type.
    pub const ALL: [ObjectType; 6] =
        [ObjectType::Meeting, ObjectType::Report, ObjectType::Document, ObjectType::Task, ObjectType::Quiz, ObjectType::GeneratedReport];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            ObjectType::Meeting => "meeting",
            ObjectType::Report => "report",
            ObjectType::Document => "document",
            ObjectType::Task => "task",
            ObjectType::Quiz => "quiz",
            ObjectType::GeneratedReport => "generated_report",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The API path of the object, relative to the API's base (`/api/v1`).
    pub fn path(self, id: &impl std::fmt::Display) -> String {
        match self {
            ObjectType::Meeting => format!("/meetings/{id}"),
            ObjectType::Report => format!("/meeting-reports/{id}"),
            ObjectType::Document => format!("/documents/{id}"),
            ObjectType::Task => format!("/tasks/{id}"),
            ObjectType::Quiz => format!("/quizzes/{id}"),
            ObjectType::GeneratedReport => format!("/reports/{id}"),
        }
    }
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 17] = [
        Kind::MeetingPublished,
        Kind::MeetingStartingSoon,
        Kind::MeetingOpened,
        Kind::MeetingCancelled,
        Kind::MeetingRescheduled,
        Kind::ReportSubmitted,
        Kind::ReportReturned,
        Kind::ReportNotSent,
        Kind::ReportLate,
        Kind::DocumentPublished,
        Kind::DocumentReadingDue,
        Kind::UnreadEscalation,
        Kind::TaskAssigned,
        Kind::TaskDueSoon,
        Kind::TaskOverdue,
        Kind::QuizClosing,
        Kind::ReportGenerated,
    ];

    /// Stable code (the outbox's event kind for the same thing).
    pub fn code(self) -> &'static str {
        match self {
            Kind::MeetingPublished => "meeting.published",
            Kind::MeetingStartingSoon => "meeting.starting_soon",
            Kind::MeetingOpened => "meeting.opened",
            Kind::MeetingCancelled => "meeting.cancelled",
            Kind::MeetingRescheduled => "meeting.rescheduled",
            Kind::ReportSubmitted => "meeting.report_submitted",
            Kind::ReportReturned => "meeting.report_returned",
            Kind::ReportNotSent => "meeting.report_not_sent",
            Kind::ReportLate => "meeting.report_late",
            Kind::DocumentPublished => "document.published",
            Kind::DocumentReadingDue => "document.reading_due",
            Kind::UnreadEscalation => "document.unread_escalation",
            Kind::TaskAssigned => "task.assigned",
            Kind::TaskDueSoon => "task.due_soon",
            Kind::TaskOverdue => "task.overdue",
            Kind::QuizClosing => "quiz.closing",
            Kind::ReportGenerated => "report.generated",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The kind's urgency. `extraordinary` marks an extraordinary meeting (*sinh hoạt bất
    /// thường*), whose publication is urgent.
    pub fn urgency(self, extraordinary: bool) -> Urgency {
        match self {
            Kind::MeetingCancelled | Kind::MeetingRescheduled => Urgency::Urgent,
            Kind::MeetingPublished if extraordinary => Urgency::Urgent,
            Kind::DocumentPublished | Kind::QuizClosing | Kind::ReportSubmitted | Kind::ReportGenerated => Urgency::Low,
            _ => Urgency::Normal,
        }
    }

    /// What the item links to.
    pub fn object_type(self) -> ObjectType {
        match self {
            Kind::MeetingPublished
            | Kind::MeetingStartingSoon
            | Kind::MeetingOpened
            | Kind::MeetingCancelled
            | Kind::MeetingRescheduled
            | Kind::ReportNotSent
            | Kind::ReportLate => ObjectType::Meeting,
            Kind::ReportSubmitted | Kind::ReportReturned => ObjectType::Report,
            Kind::DocumentPublished | Kind::DocumentReadingDue | Kind::UnreadEscalation => ObjectType::Document,
            Kind::TaskAssigned | Kind::TaskDueSoon | Kind::TaskOverdue => ObjectType::Task,
            Kind::QuizClosing => ObjectType::Quiz,
            Kind::ReportGenerated => ObjectType::GeneratedReport,
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.code()), Some(k));
            assert!(seen.insert(k.code()), "{k} twice");
        }
        assert_eq!(Kind::parse("meeting.unknown"), None);
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.code()), Some(c));
        }
        for o in ObjectType::ALL {
            assert_eq!(ObjectType::parse(o.code()), Some(o));
        }
    }

    #[test]
    fn urgency_table() {
        assert_eq!(Kind::MeetingCancelled.urgency(false), Urgency::Urgent);
        assert_eq!(Kind::MeetingRescheduled.urgency(false), Urgency::Urgent);
        assert_eq!(Kind::MeetingPublished.urgency(true), Urgency::Urgent);
        assert_eq!(Kind::MeetingPublished.urgency(false), Urgency::Normal);
        assert_eq!(Kind::DocumentPublished.urgency(false), Urgency::Low);
        assert_eq!(Kind::TaskOverdue.urgency(false), Urgency::Normal);
    }
}

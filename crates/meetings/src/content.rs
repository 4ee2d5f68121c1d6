//! Meeting content: the agenda, the planned duration and the publication timing.

use chrono::{DateTime, Duration, Utc};

use crate::lifecycle::MeetingKind;
use membership::fields::{FieldError, normalize_text};

/// Minimum planned duration of a regular meeting, in minutes.
pub const MIN_REGULAR_MINUTES: u32 = 90;
/// Minimum planned duration of a regular meeting combined with a thematic one.
pub const MIN_COMBINED_MINUTES: u32 = 120;
/// Publishing later than this before the start is flagged.
pub const PUBLISH_NOTICE_HOURS: i64 = 24;
/// Shortest planned duration of any meeting, in minutes.
pub const MIN_PLANNED_MINUTES: u32 = 15;
/// Longest planned duration of a meeting, and of one agenda item, in minutes.
pub const MAX_PLANNED_MINUTES: u32 = 600;
/// Most items on an agenda.
pub const MAX_AGENDA_ITEMS: usize = 50;
/// Longest agenda item title, in characters.
pub const AGENDA_TITLE_MAX_CHARS: usize = 300;
/// Longest agenda item description, in characters.
pub const AGENDA_DESCRIPTION_MAX_CHARS: usize = 20_000;
/// Longest presenter, in characters.
pub const PRESENTER_MAX_CHARS: usize = 200;

/// One agenda item as proposed (before storage assigns ids).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AgendaItem {
    /// Title, 1–300 characters.
    pub title: String,
    /// Description (Markdown or plain text), up to 20,000 characters.
    pub description: String,
    /// Presenter's name or role (free text), up to 200 characters.
    pub presenter: Option<String>,
    /// Planned minutes.
    pub planned_minutes: Option<u32>,
}

/// Why an agenda item is refused: the index of the item and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("agenda[{index}].{field}: {error}")]
pub struct AgendaError {
    /// Index of the item.
    pub index: usize,
    /// Field name.
    pub field: &'static str,
    /// The problem.
    pub error: FieldError,
}

fn bounded(raw: &str, max: usize, allow_empty: bool) -> Result<String, FieldError> {
    let text = raw.trim().to_string();
    if text.is_empty() && !allow_empty {
        return Err(FieldError::Empty);
    }
    if text.chars().count() > max {
        return Err(FieldError::TooLong { max });
    }
    Ok(text)
}

/// Normalises and checks an agenda: titles NFC and trimmed, lengths bounded, at most
/// [`MAX_AGENDA_ITEMS`] items.
pub fn parse_agenda(items: &[AgendaItem]) -> Result<Vec<AgendaItem>, Vec<AgendaError>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    if items.len() > MAX_AGENDA_ITEMS {
        errors.push(AgendaError { index: MAX_AGENDA_ITEMS, field: "title", error: FieldError::TooLong { max: MAX_AGENDA_ITEMS } });
    }
    for (index, item) in items.iter().enumerate() {
        let title = bounded(&normalize_text(&item.title), AGENDA_TITLE_MAX_CHARS, false)
            .map_err(|error| errors.push(AgendaError { index, field: "title", error }))
            .ok();
        let description = bounded(&item.description, AGENDA_DESCRIPTION_MAX_CHARS, true)
            .map_err(|error| errors.push(AgendaError { index, field: "description", error }))
            .ok();
        let presenter = match &item.presenter {
            Some(p) => bounded(&normalize_text(p), PRESENTER_MAX_CHARS, true)
                .map(|p| Some(p).filter(|p| !p.is_empty()))
                .map_err(|error| errors.push(AgendaError { index, field: "presenter", error }))
                .ok(),
            None => Some(None),
        };
        if item.planned_minutes.is_some_and(|m| m == 0 || m > MAX_PLANNED_MINUTES) {
            errors.push(AgendaError { index, field: "planned_minutes", error: FieldError::InvalidFormat { expected: "1 to 600 minutes" } });
        }
        if let (Some(title), Some(description), Some(presenter)) = (title, description, presenter) {
            out.push(AgendaItem { title, description, presenter, planned_minutes: item.planned_minutes });
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// The standard agenda of a regular meeting (Hướng dẫn 12-HD/BTCTW), offered as a template.
pub fn regular_template() -> Vec<AgendaItem> {
    let item = |title: &str, description: &str, minutes| AgendaItem {
        title: title.to_string(),
        description: description.to_string(),
        presenter: Some("Bí thư chi bộ".to_string()),
        planned_minutes: Some(minutes),
    };
    vec![
        item(
            "Đánh giá kết quả thực hiện nhiệm vụ tháng trước",
            "Kết quả lãnh đạo thực hiện nhiệm vụ chính trị, công tác xây dựng Đảng tháng trước; ưu điểm, hạn chế, nguyên nhân.",
            30,
        ),
        item("Phương hướng, nhiệm vụ tháng này", "Những nhiệm vụ trọng tâm, giải pháp, phân công đảng viên thực hiện.", 30),
        item("Các vấn đề khác", "Thảo luận, lấy ý kiến đảng viên; thông báo thời sự, văn bản cấp trên.", 30),
    ]
}

/// Something the secretary must see before publishing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(tag = "type", rename_all = "snake_case"))]
pub enum Warning {
    /// The planned duration is below the minimum for the kind of meeting: allowed only when the
    /// secretary confirms.
    ShortDuration {
        /// Minimum minutes.
        minimum: u32,
        /// Planned minutes.
        planned: u32,
    },
    /// Published less than 24 h before the start: allowed, recorded as a flag.
    LatePublication {
        /// Hours between publication and start (negative if after the start).
        hours_before: i64,
    },
    /// The meeting has no agenda item.
    EmptyAgenda,
}

impl Warning {
    /// The codes of every warning.
    pub const CODES: [&'static str; 3] = ["short_duration", "late_publication", "empty_agenda"];

    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Warning::ShortDuration { .. } => "short_duration",
            Warning::LatePublication { .. } => "late_publication",
            Warning::EmptyAgenda => "empty_agenda",
        }
    }

    /// Whether the warning blocks publication until the secretary confirms it.
    pub fn needs_confirmation(&self) -> bool {
        matches!(self, Warning::ShortDuration { .. })
    }
}

/// Minimum planned duration for a meeting.
pub fn minimum_minutes(kind: MeetingKind, combined_with_thematic: bool) -> Option<u32> {
    match kind {
        MeetingKind::Regular if combined_with_thematic => Some(MIN_COMBINED_MINUTES),
        MeetingKind::Regular => Some(MIN_REGULAR_MINUTES),
        _ => None,
    }
}

/// Warnings for publishing a meeting at `now`.
pub fn publication_warnings(
    kind: MeetingKind,
    combined_with_thematic: bool,
    planned_minutes: u32,
    agenda_len: usize,
    starts_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    if let Some(minimum) = minimum_minutes(kind, combined_with_thematic)
        && planned_minutes < minimum
    {
        warnings.push(Warning::ShortDuration { minimum, planned: planned_minutes });
    }
    let notice = starts_at - now;
    if notice < Duration::hours(PUBLISH_NOTICE_HOURS) {
        warnings.push(Warning::LatePublication { hours_before: notice.num_hours() });
    }
    if agenda_len == 0 {
        warnings.push(Warning::EmptyAgenda);
    }
    warnings
}

/// Checks a proposed schedule: the duration between [`MIN_PLANNED_MINUTES`] and
/// [`MAX_PLANNED_MINUTES`].
pub fn check_duration(planned_minutes: u32) -> Result<(), FieldError> {
    if (MIN_PLANNED_MINUTES..=MAX_PLANNED_MINUTES).contains(&planned_minutes) {
        Ok(())
    } else {
        Err(FieldError::InvalidFormat { expected: "15 to 600 minutes" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn warnings_table() {
        let start = Utc.with_ymd_and_hms(2026, 3, 5, 12, 0, 0).unwrap();
        let early = start - Duration::hours(48);
        let late = start - Duration::hours(3);
        let cases = [
            (MeetingKind::Regular, false, 90, 3, early, vec![]),
            (MeetingKind::Regular, false, 60, 3, early, vec!["short_duration"]),
            (MeetingKind::Regular, true, 90, 3, early, vec!["short_duration"]),
            (MeetingKind::Regular, true, 120, 3, early, vec![]),
            (MeetingKind::Thematic, false, 45, 1, early, vec![]),
            (MeetingKind::Committee, false, 30, 0, late, vec!["late_publication", "empty_agenda"]),
            (MeetingKind::Regular, false, 90, 3, start + Duration::hours(1), vec!["late_publication"]),
        ];
        for (kind, combined, minutes, agenda, now, want) in cases {
            let got: Vec<_> = publication_warnings(kind, combined, minutes, agenda, start, now).iter().map(Warning::code).collect();
            assert_eq!(got, want, "{kind:?} combined={combined} {minutes} min");
        }
        assert!(Warning::ShortDuration { minimum: 90, planned: 60 }.needs_confirmation());
        assert!(!Warning::LatePublication { hours_before: 3 }.needs_confirmation());
    }

    #[test]
    fn agenda_is_normalised_and_checked() {
        let item = |title: &str, minutes| AgendaItem {
            title: title.to_string(),
            description: String::new(),
            presenter: Some("  ".into()),
            planned_minutes: minutes,
        };
        let ok = parse_agenda(&[item("  Kết quả   tháng trước ", Some(30))]).unwrap();
        assert_eq!(ok[0].title, "Kết quả tháng trước");
        assert_eq!(ok[0].presenter, None);
        let errs = parse_agenda(&[item("", Some(30)), item("Ổn", Some(0))]).unwrap_err();
        assert_eq!(errs.iter().map(|e| (e.index, e.field)).collect::<Vec<_>>(), [(0, "title"), (1, "planned_minutes")]);
        assert_eq!(regular_template().len(), 3);
        assert!(check_duration(14).is_err() && check_duration(90).is_ok());
    }

    #[test]
    fn every_warning_code_is_listed() {
        let listed = |w: Warning| match w {
            Warning::ShortDuration { .. } | Warning::LatePublication { .. } | Warning::EmptyAgenda => Warning::CODES.contains(&w.code()),
        };
        assert!(listed(Warning::ShortDuration { minimum: 90, planned: 60 }));
        assert!(listed(Warning::LatePublication { hours_before: 2 }));
        assert!(listed(Warning::EmptyAgenda));
        assert_eq!(Warning::CODES.len(), 3);
    }
}

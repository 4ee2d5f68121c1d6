//! The title and body of an item, in Vietnamese or English, from the kind and its parameters.
//! The same texts are shown in the inbox and sent by e-mail and push; times are shown in Vietnam
//! time.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::Kind;

/// What an item's text is made of, stored with the item (JSON) so that it can be rendered in the
/// reader's language later.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    /// Title of the meeting, document, task or quiz.
    pub title: String,
    /// The unit concerned (a cell's name for reports), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_name: Option<String>,
    /// A meeting's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    /// A task's due date or a reading deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_on: Option<NaiveDate>,
    /// When a quiz closes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<DateTime<Utc>>,
    /// A document's number, e.g. `05-NQ/TU`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// A cancellation reason or a reviewer's comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The month a report is for, `MM/YYYY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<String>,
    /// How many members have not read (escalations).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread_count: Option<u32>,
    /// Required reading.
    #[serde(default)]
    pub required: bool,
    /// An extraordinary meeting.
    #[serde(default)]
    pub extraordinary: bool,
}

/// A language of the texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Vietnamese (the default).
    Vi,
    /// English.
    En,
}

/// A rendered title and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// One line.
    pub title: String,
    /// One or two sentences.
    pub body: String,
}

fn when(at: DateTime<Utc>, lang: Lang) -> String {
    let local = at + Duration::hours(7);
    match lang {
        Lang::Vi => local.format("%H:%M ngày %d/%m/%Y").to_string(),
        Lang::En => local.format("%H:%M on %d/%m/%Y").to_string(),
    }
}

fn day(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Renders an item.
pub fn render(kind: Kind, p: &Params, lang: Lang) -> Text {
    let t = &p.title;
    let at = p.starts_at.map(|s| when(s, lang)).unwrap_or_default();
    let due = p.due_on.map(day).unwrap_or_default();
    let doc = match &p.number {
        Some(n) => format!("{n} — {t}"),
        None => t.clone(),
    };
    let unit = p.unit_name.clone().unwrap_or_default();
    let month = p.month.clone().unwrap_or_default();
    let reason = p.reason.clone().unwrap_or_default();
    let (title, body) = match (kind, lang) {
        (Kind::MeetingPublished, Lang::Vi) if p.extraordinary => ("Triệu tập sinh hoạt bất thường".to_string(), format!("{t} — lúc {at}.")),
        (Kind::MeetingPublished, Lang::En) if p.extraordinary => ("Extraordinary meeting called".to_string(), format!("{t} — at {at}.")),
        (Kind::MeetingPublished, Lang::Vi) => {
            ("Thông báo lịch sinh hoạt chi bộ".to_string(), format!("{t} — lúc {at}. Xem chương trình và chuẩn bị ý kiến."))
        }
        (Kind::MeetingPublished, Lang::En) => {
            ("Cell meeting scheduled".to_string(), format!("{t} — at {at}. See the agenda and prepare your opinions."))
        }
        (Kind::MeetingStartingSoon, Lang::Vi) => ("Sắp đến giờ sinh hoạt".to_string(), format!("{t} bắt đầu lúc {at}.")),
        (Kind::MeetingStartingSoon, Lang::En) => ("Meeting starts soon".to_string(), format!("{t} starts at {at}.")),
        (Kind::MeetingOpened, Lang::Vi) => ("Cuộc họp đã bắt đầu — điểm danh".to_string(), format!("{t}: mời đồng chí điểm danh.")),
        (Kind::MeetingOpened, Lang::En) => ("Meeting open — check in".to_string(), format!("{t}: please check in.")),
        (Kind::MeetingCancelled, Lang::Vi) => ("Hủy buổi sinh hoạt".to_string(), format!("{t} (lúc {at}) đã bị hủy. Lý do: {reason}")),
        (Kind::MeetingCancelled, Lang::En) => ("Meeting cancelled".to_string(), format!("{t} (at {at}) is cancelled. Reason: {reason}")),
        (Kind::MeetingRescheduled, Lang::Vi) => ("Thay đổi thời gian sinh hoạt".to_string(), format!("{t} chuyển sang {at}.")),
        (Kind::MeetingRescheduled, Lang::En) => ("Meeting moved".to_string(), format!("{t} now starts at {at}.")),
        (Kind::ReportSubmitted, Lang::Vi) => ("Báo cáo sinh hoạt chi bộ mới".to_string(), format!("{unit} đã gửi báo cáo: {t}.")),
        (Kind::ReportSubmitted, Lang::En) => ("New cell meeting report".to_string(), format!("{unit} sent its report: {t}.")),
        (Kind::ReportReturned, Lang::Vi) => ("Báo cáo bị trả lại".to_string(), format!("Báo cáo {t} cần chỉnh sửa: {reason}")),
        (Kind::ReportReturned, Lang::En) => ("Report returned".to_string(), format!("The report on {t} needs revision: {reason}")),
        (Kind::ReportNotSent, Lang::Vi) => {
            ("Chưa gửi báo cáo sinh hoạt".to_string(), format!("Báo cáo sinh hoạt tháng {month} ({t}) chưa được gửi; hạn là ngày 5."))
        }
        (Kind::ReportNotSent, Lang::En) => {
            ("Meeting report not sent".to_string(), format!("The report for {month} ({t}) has not been sent; it is due by the 5th."))
        }
        (Kind::ReportLate, Lang::Vi) => {
            ("Báo cáo sinh hoạt quá hạn".to_string(), format!("{unit} chưa gửi báo cáo sinh hoạt tháng {month}."))
        }
        (Kind::ReportLate, Lang::En) => ("Meeting report late".to_string(), format!("{unit} has not sent its meeting report for {month}.")),
        (Kind::DocumentPublished, Lang::Vi) if p.required => ("Văn bản mới — bắt buộc đọc".to_string(), format!("{doc}. Hạn đọc: {due}.")),
        (Kind::DocumentPublished, Lang::En) if p.required => {
            ("New document — required reading".to_string(), format!("{doc}. Read by {due}."))
        }
        (Kind::DocumentPublished, Lang::Vi) => ("Văn bản mới".to_string(), format!("{doc}.")),
        (Kind::DocumentPublished, Lang::En) => ("New document".to_string(), format!("{doc}.")),
        (Kind::DocumentReadingDue, Lang::Vi) => ("Sắp hết hạn đọc văn bản".to_string(), format!("{doc} — hạn đọc {due}.")),
        (Kind::DocumentReadingDue, Lang::En) => ("Reading due soon".to_string(), format!("{doc} — read by {due}.")),
        (Kind::UnreadEscalation, Lang::Vi) => (
            "Đảng viên chưa đọc văn bản".to_string(),
            format!("{} đảng viên của chi bộ chưa đọc {doc} (hạn {due}).", p.unread_count.unwrap_or(0)),
        ),
        (Kind::UnreadEscalation, Lang::En) => (
            "Members have not read a document".to_string(),
            format!("{} members of the cell have not read {doc} (due {due}).", p.unread_count.unwrap_or(0)),
        ),
        (Kind::TaskAssigned, Lang::Vi) => ("Nhiệm vụ mới".to_string(), format!("{t} — hạn {due}.")),
        (Kind::TaskAssigned, Lang::En) => ("New task".to_string(), format!("{t} — due {due}.")),
        (Kind::TaskDueSoon, Lang::Vi) => ("Nhiệm vụ sắp đến hạn".to_string(), format!("{t} — hạn {due}.")),
        (Kind::TaskDueSoon, Lang::En) => ("Task due soon".to_string(), format!("{t} — due {due}.")),
        (Kind::TaskOverdue, Lang::Vi) => ("Nhiệm vụ quá hạn".to_string(), format!("{t} — đã quá hạn {due}.")),
        (Kind::TaskOverdue, Lang::En) => ("Task overdue".to_string(), format!("{t} — was due {due}.")),
        (Kind::QuizClosing, Lang::Vi) => (
            "Cuộc thi sắp kết thúc".to_string(),
            format!("{t} đóng lúc {}. Đồng chí chưa làm bài.", p.closes_at.map(|c| when(c, lang)).unwrap_or_default()),
        ),
        (Kind::QuizClosing, Lang::En) => (
            "Quiz closing soon".to_string(),
            format!("{t} closes at {}. You have not taken it yet.", p.closes_at.map(|c| when(c, lang)).unwrap_or_default()),
        ),
        (Kind::ReportGenerated, Lang::Vi) => ("Báo cáo đã sẵn sàng".to_string(), format!("{t} — {unit} đã được tạo, mời đồng chí tải về.")),
        (Kind::ReportGenerated, Lang::En) => {
            ("Report ready".to_string(), format!("{t} — {unit} has been generated and can be downloaded."))
        }
    };
    Text { title, body }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn every_kind_has_both_texts() {
        let p = Params {
            title: "Sinh hoạt chi bộ tháng 12".into(),
            starts_at: Some(Utc.with_ymd_and_hms(2026, 12, 10, 12, 30, 0).unwrap()),
            due_on: NaiveDate::from_ymd_opt(2026, 12, 15),
            ..Params::default()
        };
        for k in Kind::ALL {
            let vi = render(k, &p, Lang::Vi);
            let en = render(k, &p, Lang::En);
            assert!(!vi.title.is_empty() && !en.title.is_empty(), "{k}");
            assert_ne!(vi.title, en.title, "{k}");
        }
        assert_eq!(
            render(Kind::MeetingPublished, &p, Lang::Vi).body,
            "Sinh hoạt chi bộ tháng 12 — lúc 19:30 ngày 10/12/2026. Xem chương trình và chuẩn bị ý kiến."
        );
        assert_eq!(render(Kind::TaskOverdue, &p, Lang::En).body, "Sinh hoạt chi bộ tháng 12 — was due 15/12/2026.");
    }

    #[test]
    fn params_round_trip_and_old_forms_read() {
        let p = Params { title: "x".into(), number: Some("05-NQ/TU".into()), required: true, ..Params::default() };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#"{"title":"x","number":"05-NQ/TU","required":true,"extraordinary":false}"#);
        assert_eq!(serde_json::from_str::<Params>(&json).unwrap(), p);
        assert_eq!(serde_json::from_str::<Params>(r#"{"title":"y"}"#).unwrap().title, "y");
    }
}

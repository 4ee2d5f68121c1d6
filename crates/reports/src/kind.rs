//! Report kinds and formats.

use crate::period::Period;

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportKind {
    /// The cell's month (*báo cáo sinh hoạt chi bộ tháng*): the meetings held, the attendance
    /// ledger and rate, quorum and the > 85 % criterion, opinions, resolution and votes, tasks,
    /// required reading and study points. A cell and a month; printable.
    CellMonth,
    /// The activity roll-up of a subtree for a month, quarter or year: per child unit and per
    /// cell, meetings held against due, attendance, flags, reports on time, tasks, reading,
    /// study points, active members.
    Activity,
    /// Membership changes (*tăng giảm đảng viên*) of a subtree for a month, quarter or year, with
    /// the composition at the end by standing, sex and age band.
    Membership,
    /// The member year sheet for the annual review: per member of a unit, the year's attendance,
    /// tasks, reading and study points (figures only, never a rating tier). A year.
    MemberYear,
}

impl ReportKind {
    /// Every kind, in a stable order.
    pub const ALL: [ReportKind; 4] = [ReportKind::CellMonth, ReportKind::Activity, ReportKind::Membership, ReportKind::MemberYear];

    /// The stable code used in the API, the CLI and the database.
    pub fn code(self) -> &'static str {
        match self {
            ReportKind::CellMonth => "cell_month",
            ReportKind::Activity => "activity",
            ReportKind::Membership => "membership",
            ReportKind::MemberYear => "member_year",
        }
    }

    /// Parses [`code`](Self::code).
    pub fn from_code(code: &str) -> Option<ReportKind> {
        ReportKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The Vietnamese title printed on the report.
    pub fn title_vi(self) -> &'static str {
        match self {
            ReportKind::CellMonth => "Báo cáo sinh hoạt chi bộ tháng",
            ReportKind::Activity => "Báo cáo tổng hợp hoạt động",
            ReportKind::Membership => "Báo cáo tăng giảm đảng viên",
            ReportKind::MemberYear => "Bảng tổng hợp kết quả đảng viên trong năm",
        }
    }

    /// Whether the kind covers one cell only (the cell month), so that its unit must be a cell.
    pub fn needs_cell(self) -> bool {
        matches!(self, ReportKind::CellMonth)
    }

    /// Whether the kind takes the period: the cell month takes a month, the member year sheet a
    /// year, the roll-ups any of the three.
    pub fn accepts(self, period: Period) -> bool {
        match self {
            ReportKind::CellMonth => matches!(period, Period::Month { .. }),
            ReportKind::MemberYear => matches!(period, Period::Year { .. }),
            ReportKind::Activity | ReportKind::Membership => true,
        }
    }

    /// Whether the kind is written in the format: PDF only for the documents that are printed and
    /// signed (the cell month and the member year sheet).
    pub fn supports(self, format: Format) -> bool {
        match format {
            Format::Pdf => matches!(self, ReportKind::CellMonth | ReportKind::MemberYear),
            Format::Xlsx | Format::Csv | Format::Html => true,
        }
    }
}

/// A report's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// Office Open XML workbook, one sheet per level.
    Xlsx,
    /// UTF-8 CSV with a byte-order mark (so that Excel shows Vietnamese), the report's main table.
    Csv,
    /// One self-contained HTML page with SVG charts and an A4 print stylesheet.
    Html,
    /// A printable A4 PDF with the Party header and the signature block.
    Pdf,
}

impl Format {
    /// Every format, in a stable order.
    pub const ALL: [Format; 4] = [Format::Xlsx, Format::Csv, Format::Html, Format::Pdf];

    /// The stable code (also the file extension).
    pub fn code(self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Csv => "csv",
            Format::Html => "html",
            Format::Pdf => "pdf",
        }
    }

    /// Parses [`code`](Self::code).
    pub fn from_code(code: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.code() == code)
    }

    /// The media type the file is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Html => "text/html; charset=utf-8",
            Format::Pdf => "application/pdf",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for k in ReportKind::ALL {
            assert_eq!(ReportKind::from_code(k.code()), Some(k));
        }
        for f in Format::ALL {
            assert_eq!(Format::from_code(f.code()), Some(f));
        }
        assert_eq!(ReportKind::from_code("Activity"), None);
        assert_eq!(Format::from_code("xls"), None);
    }

    #[test]
    fn pdf_only_for_printed_kinds_and_periods_by_kind() {
        let kinds: Vec<_> = ReportKind::ALL.into_iter().filter(|k| k.supports(Format::Pdf)).collect();
        assert_eq!(kinds, [ReportKind::CellMonth, ReportKind::MemberYear]);
        let month = Period::Month { year: 2026, month: 10 };
        let quarter = Period::Quarter { year: 2026, quarter: 4 };
        let year = Period::Year { year: 2026 };
        assert!(ReportKind::CellMonth.accepts(month) && !ReportKind::CellMonth.accepts(quarter) && !ReportKind::CellMonth.accepts(year));
        assert!(!ReportKind::MemberYear.accepts(month) && ReportKind::MemberYear.accepts(year));
        for p in [month, quarter, year] {
            assert!(ReportKind::Activity.accepts(p) && ReportKind::Membership.accepts(p));
        }
    }
}

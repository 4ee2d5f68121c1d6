//! The document model every format is written from: built once by the application layer from
//! the figures, then written in the requested format without recomputing anything.

use chrono::{DateTime, NaiveDate, Utc};

/// A report ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The report's title, e.g. "Báo cáo tổng hợp hoạt động".
    pub title: String,
    /// The issuing / reported unit's name, e.g. "Chi bộ Thôn 1" (printed top left, upper-cased
    /// under its superior's name, on PDFs).
    pub unit_name: String,
    /// The superior unit's name when there is one (printed above the unit on PDFs).
    pub superior_name: Option<String>,
    /// The period in words, e.g. "tháng 10/2026".
    pub period_label: String,
    /// The period's code, e.g. "2026-10".
    pub period: String,
    /// The place of the place-and-date line ("Thôn 1, ngày 06 tháng 11 năm 2026"); the unit's
    /// name when no place is recorded.
    pub place: String,
    /// The date of the place-and-date line (Vietnam's date of generation).
    pub date: NaiveDate,
    /// When the file was generated.
    pub generated_at: DateTime<Utc>,
    /// The instant the figures were read at (data cut-off).
    pub data_cutoff: DateTime<Utc>,
    /// Headline facts (label → value), printed as a two-column table before the sections.
    pub summary: Vec<Fact>,
    /// The tables, one per level (XLSX: one sheet each, after the "Tổng hợp" sheet, which is
    /// always written: the report's heading, the summary facts when there are any, the sheets).
    pub sections: Vec<Section>,
    /// Charts (HTML: inline SVG).
    pub charts: Vec<Chart>,
    /// Free paragraphs printed after the tables (e.g. the resolution's text), each with a heading.
    pub notes: Vec<Note>,
    /// The signature block (HTML and PDF); `None` for roll-ups that are not signed.
    pub signature: Option<Signature>,
    /// The section written as the CSV file (the report's main table).
    pub primary: usize,
}

/// One headline fact.
#[derive(Debug, Clone, PartialEq)]
pub struct Fact {
    /// The label, e.g. "Tỉ lệ dự họp".
    pub label: String,
    /// The value.
    pub value: Cell,
}

/// One table.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// A short sheet name (≤ 31 characters, none of `[]:*?/\`), e.g. "Chi bộ".
    pub sheet: String,
    /// The table's title, e.g. "Kết quả theo chi bộ".
    pub title: String,
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows; each row has one cell per column.
    pub rows: Vec<Vec<Cell>>,
    /// The totals row (values computed by the application layer, never spreadsheet formulas), one
    /// cell per column; `None` when totals make no sense.
    pub totals: Option<Vec<Cell>>,
}

/// A column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// A stable machine key, e.g. `attendance_rate` (not printed; tests and CSV consumers use
    /// the header).
    pub key: String,
    /// The printed header, e.g. "Tỉ lệ dự họp".
    pub header: String,
    /// How values are formatted.
    pub kind: ColumnKind,
}

/// How a column's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Text.
    Text,
    /// Whole numbers.
    Integer,
    /// Decimals, one place (e.g. mean points).
    Decimal,
    /// A ratio 0–1 written as a percentage with one decimal place.
    Percent,
    /// A date, `dd/mm/yyyy`.
    Date,
}

/// One value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// No value ("—" in print, an empty cell in XLSX and CSV).
    Empty,
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A decimal.
    Decimal(f64),
    /// A ratio 0–1.
    Percent(f64),
    /// A date.
    Date(NaiveDate),
}

/// A chart.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// A line chart over labelled points, e.g. the attendance trend by month.
    Line {
        /// The title.
        title: String,
        /// The x-axis labels.
        x_labels: Vec<String>,
        /// The series, each with one value per label (`None`: no point).
        series: Vec<Series>,
        /// Whether values are ratios 0–1 shown as percentages.
        percent: bool,
    },
    /// A bar chart, e.g. units by attendance-rate band.
    Bar {
        /// The title.
        title: String,
        /// The bar labels.
        labels: Vec<String>,
        /// One value per label.
        values: Vec<f64>,
    },
}

/// A line chart's series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend name.
    pub name: String,
    /// One value per x label.
    pub values: Vec<Option<f64>>,
}

/// A headed paragraph.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// The heading, e.g. "Nghị quyết".
    pub heading: String,
    /// The text (line breaks kept).
    pub text: String,
}

/// The signature block, right-aligned at the end: e.g. role "T/M CHI ỦY" and title "BÍ THƯ",
/// then room to sign, then the name.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    /// On behalf of, e.g. "T/M CHI ỦY".
    pub on_behalf: String,
    /// The signer's title, e.g. "BÍ THƯ".
    pub title: String,
    /// The signer's name, when known.
    pub name: Option<String>,
}

//! How values are written as text.
//!
//! - CSV is read by programs and by Excel: a dot for decimals, no thousands separator, a percent
//!   as the percentage with one decimal and a `%` sign (`87.5%`, which Excel reads back as the
//!   ratio 0.875), dates `dd/mm/yyyy`, an empty field for no value.
//! - Print (HTML and PDF) follows Vietnamese usage: a comma for decimals and a dot between
//!   thousands (`1.234`, `4,5`, `87,5%`), dates `dd/mm/yyyy`, `—` for no value.
//!
//! Non-finite numbers (which the application layer should never produce) are written as no value.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Offset, Utc};

use crate::model::{Cell, Report};

/// What is printed for [`Cell::Empty`] in HTML and PDF.
pub const PRINT_EMPTY: &str = "—";

/// A date as `dd/mm/yyyy`.
pub fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// A cell as written in the CSV file.
pub fn csv_cell(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => n.to_string(),
        Cell::Decimal(x) if x.is_finite() => format!("{x:.1}"),
        Cell::Percent(x) if x.is_finite() => format!("{:.1}%", x * 100.0),
        Cell::Decimal(_) | Cell::Percent(_) => String::new(),
        Cell::Date(d) => date(*d),
    }
}

/// A cell as printed (HTML and PDF).
pub fn print_cell(cell: &Cell) -> String {
    match cell {
        Cell::Empty => PRINT_EMPTY.to_owned(),
        Cell::Text(s) => s.clone(),
        Cell::Int(n) => group(&n.to_string()),
        Cell::Decimal(x) if x.is_finite() => print_decimal(&format!("{x:.1}")),
        Cell::Percent(x) if x.is_finite() => format!("{}%", print_decimal(&format!("{:.1}", x * 100.0))),
        Cell::Decimal(_) | Cell::Percent(_) => PRINT_EMPTY.to_owned(),
        Cell::Date(d) => date(*d),
    }
}

/// Whether the cell is a number (right-aligned in print).
pub fn is_numeric(cell: &Cell) -> bool {
    matches!(cell, Cell::Int(_) | Cell::Decimal(_) | Cell::Percent(_))
}

/// `"-1234.5"` → `"-1.234,5"`.
fn print_decimal(s: &str) -> String {
    match s.split_once('.') {
        Some((int, frac)) => format!("{},{frac}", group(int)),
        None => group(s),
    }
}

/// Puts a dot between thousands: `"-1234567"` → `"-1.234.567"`.
fn group(int: &str) -> String {
    let (sign, digits) = match int.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", int),
    };
    let mut out = String::with_capacity(int.len() + digits.len() / 3);
    out.push_str(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// Vietnam's offset (UTC+7, no daylight saving time).
fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).unwrap_or(Utc.fix())
}

/// An instant in Vietnam's time, `dd/mm/yyyy HH:MM`.
pub fn vn_datetime(at: DateTime<Utc>) -> String {
    at.with_timezone(&vietnam()).format("%d/%m/%Y %H:%M").to_string()
}

/// The place-and-date line: "Thôn Đông Hưng, ngày 06 tháng 11 năm 2026".
pub fn place_and_date(report: &Report) -> String {
    let d = report.date;
    format!("{}, ngày {:02} tháng {:02} năm {}", report.place, d.day(), d.month(), d.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn print_and_csv_conventions() {
        assert_eq!(print_cell(&Cell::Int(1_234_567)), "1.234.567");
        assert_eq!(print_cell(&Cell::Int(-1234)), "-1.234");
        assert_eq!(print_cell(&Cell::Int(123)), "123");
        assert_eq!(print_cell(&Cell::Decimal(1234.56)), "1.234,6");
        assert_eq!(print_cell(&Cell::Percent(0.875)), "87,5%");
        assert_eq!(print_cell(&Cell::Percent(1.0)), "100,0%");
        assert_eq!(print_cell(&Cell::Empty), "—");
        assert_eq!(csv_cell(&Cell::Int(1234)), "1234");
        assert_eq!(csv_cell(&Cell::Decimal(4.5)), "4.5");
        assert_eq!(csv_cell(&Cell::Decimal(2.0)), "2.0");
        assert_eq!(csv_cell(&Cell::Percent(0.875)), "87.5%");
        assert_eq!(csv_cell(&Cell::Empty), "");
        assert_eq!(csv_cell(&Cell::Decimal(f64::NAN)), "");
        let d = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
        assert_eq!(csv_cell(&Cell::Date(d)), "05/03/2026");
        assert_eq!(print_cell(&Cell::Date(d)), "05/03/2026");
    }

    #[test]
    fn vietnam_time() {
        let at = DateTime::parse_from_rfc3339("2026-11-05T18:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(vn_datetime(at), "06/11/2026 01:30");
    }
}

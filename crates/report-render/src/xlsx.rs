//! XLSX: a "Tổng hợp" sheet, then one sheet per section.
//!
//! The "Tổng hợp" sheet is always written (also when the report has no summary facts): the
//! title, the unit and its superior, the period, the place-and-date line, when the file was
//! generated and the data cut-off (both in Vietnam's time, UTC+7), the summary facts as a
//! "Chỉ tiêu | Giá trị" table when there are any, and the list of the section sheets with their
//! titles. Each section sheet has its header row at the top (bold, frozen, with an autofilter),
//! then the rows, then the totals row in bold (values, never formulas). Numbers keep their
//! value with a number format: Integer `0`, Decimal `0.0`, Percent `0.0%` (the cell holds the
//! ratio 0–1), Date `dd/mm/yyyy` (an Excel date); [`Cell::Empty`] is a blank cell.
//!
//! Sheets are written in `constant_memory` mode: each row goes to a temporary file once the
//! next row is started, so rows are written strictly in order and a 6,000-row × 25-column
//! sheet stays small in memory. Sheet names follow Excel's rules ([`sheet_names`]). The
//! workbook's creation time is the report's `generated_at` (and rust_xlsxwriter gives every zip
//! entry a fixed time), so the same report gives the same bytes.

use std::io::Write;

use rust_xlsxwriter::{ColNum, DocProperties, ExcelDateTime, Format, RowNum, Workbook, Worksheet, XlsxError};

use crate::RenderError;
use crate::model::{Cell, Report, Section};
use crate::numbers::{csv_cell, place_and_date, vn_datetime};

/// The summary sheet's name.
pub const SUMMARY_SHEET: &str = "Tổng hợp";

/// Excel's longest sheet name, in UTF-16 code units.
const MAX_SHEET_NAME: usize = 31;

/// How many rows are looked at to size a column.
const WIDTH_SAMPLE_ROWS: usize = 500;

/// The sheet names of the workbook, in order: [`SUMMARY_SHEET`], then one per section.
///
/// A section's `sheet` is made valid for Excel: `[]:*?/\` become `_`, leading and trailing
/// apostrophes and spaces are dropped, the name is cut to 31 characters (UTF-16 units), an empty
/// name becomes "Bảng n", and a name already taken (ignoring case, "History" is reserved by
/// Excel) gets " (2)", " (3)", … (cut to fit).
pub fn sheet_names(report: &Report) -> Vec<String> {
    let mut names = vec![SUMMARY_SHEET.to_owned()];
    for (i, section) in report.sections.iter().enumerate() {
        let base = clean_sheet_name(&section.sheet, i + 1);
        let taken = |n: &str| names.iter().any(|t| t.to_lowercase() == n.to_lowercase()) || n.eq_ignore_ascii_case("history");
        let mut name = base.clone();
        let mut k = 2;
        while taken(&name) {
            let suffix = format!(" ({k})");
            name = format!("{}{suffix}", cut_utf16(&base, MAX_SHEET_NAME - suffix.len()).trim_end());
            k += 1;
        }
        names.push(name);
    }
    names
}

fn clean_sheet_name(raw: &str, n: usize) -> String {
    let replaced: String = raw.chars().map(|c| if "[]:*?/\\".contains(c) || c.is_control() { '_' } else { c }).collect();
    let trimmed = replaced.trim_matches(|c: char| c == '\'' || c.is_whitespace());
    let cut = cut_utf16(trimmed, MAX_SHEET_NAME);
    let cut = cut.trim_end_matches(|c: char| c == '\'' || c.is_whitespace());
    if cut.is_empty() { format!("Bảng {n}") } else { cut.to_owned() }
}

/// The longest prefix of `s` of at most `max` UTF-16 units.
fn cut_utf16(s: &str, max: usize) -> &str {
    let mut units = 0;
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > max {
            return &s[..i];
        }
    }
    s
}

struct Formats {
    bold: Format,
    title: Format,
    header: Format,
    int: [Format; 2],
    decimal: [Format; 2],
    percent: [Format; 2],
    date: [Format; 2],
}

impl Formats {
    fn new() -> Formats {
        let pair = |num: &str| [Format::new().set_num_format(num), Format::new().set_num_format(num).set_bold()];
        Formats {
            bold: Format::new().set_bold(),
            title: Format::new().set_bold().set_font_size(14),
            header: Format::new().set_bold().set_text_wrap(),
            int: pair("0"),
            decimal: pair("0.0"),
            percent: pair("0.0%"),
            date: pair("dd/mm/yyyy"),
        }
    }
}

fn err(e: XlsxError) -> RenderError {
    RenderError::Write(format!("XLSX: {e}"))
}

fn col_num(i: usize) -> Result<ColNum, RenderError> {
    ColNum::try_from(i).map_err(|_| RenderError::Write(format!("XLSX: too many columns ({i})")))
}

fn row_num(i: usize) -> Result<RowNum, RenderError> {
    RowNum::try_from(i).map_err(|_| RenderError::Write(format!("XLSX: too many rows ({i})")))
}

/// Writes one cell; [`Cell::Empty`] writes nothing (a blank cell).
fn write_cell(ws: &mut Worksheet, row: RowNum, col: ColNum, cell: &Cell, bold: bool, f: &Formats) -> Result<(), RenderError> {
    let b = usize::from(bold);
    match cell {
        Cell::Empty => {}
        Cell::Text(s) if bold => {
            ws.write_string_with_format(row, col, s, &f.bold).map_err(err)?;
        }
        Cell::Text(s) => {
            ws.write_string(row, col, s).map_err(err)?;
        }
        // i64 → f64: Excel keeps 15 significant digits anyway.
        Cell::Int(n) => {
            ws.write_number_with_format(row, col, *n as f64, &f.int[b]).map_err(err)?;
        }
        Cell::Decimal(x) | Cell::Percent(x) if !x.is_finite() => {}
        Cell::Decimal(x) => {
            ws.write_number_with_format(row, col, *x, &f.decimal[b]).map_err(err)?;
        }
        Cell::Percent(x) => {
            ws.write_number_with_format(row, col, *x, &f.percent[b]).map_err(err)?;
        }
        Cell::Date(d) => {
            ws.write_datetime_with_format(row, col, &excel_date(*d)?, &f.date[b]).map_err(err)?;
        }
    }
    Ok(())
}

fn excel_date(d: chrono::NaiveDate) -> Result<ExcelDateTime, RenderError> {
    use chrono::Datelike;
    let year = u16::try_from(d.year()).map_err(|_| RenderError::Write(format!("XLSX: the date {d} is out of range")))?;
    // month() and day() are at most 12 and 31.
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8).map_err(err)
}

pub(crate) fn write(report: &Report, out: &mut dyn Write) -> Result<(), RenderError> {
    let names = sheet_names(report);
    let f = Formats::new();
    let mut workbook = Workbook::new();
    workbook.set_properties(
        &DocProperties::new().set_title(&report.title).set_company(&report.unit_name).set_creation_datetime(&report.generated_at),
    );

    let ws = workbook.add_worksheet_with_constant_memory().map_err(err)?;
    ws.set_name(SUMMARY_SHEET).map_err(err)?;
    write_summary(ws, report, &names, &f)?;

    for (section, name) in report.sections.iter().zip(names.iter().skip(1)) {
        let ws = workbook.add_worksheet_with_constant_memory().map_err(err)?;
        ws.set_name(name).map_err(err)?;
        write_section(ws, section, &f)?;
    }

    let bytes = workbook.save_to_buffer().map_err(err)?;
    out.write_all(&bytes)?;
    Ok(())
}

fn write_summary(ws: &mut Worksheet, report: &Report, names: &[String], f: &Formats) -> Result<(), RenderError> {
    ws.set_column_width(0, 36).map_err(err)?;
    ws.set_column_width(1, 60).map_err(err)?;
    let mut row: RowNum = 0;
    ws.write_string_with_format(row, 0, &report.title, &f.title).map_err(err)?;
    row += 1;
    let mut meta: Vec<(&str, String)> = Vec::new();
    if let Some(superior) = &report.superior_name {
        meta.push(("Đơn vị cấp trên", superior.clone()));
    }
    meta.push(("Đơn vị", report.unit_name.clone()));
    meta.push(("Kỳ báo cáo", report.period_label.clone()));
    meta.push(("Địa điểm, ngày lập", place_and_date(report)));
    meta.push(("Thời điểm lập (giờ Việt Nam)", vn_datetime(report.generated_at)));
    meta.push(("Số liệu tính đến (giờ Việt Nam)", vn_datetime(report.data_cutoff)));
    for (label, value) in meta {
        ws.write_string_with_format(row, 0, label, &f.bold).map_err(err)?;
        ws.write_string(row, 1, value).map_err(err)?;
        row += 1;
    }
    if !report.summary.is_empty() {
        row += 1;
        ws.write_string_with_format(row, 0, "Chỉ tiêu", &f.header).map_err(err)?;
        ws.write_string_with_format(row, 1, "Giá trị", &f.header).map_err(err)?;
        row += 1;
        for fact in &report.summary {
            ws.write_string(row, 0, &fact.label).map_err(err)?;
            write_cell(ws, row, 1, &fact.value, false, f)?;
            row += 1;
        }
    }
    if !report.sections.is_empty() {
        row += 1;
        ws.write_string_with_format(row, 0, "Trang tính", &f.header).map_err(err)?;
        ws.write_string_with_format(row, 1, "Nội dung", &f.header).map_err(err)?;
        row += 1;
        for (section, name) in report.sections.iter().zip(names.iter().skip(1)) {
            ws.write_string(row, 0, name).map_err(err)?;
            ws.write_string(row, 1, &section.title).map_err(err)?;
            row += 1;
        }
    }
    Ok(())
}

fn write_section(ws: &mut Worksheet, section: &Section, f: &Formats) -> Result<(), RenderError> {
    let ncols = section.columns.len();
    let nrows = section.rows.len() + usize::from(section.totals.is_some());
    // Widths, the frozen header and the filter are set before the rows (constant_memory).
    for (i, column) in section.columns.iter().enumerate() {
        let cells = section.rows.iter().take(WIDTH_SAMPLE_ROWS).chain(section.totals.iter()).filter_map(|r| r.get(i));
        let longest = cells.map(|c| csv_cell(c).chars().count()).chain([column.header.chars().count()]).max().unwrap_or(0);
        ws.set_column_width(col_num(i)?, (longest as f64 * 1.1 + 2.0).clamp(8.0, 60.0)).map_err(err)?;
    }
    if ncols == 0 {
        return Ok(());
    }
    ws.set_freeze_panes(1, 0).map_err(err)?;
    ws.autofilter(0, 0, row_num(nrows)?, col_num(ncols - 1)?).map_err(err)?;
    for (i, column) in section.columns.iter().enumerate() {
        ws.write_string_with_format(0, col_num(i)?, &column.header, &f.header).map_err(err)?;
    }
    for (r, row) in section.rows.iter().enumerate() {
        let r = row_num(r + 1)?;
        for (c, cell) in row.iter().enumerate() {
            write_cell(ws, r, col_num(c)?, cell, false, f)?;
        }
    }
    if let Some(totals) = &section.totals {
        let r = row_num(section.rows.len() + 1)?;
        for (c, cell) in totals.iter().enumerate() {
            write_cell(ws, r, col_num(c)?, cell, true, f)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_follow_excel_rules() {
        assert_eq!(clean_sheet_name("Chi bộ [1]: a/b\\c*?", 1), "Chi bộ _1__ a_b_c__");
        assert_eq!(clean_sheet_name("'  '", 4), "Bảng 4");
        let long = "Kết quả theo từng chi bộ trực thuộc Đảng bộ xã";
        let cut = clean_sheet_name(long, 1);
        assert!(cut.encode_utf16().count() <= 31, "{cut}");
        assert!(long.starts_with(&cut));
        assert_eq!(cut_utf16("ab😀c", 3), "ab");
    }
}

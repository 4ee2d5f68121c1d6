//! CSV: the report's main table (`sections[primary]`).
//!
//! UTF-8 with a byte-order mark (EF BB BF) so that Excel shows Vietnamese; then the header row
//! (the columns' headers), the rows, and the totals row when there is one (its first cell as
//! given, e.g. "Tổng cộng"). Records end with `\r\n` (RFC 4180, what Excel writes). Values as in
//! [`crate::numbers::csv_cell`]: `1234`, `4.5`, `87.5%`, `06/11/2026`, an empty field for no
//! value.

use std::io::Write;

use crate::RenderError;
use crate::model::Report;
use crate::numbers::csv_cell;

/// The UTF-8 byte-order mark.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

pub(crate) fn write(report: &Report, out: &mut dyn Write) -> Result<(), RenderError> {
    let section = report
        .sections
        .get(report.primary)
        .ok_or_else(|| RenderError::Write(format!("the primary section {} does not exist", report.primary)))?;
    out.write_all(BOM)?;
    let mut w = ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).from_writer(out);
    let err = |e: ::csv::Error| RenderError::Write(e.to_string());
    w.write_record(section.columns.iter().map(|c| c.header.as_str())).map_err(err)?;
    for row in section.rows.iter().chain(section.totals.iter()) {
        w.write_record(row.iter().map(csv_cell)).map_err(err)?;
    }
    w.flush()?;
    Ok(())
}

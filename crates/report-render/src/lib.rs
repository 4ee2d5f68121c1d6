//! # report-render — writing a report in each format
//!
//! The application layer builds one [`model::Report`] from the figures; [`render`] writes it as
//! XLSX, CSV, HTML or PDF. Nothing here reads the database or the clock: every date printed or
//! stored in a file's metadata comes from the report, so that rendering the same report twice
//! gives the same bytes (reports are checksummed).
//!
//! ## Number conventions
//!
//! | kind | XLSX | CSV (machine-facing) | HTML and PDF (print, Vietnamese style) |
//! | --- | --- | --- | --- |
//! | Integer | number, format `0` | `1234` | `1.234` |
//! | Decimal | number, format `0.0` | `4.5` | `4,5` |
//! | Percent | the ratio 0–1, format `0.0%` | `87.5%` | `87,5%` |
//! | Date | Excel date, `dd/mm/yyyy` | `06/11/2026` | `06/11/2026` |
//! | Empty | blank cell | empty field | `—` |
//!
//! See [`numbers`] for the functions.
//!
//! ## Tests
//!
//! `cargo test -p report-render` reads every format back: the XLSX with calamine, the CSV with
//! the csv crate, the HTML as XML, and the PDF's text with `pdftotext` (Debian package
//! `poppler-utils`), whose absence fails the PDF tests unless `HANDBOOK_SKIP_PDFTOTEXT=1`.

mod chart;
mod csv;
mod html;
pub mod model;
pub mod numbers;
mod pdf;
pub mod xlsx;

use reports::Format;

/// The renderer's version, part of a report's content key: a change to how a format is written
/// (a layout fix) regenerates files whose figures did not change. Raise it with such a change.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+r1");

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The format does not apply to this report.
    #[error("the format {0} is not available for this report")]
    Unsupported(&'static str),
    /// Writing failed.
    #[error("writing the report failed: {0}")]
    Write(String),
    /// The output could not be written.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Writes `report` in `format` to `out`.
///
/// Every format is always available here: which report kinds are offered as PDF is the caller's
/// decision ([`reports::ReportKind::supports`]).
pub fn render(report: &model::Report, format: Format, out: &mut dyn std::io::Write) -> Result<(), RenderError> {
    match format {
        Format::Xlsx => xlsx::write(report, out),
        Format::Csv => csv::write(report, out),
        Format::Html => html::write(report, out),
        Format::Pdf => pdf::write(report, out),
    }
}

/// Writes `report` in `format` into a new buffer.
pub fn render_to_vec(report: &model::Report, format: Format) -> Result<Vec<u8>, RenderError> {
    let mut out = Vec::new();
    render(report, format, &mut out)?;
    Ok(out)
}

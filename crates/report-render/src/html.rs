//! HTML (being written).

use std::io::Write;

use crate::RenderError;
use crate::model::Report;

pub(crate) fn write(report: &Report, out: &mut dyn Write) -> Result<(), RenderError> {
    let _ = (report, out);
    Err(RenderError::Unsupported("html"))
}

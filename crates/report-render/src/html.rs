//! HTML: one self-contained page, also printable on A4.
//!
//! No script, no external resource or URL of any kind (styles inline, charts as inline `<svg>`,
//! the reader's own fonts). The markup is also well-formed XML (void elements closed with `/>`,
//! only the five XML entities), so that it can be checked with an XML reader. Numbers are printed
//! the Vietnamese way ([`crate::numbers`]): `1.234`, `4,5`, `87,5%`.
//!
//! Layout: the issuing unit (superior and unit upper-cased, then `*`) on the left and
//! "ĐẢNG CỘNG SẢN VIỆT NAM" with the place-and-date line on the right, the title and the period,
//! the summary facts, each section as a table (header repeated on each printed page, rows never
//! split across pages, numbers right-aligned, the totals row in bold), the charts, the notes, the
//! signature block when there is one, and when the file was generated.

use std::fmt::Write as _;
use std::io::Write;

use crate::RenderError;
use crate::chart;
use crate::model::{ColumnKind, Report, Section};
use crate::numbers::{is_numeric, place_and_date, print_cell, vn_datetime};

/// The Party's name, printed at the top right of every report.
pub const PARTY: &str = "ĐẢNG CỘNG SẢN VIỆT NAM";

const STYLE: &str = r#"
@page { size: A4; margin: 20mm 15mm 20mm 30mm; }
* { box-sizing: border-box; }
body { font-family: "Times New Roman", "DejaVu Serif", serif; font-size: 13pt; line-height: 1.35; color: #000; background: #fff; max-width: 210mm; margin: 0 auto; padding: 12mm 15mm 12mm 20mm; }
@media print { body { max-width: none; padding: 0; } }
.doc-header { display: flex; justify-content: space-between; align-items: flex-start; gap: 8mm; }
.issuer, .party { text-align: center; }
.issuer .unit { font-weight: bold; }
.party-name { font-weight: bold; display: inline-block; border-bottom: 1px solid #000; padding-bottom: 1pt; }
.place-date { font-style: italic; margin-top: 8pt; }
h1 { text-align: center; font-size: 15pt; margin: 18pt 0 2pt; }
.period { text-align: center; margin: 0 0 12pt; font-weight: bold; }
h2 { font-size: 13pt; margin: 14pt 0 6pt; }
table { border-collapse: collapse; width: 100%; font-size: 11pt; }
th, td { border: 1px solid #444; padding: 2pt 4pt; vertical-align: top; }
th { background: #eee; text-align: center; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.date { text-align: center; white-space: nowrap; }
.totals td { font-weight: bold; }
table.facts { width: auto; min-width: 50%; }
table.facts th { text-align: left; background: none; font-weight: normal; }
figure { margin: 12pt 0; break-inside: avoid; page-break-inside: avoid; text-align: center; }
figure svg { max-width: 100%; height: auto; }
.note p { margin: 0 0 6pt; text-align: justify; }
.signature { width: 50%; margin: 18pt 0 0 auto; text-align: center; break-inside: avoid; page-break-inside: avoid; }
.signature p { margin: 0; font-weight: bold; }
.sign-space { height: 25mm; }
.meta { margin-top: 18pt; font-size: 9pt; color: #555; }
"#;

/// Escapes text for an element's content or a quoted attribute.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and line breaks are not allowed in XML.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A paragraph's text with its line breaks kept.
fn lines(s: &str) -> String {
    s.lines().map(escape).collect::<Vec<_>>().join("<br/>")
}

fn class(kind: ColumnKind) -> &'static str {
    match kind {
        ColumnKind::Integer | ColumnKind::Decimal | ColumnKind::Percent => " class=\"num\"",
        ColumnKind::Date => " class=\"date\"",
        ColumnKind::Text => "",
    }
}

pub(crate) fn write(report: &Report, out: &mut dyn Write) -> Result<(), RenderError> {
    let page = page(report)?;
    out.write_all(page.as_bytes())?;
    Ok(())
}

fn page(report: &Report) -> Result<String, RenderError> {
    let mut h = String::with_capacity(64 * 1024);
    let title = escape(&report.title);
    // Writing to a String cannot fail.
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\"/>\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <title>{title} — {} — {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        escape(&report.unit_name),
        escape(&report.period_label)
    );

    h.push_str("<header class=\"doc-header\">\n<div class=\"issuer\">\n");
    if let Some(superior) = &report.superior_name {
        let _ = writeln!(h, "<div class=\"superior\">{}</div>", escape(&superior.to_uppercase()));
    }
    let _ = write!(
        h,
        "<div class=\"unit\">{}</div>\n<div>*</div>\n</div>\n<div class=\"party\">\n<div class=\"party-name\">{PARTY}</div>\n\
         <div class=\"place-date\">{}</div>\n</div>\n</header>\n",
        escape(&report.unit_name.to_uppercase()),
        escape(&place_and_date(report))
    );
    let _ = write!(h, "<h1>{}</h1>\n<p class=\"period\">{}</p>\n", escape(&report.title.to_uppercase()), escape(&report.period_label));

    if !report.summary.is_empty() {
        h.push_str("<table class=\"facts\">\n<tbody>\n");
        for fact in &report.summary {
            let num = if is_numeric(&fact.value) { " class=\"num\"" } else { "" };
            let _ =
                writeln!(h, "<tr><th scope=\"row\">{}</th><td{num}>{}</td></tr>", escape(&fact.label), escape(&print_cell(&fact.value)));
        }
        h.push_str("</tbody>\n</table>\n");
    }

    for section in &report.sections {
        section_table(&mut h, section);
    }

    for c in &report.charts {
        let _ = writeln!(h, "<figure class=\"chart\">\n{}\n</figure>", chart::svg(c)?);
    }

    for note in &report.notes {
        let _ = writeln!(h, "<section class=\"note\">\n<h2>{}</h2>\n<p>{}</p>\n</section>", escape(&note.heading), lines(&note.text));
    }

    if let Some(sig) = &report.signature {
        let _ = write!(
            h,
            "<div class=\"signature\">\n<p>{}</p>\n<p>{}</p>\n<div class=\"sign-space\"></div>\n",
            escape(&sig.on_behalf),
            escape(&sig.title)
        );
        if let Some(name) = &sig.name {
            let _ = writeln!(h, "<p>{}</p>", escape(name));
        }
        h.push_str("</div>\n");
    }

    let _ = write!(
        h,
        "<p class=\"meta\">Lập lúc {} (giờ Việt Nam); số liệu tính đến {}.</p>\n</body>\n</html>\n",
        escape(&vn_datetime(report.generated_at)),
        escape(&vn_datetime(report.data_cutoff))
    );
    Ok(h)
}

fn section_table(h: &mut String, section: &Section) {
    let _ = write!(h, "<section class=\"table\">\n<h2>{}</h2>\n<table class=\"data\">\n<thead>\n<tr>", escape(&section.title));
    for column in &section.columns {
        let _ = write!(h, "<th scope=\"col\">{}</th>", escape(&column.header));
    }
    h.push_str("</tr>\n</thead>\n<tbody>\n");
    let rows = section.rows.iter().map(|r| (r, false)).chain(section.totals.iter().map(|r| (r, true)));
    for (row, totals) in rows {
        h.push_str(if totals { "<tr class=\"totals\">" } else { "<tr>" });
        for (i, cell) in row.iter().enumerate() {
            let class = section.columns.get(i).map_or("", |c| class(c.kind));
            let _ = write!(h, "<td{class}>{}</td>", escape(&print_cell(cell)));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n</section>\n");
}

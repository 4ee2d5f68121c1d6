//! PDF: the printed, signed document, A4 portrait.
//!
//! Written with krilla, with DejaVu Sans (regular and bold, `fonts/`, Bitstream Vera licence)
//! embedded as subsets with ToUnicode maps, so that the Vietnamese text can be searched and
//! copied. Layout, top to bottom:
//!
//! - top left: the superior's name (if any) and the unit's name upper-cased, then `*`; top
//!   right: "ĐẢNG CỘNG SẢN VIỆT NAM" in bold, underlined, then the place-and-date line;
//! - the title upper-cased in bold, centred, and the period;
//! - the summary facts as "label: value" lines;
//! - each section: its title in bold, then a table with a header row repeated on each new page,
//!   rows never split across pages, numbers right-aligned, the totals row in bold;
//! - the notes (a bold heading, then the wrapped text);
//! - the signature block on the right: on behalf of, the title, 25 mm to sign, the name;
//! - "Trang n/N" at the bottom of every page.
//!
//! Charts are not drawn in the PDF (they are in the HTML). Numbers are printed the Vietnamese
//! way ([`crate::numbers`]). Table text is 10 pt, shrunk to 9, 8 or 7 pt for wide tables (many
//! columns, e.g. the member year sheet): the largest size at which every value and header fits
//! on one line, else the largest at which every value does (headers wrap), else the largest at
//! which every word does (text wraps within its column; a word wider than its column is broken).
//! The document's creation date is the report's `generated_at` and its ID a hash of the content,
//! so the same report gives the same bytes.

use std::io::Write;

use chrono::{Datelike, Timelike};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

use crate::RenderError;
use crate::html::PARTY;
use crate::model::{Cell, ColumnKind, Report, Section};
use crate::numbers::{place_and_date, print_cell};

static REGULAR: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

/// Points per millimetre.
const MM: f32 = 72.0 / 25.4;
const PAGE_W: f32 = 210.0 * MM;
const PAGE_H: f32 = 297.0 * MM;
const LEFT: f32 = 25.0 * MM;
const RIGHT: f32 = PAGE_W - 15.0 * MM;
const WIDTH: f32 = RIGHT - LEFT;
const TOP: f32 = 20.0 * MM;
/// The lowest point the content may reach (the page number goes below).
const BOTTOM: f32 = PAGE_H - 20.0 * MM;
/// The page number's baseline.
const FOOTER: f32 = PAGE_H - 12.0 * MM;

const BODY: f32 = 11.0;
const TITLE: f32 = 14.0;
/// Table text sizes, tried in order.
const TABLE_SIZES: [f32; 4] = [10.0, 9.0, 8.0, 7.0];
/// A cell's inner margins.
const PAD_X: f32 = 3.0;
const PAD_Y: f32 = 2.5;
/// DejaVu Sans' ascender, as a share of the size.
const ASCENT: f32 = 0.93;
const LEADING: f32 = 1.25;

fn err<E: std::fmt::Debug>(e: E) -> RenderError {
    RenderError::Write(format!("PDF: {e:?}"))
}

/// The two faces: krilla's fonts to draw, ttf-parser's to measure.
struct Fonts {
    draw: [Font; 2],
    measure: [ttf_parser::Face<'static>; 2],
}

impl Fonts {
    fn load() -> Result<Fonts, RenderError> {
        let font =
            |data: &'static [u8]| Font::new(data.into(), 0).ok_or_else(|| RenderError::Write("PDF: the font cannot be read".to_owned()));
        let face = |data: &'static [u8]| ttf_parser::Face::parse(data, 0).map_err(err);
        Ok(Fonts { draw: [font(REGULAR)?, font(BOLD)?], measure: [face(REGULAR)?, face(BOLD)?] })
    }

    /// The advance width of `text` at `size` (no kerning: a little wider than drawn, never
    /// narrower in practice).
    fn width(&self, bold: bool, size: f32, text: &str) -> f32 {
        let face = &self.measure[usize::from(bold)];
        let units: u32 = text
            .chars()
            .map(|c| face.glyph_index(c).or_else(|| face.glyph_index('?')).and_then(|g| face.glyph_hor_advance(g)).map_or(0, u32::from))
            .sum();
        units as f32 * size / f32::from(face.units_per_em())
    }

    /// `text` broken into lines of at most `width`: at spaces, and within a word too wide alone.
    /// Line breaks in the text are kept.
    fn wrap(&self, bold: bool, size: f32, text: &str, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split_whitespace() {
                let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
                if self.width(bold, size, &candidate) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // The word alone: broken where it must.
                for c in word.chars() {
                    line.push(c);
                    if self.width(bold, size, &line) > width && line.chars().count() > 1 {
                        line.pop();
                        lines.push(std::mem::take(&mut line));
                        line.push(c);
                    }
                }
            }
            lines.push(line);
        }
        lines
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Align {
    Left,
    Center,
    Right,
}

/// What is drawn on a page.
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
    },
    /// Line segments (x1, y1, x2, y2), stroked together.
    Lines {
        segments: Vec<[f32; 4]>,
        width: f32,
    },
    /// A light grey rectangle (table header background).
    Shade {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

/// Lays the document out into pages of [`Op`]s.
struct Layout<'a> {
    fonts: &'a Fonts,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl<'a> Layout<'a> {
    fn new(fonts: &'a Fonts) -> Layout<'a> {
        Layout { fonts, pages: vec![Vec::new()], y: TOP }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Starts a new page unless `height` still fits on this one.
    fn ensure(&mut self, height: f32) -> bool {
        if self.y + height > BOTTOM && self.y > TOP {
            self.new_page();
            true
        } else {
            false
        }
    }

    /// One line of text (size, bold) with its baseline at `y`, placed in [x, x + width].
    fn text_at(&mut self, x: f32, width: f32, y: f32, (size, bold): (f32, bool), align: Align, text: &str) {
        let w = self.fonts.width(bold, size, text);
        let x = match align {
            Align::Left => x,
            Align::Center => x + (width - w) / 2.0,
            Align::Right => x + width - w,
        };
        if !text.is_empty() {
            self.ops().push(Op::Text { x, y, size, bold, text: text.to_owned() });
        }
    }

    /// A wrapped paragraph in [x, x + width] from the current position; returns its lines'
    /// widths' maximum.
    fn paragraph(&mut self, x: f32, width: f32, size: f32, bold: bool, align: Align, text: &str) -> f32 {
        let lh = size * LEADING;
        let mut widest: f32 = 0.0;
        for line in self.fonts.wrap(bold, size, text, width) {
            self.ensure(lh);
            self.text_at(x, width, self.y + size * ASCENT, (size, bold), align, &line);
            widest = widest.max(self.fonts.width(bold, size, &line));
            self.y += lh;
        }
        widest
    }

    fn gap(&mut self, h: f32) {
        self.y += h;
    }
}

fn header(l: &mut Layout<'_>, report: &Report) {
    let left_w = WIDTH * 0.45;
    let right_x = LEFT + left_w;
    let right_w = WIDTH - left_w;
    let top = l.y;
    if let Some(superior) = &report.superior_name {
        l.paragraph(LEFT, left_w, BODY, false, Align::Center, &superior.to_uppercase());
    }
    l.paragraph(LEFT, left_w, BODY, true, Align::Center, &report.unit_name.to_uppercase());
    l.paragraph(LEFT, left_w, BODY, false, Align::Center, "*");
    let left_end = l.y;

    l.y = top;
    let widest = l.paragraph(right_x, right_w, BODY + 0.5, true, Align::Center, PARTY);
    // The Party's name is underlined.
    let mid = right_x + right_w / 2.0;
    let underline = [mid - widest / 2.0, l.y - 1.0, mid + widest / 2.0, l.y - 1.0];
    l.ops().push(Op::Lines { segments: vec![underline], width: 0.6 });
    l.gap(6.0);
    l.paragraph(right_x, right_w, BODY, false, Align::Center, &place_and_date(report));
    l.y = l.y.max(left_end);

    l.gap(16.0);
    l.paragraph(LEFT, WIDTH, TITLE, true, Align::Center, &report.title.to_uppercase());
    l.paragraph(LEFT, WIDTH, BODY, true, Align::Center, &report.period_label);
    l.gap(10.0);
}

fn summary(l: &mut Layout<'_>, report: &Report) {
    for fact in &report.summary {
        l.paragraph(LEFT, WIDTH, BODY, false, Align::Left, &format!("{}: {}", fact.label, print_cell(&fact.value)));
    }
    if !report.summary.is_empty() {
        l.gap(8.0);
    }
}

/// A table's column widths and text size.
///
/// Three widths per column: the least (its longest word), the cells' (its widest value on one
/// line, the header may wrap) and the full one (the header on one line too). The text size is
/// the largest at which the full widths fit, else the largest at which the cells' widths fit,
/// else the largest at which the least widths fit; the spare width goes first to the columns
/// short of their cells' width, then of their full width, then to every column by its width.
fn columns(fonts: &Fonts, section: &Section) -> (f32, Vec<f32>) {
    let n = section.columns.len();
    let measure = |size: f32| {
        let mut least = vec![0.0_f32; n];
        let mut cells = vec![0.0_f32; n];
        let mut full = vec![0.0_f32; n];
        let word = |bold: bool, text: &str| text.split_whitespace().map(|w| fonts.width(bold, size, w)).fold(0.0, f32::max) + 2.0 * PAD_X;
        let mut see = |i: usize, bold: bool, text: &str| {
            cells[i] = cells[i].max(fonts.width(bold, size, text) + 2.0 * PAD_X);
            least[i] = least[i].max(word(bold, text));
        };
        for row in &section.rows {
            for (i, cell) in row.iter().enumerate().take(n) {
                see(i, false, &print_cell(cell));
            }
        }
        for row in section.totals.iter() {
            for (i, cell) in row.iter().enumerate().take(n) {
                see(i, true, &print_cell(cell));
            }
        }
        for (i, column) in section.columns.iter().enumerate() {
            least[i] = least[i].max(word(true, &column.header));
            cells[i] = cells[i].max(least[i]);
            full[i] = cells[i].max(fonts.width(true, size, &column.header) + 2.0 * PAD_X);
        }
        [least, cells, full]
    };
    let fits = |w: &[f32]| w.iter().sum::<f32>() <= WIDTH;
    let measured: Vec<(f32, [Vec<f32>; 3])> = TABLE_SIZES.iter().map(|&size| (size, measure(size))).collect();
    for level in [2, 1, 0] {
        if let Some((size, [least, cells, full])) = measured.iter().find(|(_, m)| fits(&m[level])) {
            let base = [least, cells, full][level];
            return (*size, fill(base, &[cells, full]));
        }
    }
    // Even the longest words do not fit at the smallest size: the least widths, scaled down.
    let least = measured.last().map(|(_, m)| m[0].clone()).unwrap_or_default();
    let total: f32 = least.iter().sum::<f32>().max(f32::EPSILON);
    (TABLE_SIZES[TABLE_SIZES.len() - 1], least.iter().map(|w| w * WIDTH / total).collect())
}

/// Widens `base` (which fits) towards each target in turn, then spreads what is left by width.
fn fill(base: &[f32], targets: &[&Vec<f32>]) -> Vec<f32> {
    let mut widths = base.to_vec();
    for target in targets {
        let spare = WIDTH - widths.iter().sum::<f32>();
        let short: Vec<f32> = widths.iter().zip(target.iter()).map(|(w, t)| (t - w).max(0.0)).collect();
        let need: f32 = short.iter().sum();
        if spare <= 0.0 || need <= 0.0 {
            continue;
        }
        let share = (spare / need).min(1.0);
        for (w, s) in widths.iter_mut().zip(&short) {
            *w += s * share;
        }
    }
    let spare = WIDTH - widths.iter().sum::<f32>();
    let total: f32 = widths.iter().sum::<f32>().max(f32::EPSILON);
    if spare > 0.0 {
        for w in &mut widths {
            *w += spare * *w / total;
        }
    }
    widths
}

fn align(kind: ColumnKind, cell: &Cell) -> Align {
    match (kind, cell) {
        (_, Cell::Empty) | (ColumnKind::Date, _) => Align::Center,
        (ColumnKind::Integer | ColumnKind::Decimal | ColumnKind::Percent, _) => Align::Right,
        (ColumnKind::Text, Cell::Int(_) | Cell::Decimal(_) | Cell::Percent(_)) => Align::Right,
        (ColumnKind::Text, _) => Align::Left,
    }
}

/// One table row's wrapped cells and height.
struct Row {
    cells: Vec<(Vec<String>, Align)>,
    bold: bool,
    shade: bool,
    height: f32,
}

fn table(l: &mut Layout<'_>, section: &Section) {
    l.ensure(BODY * LEADING * 4.0);
    l.paragraph(LEFT, WIDTH, BODY, true, Align::Left, &section.title);
    l.gap(3.0);
    if section.columns.is_empty() {
        return;
    }
    let (size, widths) = columns(l.fonts, section);
    let lh = size * LEADING;
    // A row never exceeds a page: its cells keep as many lines as fit.
    let max_lines = (((BOTTOM - TOP) * 0.8 - 2.0 * PAD_Y) / lh).floor().max(1.0) as usize;
    let fonts = l.fonts;
    let make_row = |texts: Vec<(String, Align)>, bold: bool, shade: bool| {
        let cells: Vec<(Vec<String>, Align)> = texts
            .into_iter()
            .zip(&widths)
            .map(|((text, align), w)| {
                let mut lines = fonts.wrap(bold, size, &text, w - 2.0 * PAD_X);
                if lines.len() > max_lines {
                    lines.truncate(max_lines);
                    if let Some(last) = lines.last_mut() {
                        last.push('…');
                    }
                }
                (lines, align)
            })
            .collect();
        let lines = cells.iter().map(|(lines, _)| lines.len()).max().unwrap_or(1).max(1);
        Row { cells, bold, shade, height: lines as f32 * lh + 2.0 * PAD_Y }
    };
    let header = make_row(section.columns.iter().map(|c| (c.header.clone(), Align::Center)).collect(), true, true);
    let cells = |row: &[Cell]| -> Vec<(String, Align)> {
        section
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| row.get(i).map_or((String::new(), Align::Left), |cell| (print_cell(cell), align(c.kind, cell))))
            .collect()
    };

    // The header and the first row stay together.
    let first = section.rows.first().or(section.totals.as_ref()).map(|r| make_row(cells(r), false, false));
    l.ensure(header.height + first.as_ref().map_or(0.0, |r| r.height));
    draw_row(l, &header, &widths, size);
    let rows = section.rows.iter().map(|r| (r, false)).chain(section.totals.iter().map(|r| (r, true)));
    for (cells_of_row, bold) in rows {
        let row = make_row(cells(cells_of_row), bold, false);
        if l.ensure(row.height) {
            draw_row(l, &header, &widths, size);
        }
        draw_row(l, &row, &widths, size);
    }
    l.gap(10.0);
}

fn draw_row(l: &mut Layout<'_>, row: &Row, widths: &[f32], size: f32) {
    let top = l.y;
    let bottom = top + row.height;
    if row.shade {
        l.ops().push(Op::Shade { x: LEFT, y: top, w: widths.iter().sum(), h: row.height });
    }
    let mut x = LEFT;
    let mut segments = vec![[LEFT, top, LEFT + widths.iter().sum::<f32>(), top], [LEFT, bottom, LEFT + widths.iter().sum::<f32>(), bottom]];
    segments.push([x, top, x, bottom]);
    for ((lines, align), w) in row.cells.iter().zip(widths) {
        for (k, line) in lines.iter().enumerate() {
            let baseline = top + PAD_Y + size * ASCENT + k as f32 * size * LEADING;
            l.text_at(x + PAD_X, w - 2.0 * PAD_X, baseline, (size, row.bold), *align, line);
        }
        x += w;
        segments.push([x, top, x, bottom]);
    }
    l.ops().push(Op::Lines { segments, width: 0.5 });
    l.y = bottom;
}

fn notes(l: &mut Layout<'_>, report: &Report) {
    for note in &report.notes {
        l.ensure(BODY * LEADING * 3.0);
        l.paragraph(LEFT, WIDTH, BODY, true, Align::Left, &note.heading);
        l.gap(2.0);
        l.paragraph(LEFT, WIDTH, BODY, false, Align::Left, &note.text);
        l.gap(8.0);
    }
}

fn signature(l: &mut Layout<'_>, report: &Report) {
    let Some(sig) = &report.signature else { return };
    let x = LEFT + WIDTH * 0.5;
    let w = WIDTH * 0.5;
    let lh = BODY * LEADING;
    l.gap(8.0);
    l.ensure(lh * 3.0 + 25.0 * MM);
    l.paragraph(x, w, BODY, true, Align::Center, &sig.on_behalf);
    l.paragraph(x, w, BODY, true, Align::Center, &sig.title);
    l.gap(25.0 * MM);
    if let Some(name) = &sig.name {
        l.paragraph(x, w, BODY, true, Align::Center, name);
    }
}

fn page_numbers(l: &mut Layout<'_>) {
    let total = l.pages.len();
    let fonts = l.fonts;
    for (i, page) in l.pages.iter_mut().enumerate() {
        let text = format!("Trang {}/{total}", i + 1);
        let w = fonts.width(false, 9.0, &text);
        page.push(Op::Text { x: LEFT + (WIDTH - w) / 2.0, y: FOOTER, size: 9.0, bold: false, text });
    }
}

fn metadata(report: &Report) -> Metadata {
    let at = report.generated_at;
    // The fields are in range by construction (month ≤ 12, hour < 24, …); a year beyond u16 is
    // clamped.
    let date = DateTime::new(u16::try_from(at.year()).unwrap_or(u16::MAX))
        .month(at.month() as u8)
        .day(at.day() as u8)
        .hour(at.hour() as u8)
        .minute(at.minute() as u8)
        .second(at.second().min(59) as u8)
        .utc_offset_hour(0)
        .utc_offset_minute(0);
    Metadata::new()
        .title(format!("{} — {} — {}", report.title, report.unit_name, report.period_label))
        .authors(vec![report.unit_name.clone()])
        .creator("report-render".to_owned())
        .language("vi".to_owned())
        .creation_date(date)
}

fn paint(surface: &mut Surface<'_>, fonts: &Fonts, ops: &[Op]) {
    for op in ops {
        match op {
            Op::Text { x, y, size, bold, text } => {
                surface.set_fill(Some(Fill::default()));
                surface.set_stroke(None);
                let font = fonts.draw[usize::from(*bold)].clone();
                surface.draw_text(Point::from_xy(*x, *y), font, *size, text, false, TextDirection::Auto);
            }
            Op::Lines { segments, width } => {
                let mut pb = PathBuilder::new();
                for [x1, y1, x2, y2] in segments {
                    pb.move_to(*x1, *y1);
                    pb.line_to(*x2, *y2);
                }
                if let Some(path) = pb.finish() {
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke { width: *width, ..Stroke::default() }));
                    surface.draw_path(&path);
                }
            }
            Op::Shade { x, y, w, h } => {
                let mut pb = PathBuilder::new();
                if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                    pb.push_rect(rect);
                }
                if let Some(path) = pb.finish() {
                    surface.set_stroke(None);
                    surface.set_fill(Some(Fill {
                        paint: rgb::Color::new(230, 230, 230).into(),
                        opacity: NormalizedF32::ONE,
                        rule: FillRule::default(),
                    }));
                    surface.draw_path(&path);
                }
            }
        }
    }
}

pub(crate) fn write(report: &Report, out: &mut dyn Write) -> Result<(), RenderError> {
    let fonts = Fonts::load()?;
    let mut l = Layout::new(&fonts);
    header(&mut l, report);
    summary(&mut l, report);
    for section in &report.sections {
        table(&mut l, section);
    }
    notes(&mut l, report);
    signature(&mut l, report);
    page_numbers(&mut l);

    let mut document = Document::new();
    document.set_metadata(metadata(report));
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| RenderError::Write("PDF: page size".to_owned()))?;
    for ops in &l.pages {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        paint(&mut surface, &fonts, ops);
        surface.finish();
        page.finish();
    }
    let bytes = document.finish().map_err(err)?;
    out.write_all(&bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_word_and_fits() {
        let fonts = Fonts::load().unwrap();
        let text = "Chi bộ thống nhất: tiếp tục vận động đảng viên Lê Thị Ánh Tuyết hoàn thành chương trình học tập\nBiểu quyết";
        let lines = fonts.wrap(false, 10.0, text, 120.0);
        assert!(lines.len() > 3);
        assert!(lines.iter().all(|l| fonts.width(false, 10.0, l) <= 120.0));
        assert_eq!(lines.last().map(String::as_str), Some("Biểu quyết"));
        assert_eq!(lines.join(" ").split_whitespace().collect::<Vec<_>>(), text.split_whitespace().collect::<Vec<_>>());
        // A word wider than the column is broken.
        let long = fonts.wrap(true, 10.0, "Đảngviênchínhthứcđãhoànthành", 40.0);
        assert!(long.len() > 1 && long.concat() == "Đảngviênchínhthứcđãhoànthành");
        assert!(fonts.width(true, 10.0, "Đ") > fonts.width(false, 10.0, "i"));
    }
}

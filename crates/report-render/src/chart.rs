//! Charts as SVG, drawn with plotters' SVG backend.
//!
//! Plotters is used without any font backend: its built-in estimate of text sizes places the
//! labels, and the SVG carries the text as `<text>` elements that the browser draws with its own
//! sans-serif font (Vietnamese included). The `xmlns` attribute is dropped, as inline SVG in
//! HTML5 does not need it (and the page holds no URL at all).

use plotters::coord::ranged1d::{IntoSegmentedCoord, SegmentValue};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::RenderError;
use crate::model::{Chart, Series};
use crate::numbers::print_cell;

/// The drawing's size in pixels.
const SIZE: (u32, u32) = (720, 340);

const COLORS: [RGBColor; 6] = [
    RGBColor(0xc6, 0x28, 0x28),
    RGBColor(0x15, 0x65, 0xc0),
    RGBColor(0x2e, 0x7d, 0x32),
    RGBColor(0xef, 0x6c, 0x00),
    RGBColor(0x6a, 0x1b, 0x9a),
    RGBColor(0x00, 0x83, 0x8f),
];

fn color(i: usize) -> RGBColor {
    COLORS[i % COLORS.len()]
}

fn err<E: std::fmt::Display>(e: E) -> RenderError {
    RenderError::Write(format!("chart: {e}"))
}

/// The chart as one `<svg>` element.
pub(crate) fn svg(chart: &Chart) -> Result<String, RenderError> {
    let mut out = String::new();
    match chart {
        Chart::Line { title, x_labels, series, percent } => line(&mut out, title, x_labels, series, *percent)?,
        Chart::Bar { title, labels, values } => bar(&mut out, title, labels, values)?,
    }
    Ok(out.replacen(r#" xmlns="http://www.w3.org/2000/svg""#, "", 1))
}

/// A value on the y axis, printed the Vietnamese way.
fn y_label(v: f64, percent: bool) -> String {
    if percent {
        format!("{}%", print_cell(&crate::model::Cell::Int((v * 100.0).round() as i64)))
    } else if v.fract() == 0.0 {
        print_cell(&crate::model::Cell::Int(v as i64))
    } else {
        print_cell(&crate::model::Cell::Decimal(v))
    }
}

fn upper_bound(values: impl Iterator<Item = f64>) -> f64 {
    let max = values.filter(|v| v.is_finite()).fold(0.0_f64, f64::max);
    if max > 0.0 { max * 1.15 } else { 1.0 }
}

fn x_label(labels: &[String], v: &SegmentValue<i32>) -> String {
    match v {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
            usize::try_from(*i).ok().and_then(|i| labels.get(i)).cloned().unwrap_or_default()
        }
        SegmentValue::Last => String::new(),
    }
}

fn line(out: &mut String, title: &str, x_labels: &[String], series: &[Series], percent: bool) -> Result<(), RenderError> {
    let n = i32::try_from(x_labels.len().max(1)).map_err(err)?;
    let top = if percent { 1.0 } else { upper_bound(series.iter().flat_map(|s| s.values.iter().flatten().copied())) };
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(56)
        .build_cartesian_2d((0..n - 1).into_segmented(), 0.0..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(x_labels.len().max(1))
        .x_label_formatter(&|v| x_label(x_labels, v))
        .y_labels(6)
        .y_label_formatter(&|v| y_label(*v, percent))
        .draw()
        .map_err(err)?;
    for (i, s) in series.iter().enumerate() {
        let style = color(i).stroke_width(2);
        // A missing value breaks the line: one run of points per stretch of values.
        let mut runs: Vec<Vec<(SegmentValue<i32>, f64)>> = vec![Vec::new()];
        for (x, v) in s.values.iter().enumerate() {
            match (v, i32::try_from(x)) {
                (Some(v), Ok(x)) if v.is_finite() => {
                    runs.iter_mut().last().into_iter().for_each(|r| r.push((SegmentValue::CenterOf(x), *v)))
                }
                _ => runs.push(Vec::new()),
            }
        }
        runs.retain(|r| !r.is_empty());
        for (k, run) in runs.iter().enumerate() {
            let drawn = chart.draw_series(LineSeries::new(run.iter().cloned(), style)).map_err(err)?;
            if k == 0 {
                let c = color(i);
                drawn.label(s.name.as_str()).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
            }
            chart.draw_series(run.iter().map(|p| Circle::new(p.clone(), 3, color(i).filled()))).map_err(err)?;
        }
    }
    if !series.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font(("sans-serif", 13))
            .draw()
            .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

fn bar(out: &mut String, title: &str, labels: &[String], values: &[f64]) -> Result<(), RenderError> {
    let n = i32::try_from(labels.len().max(values.len()).max(1)).map_err(err)?;
    let top = upper_bound(values.iter().copied());
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(56)
        .build_cartesian_2d((0..n - 1).into_segmented(), 0.0..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(labels.len().max(1))
        .x_label_formatter(&|v| x_label(labels, v))
        .y_labels(6)
        .y_label_formatter(&|v| y_label(*v, false))
        .draw()
        .map_err(err)?;
    let bars = values.iter().enumerate().filter(|(_, v)| v.is_finite()).filter_map(|(i, v)| Some((i32::try_from(i).ok()?, *v)));
    chart
        .draw_series(bars.clone().map(|(i, v)| {
            let mut bar = Rectangle::new([(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), v)], color(0).filled());
            bar.set_margin(0, 0, 12, 12);
            bar
        }))
        .map_err(err)?;
    chart
        .draw_series(bars.map(|(i, v)| {
            Text::new(
                y_label(v, false),
                (SegmentValue::CenterOf(i), v),
                ("sans-serif", 13).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Bottom)),
            )
        }))
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_and_empty_charts_draw() {
        let one = Chart::Bar { title: "Một cột".to_owned(), labels: vec!["Tất cả".to_owned()], values: vec![3.0] };
        let svg = svg(&one).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("Tất cả") && !svg.contains("xmlns"));
        let empty = Chart::Line { title: "Trống".to_owned(), x_labels: vec![], series: vec![], percent: false };
        assert!(svg_ok(&empty));
        let zeros = Chart::Bar { title: "0".to_owned(), labels: vec!["a".to_owned(), "b".to_owned()], values: vec![0.0, f64::NAN] };
        assert!(svg_ok(&zeros));
    }

    fn svg_ok(c: &Chart) -> bool {
        svg(c).is_ok_and(|s| s.starts_with("<svg") && s.trim_end().ends_with("</svg>"))
    }
}

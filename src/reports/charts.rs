//! Server-side SVG charts for the monthly SLA report.
//!
//! Every chart is a pure function from report numbers to an SVG document
//! meant to be inlined into the report page. The output never carries a
//! `style` attribute, a `<style>` element or script, so it renders under a
//! strict `style-src 'self'` Content-Security-Policy; presentation is done
//! with SVG presentation attributes only. Each document has `role="img"`, an
//! `aria-label`, a `<title>` and a `<desc>` summarising the numbers, because a
//! screen reader cannot read bars.
//!
//! Inputs are never trusted to be tidy: empty slices, zeros, huge values and
//! even non-finite floats render a chart (possibly saying "no data") instead
//! of panicking.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One month of the compliance trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendPoint {
    /// The month as shown on the x axis, e.g. "Nov 2026".
    pub label: String,
    /// Share of decided response clocks that met their target, 0–100;
    /// `None` when no response clock was decided that month.
    pub response: Option<f64>,
    /// Share of decided fix-start clocks that met their target, 0–100;
    /// `None` when no fix-start clock was decided that month.
    pub fix_start: Option<f64>,
}

/// Clock outcomes for one severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeBar {
    /// The severity as shown on the x axis, e.g. "critical".
    pub label: String,
    /// Clocks that met their target.
    pub met: u32,
    /// Clocks that breached their target.
    pub breached: u32,
    /// Clocks not yet decided.
    pub pending: u32,
}

/// A chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[error("chart rendering failed: {0}")]
pub struct ChartError(String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(err: DrawingAreaErrorKind<E>) -> Self {
        Self(err.to_string())
    }
}

const WIDTH: u32 = 640;
const HEIGHT: u32 = 280;
const FONT: &str = "sans-serif";
/// Room above the plot for the title and the legend row.
const HEADER: u32 = 54;

// Blue/orange and green/red/grey are the ColorBrewer diverging ends, chosen
// because they stay distinguishable under the common colour-vision deficiencies.
const RESPONSE: RGBColor = RGBColor(0x21, 0x66, 0xac);
const FIX_START: RGBColor = RGBColor(0xe0, 0x82, 0x14);
const TARGET: RGBColor = RGBColor(0x4d, 0x4d, 0x4d);
const MET: RGBColor = RGBColor(0x1b, 0x78, 0x37);
const BREACHED: RGBColor = RGBColor(0xb2, 0x18, 0x2b);
const PENDING: RGBColor = RGBColor(0x99, 0x99, 0x99);
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const AXIS: RGBColor = RGBColor(0x66, 0x66, 0x66);
const GRID: RGBColor = RGBColor(0xe6, 0xe6, 0xe6);

/// Beyond this, values are clamped so that axis arithmetic stays finite
/// (about 1.9 million years of business minutes).
const MAX_MAGNITUDE: f64 = 1e12;
/// More causes than this are folded into one "other" bar to keep the chart legible.
const MAX_CAUSES: usize = 10;
const MAX_LABEL_CHARS: usize = 32;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Line chart of monthly compliance for the response and fix-start clocks,
/// with an optional dashed target line. Months without decided clocks are
/// gaps in the line, not zeros.
pub fn compliance_trend(
    points: &[TrendPoint],
    target_percent: Option<f64>,
) -> Result<String, ChartError> {
    const TITLE: &str = "SLA compliance by month";
    let labels: Vec<String> = points.iter().map(|p| clean(&p.label)).collect();
    let response: Vec<Option<f64>> = points.iter().map(|p| percent(p.response)).collect();
    let fix_start: Vec<Option<f64>> = points.iter().map(|p| percent(p.fix_start)).collect();
    let target = percent(target_percent);

    let mut legend = vec![
        Legend { label: "Response".into(), swatch: Swatch::Line(RESPONSE, Marker::Circle) },
        Legend { label: "Fix start".into(), swatch: Swatch::Line(FIX_START, Marker::Triangle) },
    ];
    if let Some(t) = target {
        legend.push(Legend { label: format!("Target {}%", number(t)), swatch: Swatch::Dashed });
    }

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        header(&root, TITLE, &legend)?;
        let n = labels.len().max(1);
        let mut chart = ChartBuilder::on(&plot_area(&root))
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(
                category_axis(n),
                Ticks::new(0.0..104.0, vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]),
            )?;
        let x_label = |v: &f64| category_label(&labels, *v);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(GRID)
            .axis_style(AXIS)
            .label_style(text_style(11.0))
            .axis_desc_style(text_style(12.0))
            .x_label_formatter(&x_label)
            .y_label_formatter(&|v: &f64| format!("{v:.0}%"))
            .x_desc("Month")
            .y_desc("Clocks met (%)")
            .draw()?;

        if let Some(t) = target {
            let right = n as f64 - 0.5;
            chart.draw_series(DashedLineSeries::new(
                [(-0.5, t), (right, t)],
                6,
                4,
                TARGET.stroke_width(1),
            ))?;
        }
        for (values, colour, marker) in
            [(&response, RESPONSE, Marker::Circle), (&fix_start, FIX_START, Marker::Triangle)]
        {
            for run in runs(values) {
                chart.draw_series(LineSeries::new(run.iter().copied(), colour.stroke_width(2)))?;
            }
            // Markers keep a month that sits between two gaps visible; a
            // one-point line would draw nothing.
            let coords = runs(values).into_iter().flatten();
            match marker {
                Marker::Circle => {
                    chart.draw_series(coords.map(|c| Circle::new(c, 3, colour.filled())))?;
                }
                Marker::Triangle => {
                    chart
                        .draw_series(coords.map(|c| TriangleMarker::new(c, 4, colour.filled())))?;
                }
            }
        }
        if response.iter().chain(&fix_start).all(Option::is_none) {
            chart.draw_series(std::iter::once(note("no data", ((n as f64 - 1.0) / 2.0, 52.0))))?;
        }
        root.present()?;
    }

    let series = |name: &str, values: &[Option<f64>]| {
        let months: Vec<String> = labels
            .iter()
            .zip(values)
            .map(|(label, v)| match v {
                Some(v) => format!("{label} {}%", number(*v)),
                None => format!("{label} no data"),
            })
            .collect();
        format!("{name}: {}.", if months.is_empty() { "no data".into() } else { months.join(", ") })
    };
    let mut desc = format!("{} {}", series("Response", &response), series("Fix start", &fix_start));
    if let Some(t) = target {
        desc.push_str(&format!(" Target: {}%.", number(t)));
    }
    finish(&svg, TITLE, &desc)
}

/// Stacked bars of met, breached and pending clocks per severity.
pub fn outcomes_by_severity(rows: &[OutcomeBar]) -> Result<String, ChartError> {
    const TITLE: &str = "Clock outcomes by severity";
    let labels: Vec<String> = rows.iter().map(|r| clean(&r.label)).collect();
    let totals: Vec<u64> = rows
        .iter()
        .map(|r| u64::from(r.met) + u64::from(r.breached) + u64::from(r.pending))
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0);
    let legend = [
        Legend { label: "Met".into(), swatch: Swatch::Block(MET) },
        Legend { label: "Breached".into(), swatch: Swatch::Block(BREACHED) },
        Legend { label: "Pending".into(), swatch: Swatch::Block(PENDING) },
    ];

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        header(&root, TITLE, &legend)?;
        let n = labels.len().max(1);
        let top = count_top(max);
        let mut chart = ChartBuilder::on(&plot_area(&root))
            .x_label_area_size(40)
            .y_label_area_size(count_label_width(top))
            .build_cartesian_2d(category_axis(n), 0u64..top)?;
        let x_label = |v: &f64| category_label(&labels, *v);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .axis_style(AXIS)
            .label_style(text_style(11.0))
            .axis_desc_style(text_style(12.0))
            .x_label_formatter(&x_label)
            .x_desc("Severity")
            .y_desc("Clocks")
            .draw()?;

        for (i, row) in rows.iter().enumerate() {
            let x = i as f64;
            let mut base = 0u64;
            for (count, colour) in
                [(row.met, MET), (row.breached, BREACHED), (row.pending, PENDING)]
            {
                if count == 0 {
                    continue;
                }
                let next = base + u64::from(count);
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.3, base), (x + 0.3, next)],
                    colour.filled(),
                )))?;
                base = next;
            }
            chart.draw_series(std::iter::once(
                EmptyElement::at((x, base))
                    + Text::new(base.to_string(), (0, -4), text_style(11.0).pos(BOTTOM_CENTRE)),
            ))?;
        }
        if max == 0 {
            chart.draw_series(std::iter::once(note("no data", ((n as f64 - 1.0) / 2.0, 0))))?;
        }
        root.present()?;
    }

    let desc = if rows.is_empty() {
        "No clocks.".to_owned()
    } else {
        let parts: Vec<String> = labels
            .iter()
            .zip(rows)
            .map(|(l, r)| {
                format!("{l}: {} met, {} breached, {} pending", r.met, r.breached, r.pending)
            })
            .collect();
        format!("{}.", parts.join("; "))
    };
    finish(&svg, TITLE, &desc)
}

/// Histogram of business minutes to first response, with the target as a
/// labelled vertical line.
pub fn response_histogram(
    minutes: &[f64],
    target_minutes: Option<f64>,
) -> Result<String, ChartError> {
    const TITLE: &str = "Business minutes to first response";
    let values: Vec<f64> =
        minutes.iter().filter(|v| v.is_finite()).map(|v| v.clamp(0.0, MAX_MAGNITUDE)).collect();
    let target = target_minutes.filter(|t| t.is_finite() && *t > 0.0).map(|t| t.min(MAX_MAGNITUDE));
    let bins = Bins::new(&values, target);
    let max = bins.counts.iter().copied().max().unwrap_or(0);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let legend = [Legend { label: "Responses".into(), swatch: Swatch::Block(RESPONSE) }];
        header(&root, TITLE, &legend)?;
        let top = count_top(max);
        let edges: Vec<f64> = (0..=bins.counts.len()).map(|i| bins.edge(i)).collect();
        let right = bins.edge(bins.counts.len());
        let mut chart = ChartBuilder::on(&plot_area(&root))
            .x_label_area_size(40)
            .y_label_area_size(count_label_width(top))
            .build_cartesian_2d(Ticks::new(0.0..right, edges), 0u64..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .axis_style(AXIS)
            .label_style(text_style(11.0))
            .axis_desc_style(text_style(12.0))
            .x_label_formatter(&|v: &f64| number(*v))
            .x_desc("Business minutes")
            .y_desc("Responses")
            .draw()?;

        chart.draw_series(bins.counts.iter().enumerate().filter(|(_, c)| **c > 0).map(
            |(i, c)| {
                let mut bar =
                    Rectangle::new([(bins.edge(i), 0), (bins.edge(i + 1), *c)], RESPONSE.filled());
                bar.set_margin(0, 0, 1, 1);
                bar
            },
        ))?;
        if let Some(t) = target {
            chart.draw_series(DashedLineSeries::new(
                [(t, 0), (t, top)],
                6,
                4,
                TARGET.stroke_width(2),
            ))?;
            chart.draw_series(std::iter::once(
                EmptyElement::at((t, top))
                    + Text::new("target", (4, 2), text_style(11.0).pos(TOP_LEFT)),
            ))?;
        }
        if values.is_empty() {
            chart.draw_series(std::iter::once(note("no data", (right / 2.0, 0))))?;
        }
        root.present()?;
    }

    let mut desc = if values.is_empty() {
        "No responses.".to_owned()
    } else {
        let parts: Vec<String> = bins
            .counts
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{}–{} min: {c}", number(bins.edge(i)), number(bins.edge(i + 1))))
            .collect();
        format!("{}.", parts.join(", "))
    };
    if let Some(t) = target {
        desc.push_str(&format!(" Target: {} min.", number(t)));
    }
    finish(&svg, TITLE, &desc)
}

/// Horizontal Pareto bars of breach causes, largest first. Zero counts are
/// left out; an empty chart says "no breaches".
pub fn causes(rows: &[(String, u32)]) -> Result<String, ChartError> {
    const TITLE: &str = "Breach causes";
    let mut sorted: Vec<(String, u64)> =
        rows.iter().filter(|(_, c)| *c > 0).map(|(l, c)| (clean(l), u64::from(*c))).collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if sorted.len() > MAX_CAUSES {
        let rest = sorted.split_off(MAX_CAUSES - 1);
        let count = rest.iter().map(|(_, c)| c).sum();
        sorted.push((format!("other ({} causes)", rest.len()), count));
    }
    let max = sorted.iter().map(|(_, c)| *c).max().unwrap_or(0);
    let m = sorted.len().max(1);
    let height = HEIGHT.max(HEADER + 60 + 26 * m as u32);
    let widest = sorted.iter().map(|(l, _)| text_px(l, 11.0)).max().unwrap_or(0);
    let label_width = (widest + 16).clamp(60, 240);

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE)?;
        header(&root, TITLE, &[])?;
        let top = count_top(max);
        let mut chart = ChartBuilder::on(&plot_area(&root))
            .x_label_area_size(40)
            .y_label_area_size(label_width)
            .build_cartesian_2d(0u64..top, category_axis(m))?;
        // The largest cause goes on top, so row i sits at y = m - 1 - i.
        let y_label = |v: &f64| {
            let row = (m as f64 - 1.0 - v.round()).round();
            category_label_ref(sorted.iter().map(|(l, _)| l.as_str()), row)
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .bold_line_style(GRID)
            .light_line_style(WHITE)
            .axis_style(AXIS)
            .label_style(text_style(11.0))
            .axis_desc_style(text_style(12.0))
            .y_label_formatter(&y_label)
            .x_desc("Breaches")
            .draw()?;

        for (i, (_, count)) in sorted.iter().enumerate() {
            let y = (m - 1 - i) as f64;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0, y - 0.3), (*count, y + 0.3)],
                BREACHED.filled(),
            )))?;
            chart.draw_series(std::iter::once(
                EmptyElement::at((*count, y))
                    + Text::new(count.to_string(), (4, 0), text_style(11.0).pos(CENTRE_LEFT)),
            ))?;
        }
        if sorted.is_empty() {
            chart.draw_series(std::iter::once(note("no breaches", (top / 2, 0.0))))?;
        }
        root.present()?;
    }

    let desc = if sorted.is_empty() {
        "No breaches.".to_owned()
    } else {
        let parts: Vec<String> = sorted.iter().map(|(l, c)| format!("{l}: {c}")).collect();
        format!("{}.", parts.join(", "))
    };
    finish(&svg, TITLE, &desc)
}

const TOP_LEFT: Pos = Pos { h_pos: HPos::Left, v_pos: VPos::Top };
const CENTRE_LEFT: Pos = Pos { h_pos: HPos::Left, v_pos: VPos::Center };
const CENTRE: Pos = Pos { h_pos: HPos::Center, v_pos: VPos::Center };
const BOTTOM_CENTRE: Pos = Pos { h_pos: HPos::Center, v_pos: VPos::Bottom };

#[derive(Clone, Copy)]
enum Marker {
    Circle,
    Triangle,
}

enum Swatch {
    Block(RGBColor),
    Line(RGBColor, Marker),
    Dashed,
}

struct Legend {
    label: String,
    swatch: Swatch,
}

fn text_style(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&INK)
}

/// A rough width for layout; plotters' font metrics without `ttf` are an
/// estimate too, and the browser does the real shaping. plotters writes
/// `font-size` as the requested size / 1.24, and an average sans-serif glyph
/// is about 0.6 em wide.
fn text_px(text: &str, size: f64) -> u32 {
    (text.chars().count() as f64 * size / 1.24 * 0.6).round() as u32
}

fn header(root: &Area<'_>, title: &str, legend: &[Legend]) -> Result<(), ChartError> {
    let title_style = (FONT, 16.0).into_font().style(FontStyle::Bold).color(&INK).pos(TOP_LEFT);
    root.draw(&Text::new(title.to_owned(), (12, 8), title_style))?;
    let y = 40;
    let mut x = 14;
    for entry in legend {
        match entry.swatch {
            Swatch::Block(colour) => {
                root.draw(&Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()))?;
            }
            Swatch::Line(colour, marker) => {
                root.draw(&PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2)))?;
                match marker {
                    Marker::Circle => root.draw(&Circle::new((x + 9, y), 3, colour.filled()))?,
                    Marker::Triangle => {
                        root.draw(&TriangleMarker::new((x + 9, y), 4, colour.filled()))?;
                    }
                }
            }
            Swatch::Dashed => {
                for dash in [(x, x + 6), (x + 10, x + 16)] {
                    root.draw(&PathElement::new(vec![(dash.0, y), (dash.1, y)], TARGET))?;
                }
            }
        }
        let label_x = x + 24;
        root.draw(&Text::new(
            entry.label.clone(),
            (label_x, y),
            text_style(12.0).pos(CENTRE_LEFT),
        ))?;
        x = label_x + text_px(&entry.label, 12.0) as i32 + 18;
    }
    Ok(())
}

fn plot_area<'a>(root: &Area<'a>) -> Area<'a> {
    root.margin(HEADER, 6, 8, 24)
}

fn note<X, Y>(text: &str, at: (X, Y)) -> Text<'static, (X, Y), String> {
    Text::new(text.to_owned(), at, text_style(14.0).color(&AXIS).pos(CENTRE))
}

/// Categories sit on integers with half a unit of padding either side, and
/// only every k-th gets a tick label so that long series do not overlap.
fn category_axis(n: usize) -> Ticks {
    let step = n.div_ceil(12).max(1);
    let keys = (0..n).step_by(step).map(|i| i as f64).collect();
    Ticks::new(-0.5..(n as f64 - 0.5), keys)
}

/// A linear f64 axis with ticks exactly where we ask for them. plotters'
/// own `with_key_points` wrapper loses the value formatter of `f64` axes,
/// which the mesh needs.
struct Ticks {
    inner: RangedCoordf64,
    keys: Vec<f64>,
}

impl Ticks {
    fn new(range: Range<f64>, keys: Vec<f64>) -> Self {
        Self { inner: range.into(), keys }
    }
}

impl Ranged for Ticks {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() { Vec::new() } else { self.keys.clone() }
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}

impl ValueFormatter<f64> for Ticks {
    fn format(value: &f64) -> String {
        number(*value)
    }
}

fn category_label(labels: &[String], v: f64) -> String {
    category_label_ref(labels.iter().map(String::as_str), v)
}

fn category_label_ref<'a>(mut labels: impl Iterator<Item = &'a str>, v: f64) -> String {
    if v < -0.25 {
        return String::new();
    }
    labels.nth(v.round() as usize).unwrap_or_default().to_owned()
}

fn count_top(max: u64) -> u64 {
    (max + max.div_ceil(10)).max(1)
}

fn count_label_width(top: u64) -> u32 {
    36 + 7 * top.to_string().len() as u32
}

fn percent(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite()).map(|v| v.clamp(0.0, 100.0))
}

/// `v` with at most one decimal, or in scientific notation when too long to
/// fit under a tick.
fn number(v: f64) -> String {
    if v.abs() >= 1e6 {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

fn runs(values: &[Option<f64>]) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => current.push((i as f64, *v)),
            None if !current.is_empty() => out.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Equal-width bins over `0..max(largest value, 1.5 × target)` with a
/// 1-2-5 width so tick labels are round numbers; that yields 5–10 bins.
struct Bins {
    width: f64,
    counts: Vec<u64>,
}

impl Bins {
    fn new(values: &[f64], target: Option<f64>) -> Self {
        let largest = values.iter().copied().fold(0.0, f64::max);
        let upper = largest.max(target.unwrap_or(0.0) * 1.5);
        let upper = if upper > 0.0 { upper } else { 10.0 };
        let width = nice_ceil(upper / 10.0).max(1.0);
        let n = ((upper / width).ceil() as usize).clamp(1, 12);
        let mut counts = vec![0u64; n];
        for v in values {
            // The largest value lands exactly on the last edge; it belongs in the last bin.
            let i = ((v / width) as usize).min(n - 1);
            counts[i] += 1;
        }
        Self { width, counts }
    }

    fn edge(&self, i: usize) -> f64 {
        self.width * i as f64
    }
}

fn nice_ceil(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = [1.0, 2.0, 5.0].into_iter().find(|n| fraction <= *n).unwrap_or(10.0);
    nice * magnitude
}

/// Makes caller text safe for XML 1.0 and for the layout: control characters
/// (not allowed in XML, and a newline would not wrap anyway) become spaces, and
/// long labels are cut with an ellipsis.
fn clean(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' { ' ' } else { c })
        .collect();
    let trimmed = cleaned.trim();
    if trimmed.chars().count() > MAX_LABEL_CHARS {
        let mut cut: String = trimmed.chars().take(MAX_LABEL_CHARS - 1).collect();
        cut.push('…');
        cut
    } else {
        trimmed.to_owned()
    }
}

fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Adds the accessibility attributes and elements plotters has no API for.
fn finish(svg: &str, title: &str, desc: &str) -> Result<String, ChartError> {
    let missing = || ChartError("plotters produced no <svg> element".to_owned());
    let start = svg.find("<svg").ok_or_else(missing)?;
    // plotters escapes `>` in attribute values, so the first one closes the tag.
    let end = svg[start..].find('>').map(|i| start + i).ok_or_else(missing)?;
    let title = escape_xml(title);
    let desc = escape_xml(&clean_desc(desc));
    Ok(format!(
        "{} role=\"img\" aria-label=\"{title}\">\n<title>{title}</title>\n<desc>{desc}</desc>{}",
        &svg[..end],
        &svg[end + 1..]
    ))
}

fn clean_desc(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// Parses `svg` strictly and checks the CSP and accessibility properties
    /// every chart must have.
    fn check(svg: &str, title: &str) -> TestResult {
        let doc = roxmltree::Document::parse(svg)?;
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("role"), Some("img"));
        assert_eq!(root.attribute("aria-label"), Some(title));
        for node in doc.descendants().filter(|n| n.is_element()) {
            assert!(node.attribute("style").is_none(), "style attribute on {node:?}");
            let name = node.tag_name().name();
            assert!(name != "style" && name != "script" && name != "foreignObject", "{name}");
            for attr in node.attributes() {
                assert!(!attr.name().starts_with("on"), "event handler {}", attr.name());
            }
        }
        assert!(!svg.contains("style="));
        assert!(!svg.contains("<style"));
        assert!(!svg.contains("<script"));
        let title_el = root.children().find(|n| n.has_tag_name("title"));
        assert_eq!(title_el.and_then(|n| n.text()), Some(title));
        Ok(())
    }

    fn texts(svg: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .map(|t| t.trim().to_owned())
            .collect()
    }

    fn month(label: &str, response: Option<f64>, fix_start: Option<f64>) -> TrendPoint {
        TrendPoint { label: label.into(), response, fix_start }
    }

    #[test]
    fn trend_renders_lines_legend_and_target() -> TestResult {
        let points = [
            month("Sep 2026", Some(91.0), Some(80.0)),
            month("Oct 2026", None, Some(85.5)),
            month("Nov 2026", Some(87.5), None),
        ];
        let svg = compliance_trend(&points, Some(95.0))?;
        check(&svg, "SLA compliance by month")?;
        let texts = texts(&svg);
        for expected in ["Sep 2026", "Oct 2026", "Nov 2026", "Response", "Fix start", "Target 95%"]
        {
            assert!(texts.iter().any(|t| t == expected), "missing {expected}: {texts:?}");
        }
        assert!(texts.iter().any(|t| t == "100%"));
        assert!(svg.contains("#2166AC") && svg.contains("#E08214"));
        assert!(svg.contains("Nov 2026 87.5%") && svg.contains("Oct 2026 no data"));
        Ok(())
    }

    #[test]
    fn trend_gap_is_not_zero() -> TestResult {
        // Lines must break at the gap: two runs of one point each, so no polyline
        // joins them, and nothing is drawn at 0%.
        let points =
            [month("a", Some(50.0), None), month("b", None, None), month("c", Some(50.0), None)];
        assert_eq!(runs(&[Some(1.0), None, Some(2.0), Some(3.0)]).len(), 2);
        let svg = compliance_trend(&points, None)?;
        check(&svg, "SLA compliance by month")?;
        assert!(!svg.contains("Target"));
        Ok(())
    }

    #[test]
    fn outcomes_render_stacked_bars() -> TestResult {
        let rows = [
            OutcomeBar { label: "critical".into(), met: 5, breached: 2, pending: 1 },
            OutcomeBar { label: "low".into(), met: 0, breached: 0, pending: 3 },
        ];
        let svg = outcomes_by_severity(&rows)?;
        check(&svg, "Clock outcomes by severity")?;
        let texts = texts(&svg);
        for expected in ["critical", "low", "Met", "Breached", "Pending", "Severity", "8", "3"] {
            assert!(texts.iter().any(|t| t == expected), "missing {expected}: {texts:?}");
        }
        assert!(svg.contains("#1B7837") && svg.contains("#B2182B") && svg.contains("#999999"));
        Ok(())
    }

    #[test]
    fn histogram_bins_and_target() -> TestResult {
        let minutes = [0.0, 5.0, 12.0, 29.0, 31.0, 45.0, 58.0, 90.0];
        let svg = response_histogram(&minutes, Some(60.0))?;
        check(&svg, "Business minutes to first response")?;
        let texts = texts(&svg);
        assert!(texts.iter().any(|t| t == "target"), "{texts:?}");
        assert!(texts.iter().any(|t| t == "Business minutes"));

        let bins = Bins::new(&minutes, Some(60.0));
        assert_eq!(bins.width, 10.0);
        assert_eq!(bins.counts.len(), 9);
        assert_eq!(bins.counts.iter().sum::<u64>(), minutes.len() as u64);
        // The maximum sits on the last edge and must still be counted.
        let bins = Bins::new(&[10.0, 100.0], None);
        assert_eq!((bins.counts.len(), bins.counts[9]), (10, 1));
        Ok(())
    }

    #[test]
    fn causes_are_sorted_descending_and_capped() -> TestResult {
        let rows = vec![
            ("waiting on vendor".to_owned(), 2),
            ("weekend".to_owned(), 7),
            ("unassigned".to_owned(), 4),
            ("never".to_owned(), 0),
        ];
        let svg = causes(&rows)?;
        check(&svg, "Breach causes")?;
        let doc = roxmltree::Document::parse(&svg)?;
        let desc = doc.descendants().find(|n| n.has_tag_name("desc")).and_then(|n| n.text());
        assert_eq!(desc, Some("weekend: 7, unassigned: 4, waiting on vendor: 2."));
        let labels = texts(&svg);
        assert!(labels.iter().any(|t| t == "weekend") && !labels.iter().any(|t| t == "never"));

        let many: Vec<(String, u32)> = (1..=15).map(|i| (format!("cause {i}"), i)).collect();
        let svg = causes(&many)?;
        check(&svg, "Breach causes")?;
        assert!(texts(&svg).iter().any(|t| t == "other (6 causes)"));
        Ok(())
    }

    #[test]
    fn empty_inputs_render() -> TestResult {
        let svg = compliance_trend(&[], None)?;
        check(&svg, "SLA compliance by month")?;
        assert!(texts(&svg).iter().any(|t| t == "no data"));
        let svg = outcomes_by_severity(&[])?;
        check(&svg, "Clock outcomes by severity")?;
        assert!(texts(&svg).iter().any(|t| t == "no data"));
        let svg = response_histogram(&[], None)?;
        check(&svg, "Business minutes to first response")?;
        assert!(texts(&svg).iter().any(|t| t == "no data"));
        let svg = causes(&[])?;
        check(&svg, "Breach causes")?;
        assert!(texts(&svg).iter().any(|t| t == "no breaches"));
        Ok(())
    }

    #[test]
    fn degenerate_and_extreme_inputs_render() -> TestResult {
        let title = "SLA compliance by month";
        check(&compliance_trend(&[month("x", None, None)], Some(f64::NAN))?, title)?;
        check(&compliance_trend(&[month("x", Some(0.0), Some(0.0))], Some(0.0))?, title)?;
        check(
            &compliance_trend(&[month("x", Some(f64::INFINITY), Some(-5.0))], Some(1e300))?,
            title,
        )?;
        let many: Vec<TrendPoint> =
            (0..200).map(|i| month(&i.to_string(), Some(99.0), None)).collect();
        check(&compliance_trend(&many, Some(95.0))?, title)?;

        let title = "Clock outcomes by severity";
        let zero = OutcomeBar { label: String::new(), met: 0, breached: 0, pending: 0 };
        check(&outcomes_by_severity(std::slice::from_ref(&zero))?, title)?;
        let huge =
            OutcomeBar { label: "x".into(), met: u32::MAX, breached: u32::MAX, pending: u32::MAX };
        check(&outcomes_by_severity(&[huge, zero])?, title)?;

        let title = "Business minutes to first response";
        check(&response_histogram(&[0.0, 0.0, 0.0], Some(0.0))?, title)?;
        check(&response_histogram(&[f64::MAX, -3.0, f64::NAN, f64::NEG_INFINITY], None)?, title)?;
        check(&response_histogram(&[0.2], Some(f64::MAX))?, title)?;
        check(&response_histogram(&[1e-9, 3.0], Some(1e-9))?, title)?;

        let title = "Breach causes";
        check(&causes(&[("only".into(), u32::MAX), (String::new(), 1)])?, title)?;
        check(&causes(&[("zero".into(), 0)])?, title)?;
        Ok(())
    }

    #[test]
    fn special_characters_are_escaped() -> TestResult {
        let nasty = "A&B <x> \"q\" 'a' ]]> <script>alert(1)</script>\u{0}\u{1b}\n";
        let svg = compliance_trend(&[month(nasty, Some(50.0), Some(60.0))], None)?;
        check(&svg, "SLA compliance by month")?;
        assert!(svg.contains("A&amp;B &lt;x&gt;"));
        assert!(!svg.contains("<x>") && !svg.contains("<script"));
        assert!(texts(&svg).iter().any(|t| t.starts_with("A&B <x> \"q\" 'a' ]]>")));

        let row = OutcomeBar { label: nasty.into(), met: 1, breached: 1, pending: 1 };
        check(&outcomes_by_severity(&[row])?, "Clock outcomes by severity")?;
        let svg = causes(&[(nasty.into(), 3), ("A&B <x>".into(), 1)])?;
        check(&svg, "Breach causes")?;
        assert!(texts(&svg).iter().any(|t| t == "A&B <x>"));
        Ok(())
    }

    #[test]
    fn long_labels_are_truncated() {
        let long = "x".repeat(100);
        let cut = clean(&long);
        assert_eq!(cut.chars().count(), MAX_LABEL_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(clean(" a\tb\r\n"), "a b");
    }

    #[test]
    fn numbers_format_compactly() {
        assert_eq!(number(60.0), "60");
        assert_eq!(number(87.5), "87.5");
        assert_eq!(number(2e7), "2.0e7");
        assert_eq!(nice_ceil(7.3), 10.0);
        assert_eq!(nice_ceil(13.0), 20.0);
        assert_eq!(nice_ceil(0.0), 1.0);
    }
}

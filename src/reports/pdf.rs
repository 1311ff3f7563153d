//! A small, data-driven PDF renderer for the monthly SLA report.
//!
//! A provider manager mails the PDF to a customer, so it has to look tidy and `pdftotext` of
//! it has to show the very figures of the web page. The renderer knows nothing of frist's
//! types: callers describe a [`Document`] as a title block, a list of [`Block`]s and a footer,
//! and [`render`] lays them out on A4 pages.
//!
//! Text uses the PDF standard fonts Helvetica and Helvetica-Bold with `WinAnsiEncoding`, so no
//! font file is embedded and every viewer (and `pdftotext`) maps the bytes back to Unicode,
//! Danish and Norwegian letters included. The price is the WinAnsi repertoire: characters
//! outside it are replaced (see [`encode`]). The glyph widths below are those of the standard
//! Helvetica metrics, which is what viewers use to place the glyphs, so our line breaking and
//! right alignment agree with what is shown.
//!
//! Output is deterministic: no creation date and no file identifier are written, so the same
//! document renders to the same bytes and a stored report can be compared or re-sent as is.

use std::fmt;

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// A document: title block, then blocks flowing down the pages, and a footer on every page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// The title at the top of the first page, repeated small on the following pages.
    pub title: String,
    /// A line under the title, e.g. the customer and the period.
    pub subtitle: String,
    /// The content, laid out top to bottom.
    pub blocks: Vec<Block>,
    /// Text at the bottom of every page, next to "Page n of m"; wraps when long.
    pub footer: String,
}

/// One piece of content of a [`Document`].
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A section heading; kept on the same page as the start of what follows it.
    Heading(String),
    /// Body text that wraps to the page width; `\n` starts a new line.
    Paragraph(String),
    /// Key figures as label/value pairs in two columns.
    Figures(Vec<(String, String)>),
    /// A table; `numeric[i]` right-aligns column i; rows break across pages, header repeated.
    Table {
        /// Column headings.
        columns: Vec<String>,
        /// Whether each column is right-aligned; missing entries mean left-aligned.
        numeric: Vec<bool>,
        /// The cells, row by row; cells wrap inside their column, short rows are padded.
        rows: Vec<Vec<String>>,
    },
    /// A simple vector bar chart drawn with PDF primitives: one bar (or stacked segments) per label.
    Bars {
        /// The chart's caption.
        title: String,
        /// One label per bar (or group of bars) along the x axis.
        labels: Vec<String>,
        /// Legend name and one value per label for each series; missing values count as 0.
        series: Vec<(String, Vec<f64>)>,
        /// Stack the series on top of each other instead of side by side.
        stacked: bool,
        /// Top of the value axis (e.g. 100 for percentages); computed from the data if `None`.
        max: Option<f64>,
        /// A value drawn as a dashed line across the chart, e.g. the SLA target.
        target: Option<f64>,
        /// Unit appended to axis and bar values, e.g. "%" gives "87.5 %".
        unit: String,
    },
}

/// Why a document could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PdfError {
    /// The document would need more than [`MAX_PAGES`] pages; refused to bound memory use.
    TooManyPages,
}

impl fmt::Display for PdfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooManyPages => write!(f, "the PDF would have more than {MAX_PAGES} pages"),
        }
    }
}

impl std::error::Error for PdfError {}

/// The most pages a document may have; far above any monthly report, low enough that a
/// runaway input fails instead of exhausting memory.
pub const MAX_PAGES: usize = 20_000;

/// Renders `doc` as an A4 PDF.
pub fn render(doc: &Document) -> Result<Vec<u8>, PdfError> {
    let pages = layout(doc)?;
    Ok(write_pdf(doc, &pages))
}

// ---------------------------------------------------------------------------------------------
// Page geometry and style. Points (1/72 inch); the origin is the bottom-left corner.

/// A4 width.
const PAGE_W: f32 = 595.28;
/// A4 height.
const PAGE_H: f32 = 841.89;
/// Left and right margin.
const MARGIN_X: f32 = 50.0;
/// Width available for content.
const CONTENT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
/// Where content starts on the first page.
const FIRST_TOP: f32 = PAGE_H - 52.0;
/// Where content starts on later pages, below the running header.
const NEXT_TOP: f32 = PAGE_H - 64.0;
/// Distance of the last footer line's baseline from the bottom edge.
const FOOTER_BASE: f32 = 30.0;
/// Size of the footer and running-header text: small, so a SHA-256 fits on one line.
const FOOTER_SIZE: f32 = 7.5;
/// Line spacing of the footer.
const FOOTER_LEADING: f32 = 9.5;
/// At most this many footer lines; more would eat the page.
const FOOTER_MAX_LINES: usize = 4;

/// Body text size.
const BODY_SIZE: f32 = 10.0;
/// Body line spacing.
const BODY_LEADING: f32 = 14.0;
/// Heading size.
const HEADING_SIZE: f32 = 13.0;
/// Table text size.
const TABLE_SIZE: f32 = 8.5;
/// Table line spacing.
const TABLE_LEADING: f32 = 10.5;
/// Horizontal padding inside table cells.
const CELL_PAD_X: f32 = 4.0;
/// Vertical padding inside table cells.
const CELL_PAD_Y: f32 = 3.5;
/// Space after each block.
const BLOCK_GAP: f32 = 12.0;

/// An RGB colour, components in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Rgb(f32, f32, f32);

/// Body text.
const INK: Rgb = Rgb(0.13, 0.15, 0.18);
/// Secondary text: labels, footer, axis.
const MUTED: Rgb = Rgb(0.42, 0.45, 0.50);
/// Headings and rules.
const ACCENT: Rgb = Rgb(0.10, 0.31, 0.55);
/// The paper.
const WHITE: Rgb = Rgb(1.0, 1.0, 1.0);
/// Thin separators and grid lines.
const RULE: Rgb = Rgb(0.82, 0.84, 0.87);
/// Table header background.
const HEADER_BG: Rgb = Rgb(0.90, 0.93, 0.96);
/// Every other table row, so wide rows stay readable.
const ZEBRA: Rgb = Rgb(0.965, 0.97, 0.98);
/// Key-figure card background.
const CARD_BG: Rgb = Rgb(0.95, 0.96, 0.98);
/// The dashed target line.
const TARGET: Rgb = Rgb(0.80, 0.18, 0.18);
/// Series colours, reused in turn; chosen to stay distinct when printed in grey.
const PALETTE: [Rgb; 6] = [
    Rgb(0.16, 0.40, 0.70),
    Rgb(0.93, 0.55, 0.17),
    Rgb(0.30, 0.62, 0.35),
    Rgb(0.55, 0.40, 0.70),
    Rgb(0.20, 0.62, 0.66),
    Rgb(0.60, 0.60, 0.60),
];

// ---------------------------------------------------------------------------------------------
// Fonts and text encoding.

/// One of the two standard fonts used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Font {
    /// Helvetica.
    Regular,
    /// Helvetica-Bold.
    Bold,
}

impl Font {
    /// The resource name used in content streams.
    fn resource(self) -> Name<'static> {
        match self {
            Self::Regular => Name(b"F1"),
            Self::Bold => Name(b"F2"),
        }
    }

    /// Advance widths in 1/1000 em, indexed by WinAnsi code.
    fn widths(self) -> &'static [u16; 256] {
        match self {
            Self::Regular => &HELVETICA,
            Self::Bold => &HELVETICA_BOLD,
        }
    }
}

/// Encoded lines of text.
type Lines = Vec<Vec<u8>>;

/// The WinAnsi code of the horizontal ellipsis, used to mark truncated text.
const ELLIPSIS: u8 = 0x85;
/// The WinAnsi code of the no-break space: kept apart from ' ' while wrapping.
const NBSP: u8 = 0xA0;

/// Encodes text as WinAnsi bytes: Latin-1 and the usual typographic characters map directly,
/// a few look-alikes are substituted, control characters other than `\n` are dropped and
/// anything else becomes `?` (a visible sign that a glyph is missing, rather than silence).
fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let code = match c {
            '\n' => 0x0A,
            '\t' => b' ',
            ' '..='~' => c as u8,
            '\u{a0}'..='\u{ff}' if c != '\u{ad}' => c as u8,
            '€' => 0x80,
            '‚' => 0x82,
            'ƒ' => 0x83,
            '„' => 0x84,
            '…' => ELLIPSIS,
            '†' => 0x86,
            '‡' => 0x87,
            'ˆ' => 0x88,
            '‰' => 0x89,
            'Š' => 0x8A,
            '‹' => 0x8B,
            'Œ' => 0x8C,
            'Ž' => 0x8E,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '˜' => 0x98,
            '™' => 0x99,
            'š' => 0x9A,
            '›' => 0x9B,
            'œ' => 0x9C,
            'ž' => 0x9E,
            'Ÿ' => 0x9F,
            '−' | '‐' | '‑' | '‒' => b'-',
            '\u{2002}'..='\u{2006}' | '\u{2008}'..='\u{200a}' | '\u{205f}' | '\u{3000}' => b' ',
            '\u{2007}' | '\u{202f}' => NBSP,
            '≤' => {
                out.extend_from_slice(b"<=");
                continue;
            }
            '≥' => {
                out.extend_from_slice(b">=");
                continue;
            }
            '→' => {
                out.extend_from_slice(b"->");
                continue;
            }
            c if c.is_control() || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200d}' | '\u{feff}') => {
                continue;
            }
            _ => b'?',
        };
        out.push(code);
    }
    out
}

/// The width of one encoded character.
fn char_width(b: u8, font: Font, size: f32) -> f32 {
    f32::from(font.widths()[usize::from(b)]) * size / 1000.0
}

/// The width of encoded text on one line.
fn text_width(text: &[u8], font: Font, size: f32) -> f32 {
    let units: u32 = text.iter().map(|&b| u32::from(font.widths()[usize::from(b)])).sum();
    units as f32 * size / 1000.0
}

/// Slack for comparing widths, so rounding never pushes a fitting word to the next line.
const EPS: f32 = 1e-3;

/// Breaks encoded text into lines of at most `max_w`: at spaces where possible, inside a word
/// only when the word alone is too wide. Each line holds at least one character, so this ends
/// even for absurdly narrow widths. Trailing empty lines are dropped; empty text gives none.
fn wrap(text: &[u8], font: Font, size: f32, max_w: f32) -> Lines {
    let space = char_width(b' ', font, size);
    let mut out = Vec::new();
    for para in text.split(|&b| b == b'\n') {
        let mut line: Vec<u8> = Vec::new();
        let mut line_w = 0.0;
        for word in para.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
            let word_w = text_width(word, font, size);
            if line.is_empty() && word_w <= max_w + EPS {
                line.extend_from_slice(word);
                line_w = word_w;
                continue;
            }
            if !line.is_empty() && line_w + space + word_w <= max_w + EPS {
                line.push(b' ');
                line.extend_from_slice(word);
                line_w += space + word_w;
                continue;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
                line_w = 0.0;
            }
            if word_w <= max_w + EPS {
                line.extend_from_slice(word);
                line_w = word_w;
                continue;
            }
            for &b in word {
                let w = char_width(b, font, size);
                if !line.is_empty() && line_w + w > max_w + EPS {
                    out.push(std::mem::take(&mut line));
                    line_w = 0.0;
                }
                line.push(b);
                line_w += w;
            }
        }
        out.push(line);
    }
    while out.last().is_some_and(Vec::is_empty) {
        out.pop();
    }
    out
}

/// Shortens one line of encoded text to `max_w`, ending it with "…" if anything was cut.
/// With `force`, the "…" is added even if the text fits (it then marks cut-off lines).
fn truncate(text: &[u8], font: Font, size: f32, max_w: f32, force: bool) -> Vec<u8> {
    let text: Vec<u8> = text.iter().map(|&b| if b == b'\n' { b' ' } else { b }).collect();
    if !force && text_width(&text, font, size) <= max_w + EPS {
        return text;
    }
    let budget = max_w - char_width(ELLIPSIS, font, size);
    let mut out = Vec::new();
    let mut w = 0.0;
    for &b in &text {
        let cw = char_width(b, font, size);
        if w + cw > budget + EPS {
            break;
        }
        out.push(b);
        w += cw;
    }
    while out.last() == Some(&b' ') {
        out.pop();
    }
    out.push(ELLIPSIS);
    out
}

/// Keeps at most `max` lines (at least one), marking the last kept line with "…" if any were
/// dropped; this bounds the height of things that cannot break across pages.
fn clamp_lines(mut lines: Lines, max: usize, font: Font, size: f32, max_w: f32) -> Lines {
    let max = max.max(1);
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            *last = truncate(last, font, size, max_w, true);
        }
    }
    lines
}

/// Formats a number for axis and bar labels: integers without decimals, others with at most
/// two, and huge magnitudes in exponent form so a label never runs across the page.
fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_owned();
    }
    // Adding 0.0 turns -0.0 into 0.0, so no "-0" label appears.
    let v = v + 0.0;
    if v.abs() >= 1e15 {
        return format!("{v:.3e}");
    }
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".to_owned() } else { s.to_owned() }
}

/// `number` followed by `unit`, separated by a space as in "87.5 %".
fn with_unit(number: &str, unit: &str) -> String {
    if unit.is_empty() { number.to_owned() } else { format!("{number} {unit}") }
}

// ---------------------------------------------------------------------------------------------
// Layout: blocks become pages of drawing operations; the PDF is written afterwards, once the
// page count is known for "Page n of m".

/// One drawing operation on a page.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    /// Encoded text with its baseline starting at (x, y).
    Text { x: f32, y: f32, font: Font, size: f32, color: Rgb, text: Vec<u8> },
    /// A filled rectangle with its bottom-left corner at (x, y).
    Rect { x: f32, y: f32, w: f32, h: f32, color: Rgb },
    /// A straight line, dashed or solid.
    Line { x1: f32, y1: f32, x2: f32, y2: f32, width: f32, color: Rgb, dashed: bool },
}

/// The layout state: finished pages, the page being filled and the current position on it.
struct Layout {
    /// Pages laid out so far, the last being the current one.
    pages: Vec<Vec<Op>>,
    /// The top of the next thing to place.
    y: f32,
    /// Content must stay above this line; below it is the footer.
    bottom: f32,
}

impl Layout {
    /// The current page's operations.
    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Whether nothing has been placed on the current page yet.
    fn at_top(&self) -> bool {
        self.y >= NEXT_TOP && self.pages.len() > 1
    }

    /// Starts a new page.
    fn new_page(&mut self) -> Result<(), PdfError> {
        if self.pages.len() >= MAX_PAGES {
            return Err(PdfError::TooManyPages);
        }
        self.pages.push(Vec::new());
        self.y = NEXT_TOP;
        Ok(())
    }

    /// Makes room for `h` points, moving to a new page unless the current one has room or is
    /// still empty (then the thing is too tall for any page and is placed as it is).
    fn ensure(&mut self, h: f32) -> Result<(), PdfError> {
        if self.y - h < self.bottom && !self.at_top() {
            self.new_page()?;
        }
        Ok(())
    }

    /// The usable height of a page after the first.
    fn page_height(&self) -> f32 {
        NEXT_TOP - self.bottom
    }

    /// Places one line of text with its baseline at `y`.
    fn text(&mut self, x: f32, y: f32, font: Font, size: f32, color: Rgb, text: Vec<u8>) {
        if !text.is_empty() {
            self.ops().push(Op::Text { x, y, font, size, color, text });
        }
    }

    /// Places a filled rectangle.
    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
        self.ops().push(Op::Rect { x, y, w, h, color });
    }

    /// Places a line.
    #[allow(clippy::too_many_arguments)]
    fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32, color: Rgb, dashed: bool) {
        self.ops().push(Op::Line { x1, y1, x2, y2, width, color, dashed });
    }
}

/// The baseline of text of `size` centred in a line box of `leading` whose top is `top`.
fn baseline(top: f32, leading: f32, size: f32) -> f32 {
    // Helvetica's capitals and x-height centre about 0.35 em above the baseline.
    top - leading / 2.0 - 0.35 * size
}

/// The footer text, wrapped beside the room kept for the page number.
fn footer_lines(footer: &str) -> Lines {
    let reserve = text_width(&page_label(MAX_PAGES, MAX_PAGES), Font::Regular, FOOTER_SIZE) + 16.0;
    let lines = wrap(&encode(footer), Font::Regular, FOOTER_SIZE, CONTENT_W - reserve);
    clamp_lines(lines, FOOTER_MAX_LINES, Font::Regular, FOOTER_SIZE, CONTENT_W - reserve)
}

/// "Page n of m", encoded.
fn page_label(n: usize, of: usize) -> Vec<u8> {
    format!("Page {n} of {of}").into_bytes()
}

/// Lays the document out into pages of drawing operations, footer and headers included.
fn layout(doc: &Document) -> Result<Vec<Vec<Op>>, PdfError> {
    let footer = footer_lines(&doc.footer);
    let footer_top = FOOTER_BASE + footer.len().max(1) as f32 * FOOTER_LEADING;
    let mut l = Layout { pages: vec![Vec::new()], y: FIRST_TOP, bottom: footer_top + 14.0 };

    title_block(&mut l, doc);
    for block in &doc.blocks {
        match block {
            Block::Heading(text) => heading(&mut l, text)?,
            Block::Paragraph(text) => paragraph(&mut l, text)?,
            Block::Figures(pairs) => figures(&mut l, pairs)?,
            Block::Table { columns, numeric, rows } => table(&mut l, columns, numeric, rows)?,
            Block::Bars { title, labels, series, stacked, max, target, unit } => {
                let chart = Chart {
                    title,
                    labels,
                    series,
                    stacked: *stacked,
                    max: *max,
                    target: *target,
                    unit,
                };
                bars(&mut l, &chart)?;
            }
        }
    }

    let count = l.pages.len();
    let header = running_header(doc);
    for (i, page) in l.pages.iter_mut().enumerate() {
        let mut extra = Layout { pages: vec![Vec::new()], y: 0.0, bottom: 0.0 };
        page_furniture(&mut extra, &footer, footer_top, &header, i + 1, count);
        page.extend(extra.pages.into_iter().flatten());
    }
    Ok(l.pages)
}

/// The small title line on pages after the first.
fn running_header(doc: &Document) -> Vec<u8> {
    let text = match (doc.title.trim().is_empty(), doc.subtitle.trim().is_empty()) {
        (false, false) => format!("{} · {}", doc.title.trim(), doc.subtitle.trim()),
        (false, true) => doc.title.trim().to_owned(),
        (true, false) => doc.subtitle.trim().to_owned(),
        (true, true) => String::new(),
    };
    truncate(&encode(&text), Font::Regular, FOOTER_SIZE, CONTENT_W, false)
}

/// Footer (rule, text and page number) and, after the first page, the running header.
fn page_furniture(
    l: &mut Layout,
    footer: &[Vec<u8>],
    footer_top: f32,
    header: &[u8],
    n: usize,
    count: usize,
) {
    let right = MARGIN_X + CONTENT_W;
    l.line(MARGIN_X, footer_top + 4.0, right, footer_top + 4.0, 0.5, RULE, false);
    let first_base = footer_top - FOOTER_LEADING + 2.0;
    for (i, line) in footer.iter().enumerate() {
        let y = first_base - i as f32 * FOOTER_LEADING;
        l.text(MARGIN_X, y, Font::Regular, FOOTER_SIZE, MUTED, line.clone());
    }
    let label = page_label(n, count);
    let x = right - text_width(&label, Font::Regular, FOOTER_SIZE);
    l.text(x, first_base, Font::Regular, FOOTER_SIZE, MUTED, label);
    if n > 1 && !header.is_empty() {
        l.text(MARGIN_X, PAGE_H - 36.0, Font::Regular, FOOTER_SIZE, MUTED, header.to_vec());
        l.line(MARGIN_X, PAGE_H - 41.0, right, PAGE_H - 41.0, 0.5, RULE, false);
    }
}

/// Title and subtitle at the top of the first page, closed by an accent rule.
fn title_block(l: &mut Layout, doc: &Document) {
    let title = clamp_lines(
        wrap(&encode(&doc.title), Font::Bold, 20.0, CONTENT_W),
        3,
        Font::Bold,
        20.0,
        CONTENT_W,
    );
    for line in title {
        l.text(MARGIN_X, baseline(l.y, 25.0, 20.0), Font::Bold, 20.0, INK, line);
        l.y -= 25.0;
    }
    let sub = clamp_lines(
        wrap(&encode(&doc.subtitle), Font::Regular, 12.0, CONTENT_W),
        3,
        Font::Regular,
        12.0,
        CONTENT_W,
    );
    for line in sub {
        l.text(MARGIN_X, baseline(l.y, 16.0, 12.0), Font::Regular, 12.0, MUTED, line);
        l.y -= 16.0;
    }
    l.y -= 8.0;
    l.line(MARGIN_X, l.y, MARGIN_X + CONTENT_W, l.y, 1.2, ACCENT, false);
    l.y -= 18.0;
}

/// A section heading, moved to the next page when too little room would follow it.
fn heading(l: &mut Layout, text: &str) -> Result<(), PdfError> {
    let leading = 17.0;
    let lines = clamp_lines(
        wrap(&encode(text), Font::Bold, HEADING_SIZE, CONTENT_W),
        3,
        Font::Bold,
        HEADING_SIZE,
        CONTENT_W,
    );
    if !l.at_top() {
        l.y -= 4.0;
    }
    // Room for the heading plus a few lines of what it introduces: no orphaned headings.
    l.ensure(lines.len() as f32 * leading + 4.0 * BODY_LEADING)?;
    for line in lines {
        l.text(
            MARGIN_X,
            baseline(l.y, leading, HEADING_SIZE),
            Font::Bold,
            HEADING_SIZE,
            ACCENT,
            line,
        );
        l.y -= leading;
    }
    l.y -= 4.0;
    Ok(())
}

/// Body text, wrapped and flowing line by line across pages.
fn paragraph(l: &mut Layout, text: &str) -> Result<(), PdfError> {
    for line in wrap(&encode(text), Font::Regular, BODY_SIZE, CONTENT_W) {
        l.ensure(BODY_LEADING)?;
        l.text(
            MARGIN_X,
            baseline(l.y, BODY_LEADING, BODY_SIZE),
            Font::Regular,
            BODY_SIZE,
            INK,
            line,
        );
        l.y -= BODY_LEADING;
    }
    l.y -= BLOCK_GAP;
    Ok(())
}

/// Key figures as cards, two per row: a small label above a large value.
fn figures(l: &mut Layout, pairs: &[(String, String)]) -> Result<(), PdfError> {
    const GAP: f32 = 10.0;
    const PAD: f32 = 8.0;
    const LABEL: (f32, f32) = (8.5, 11.0);
    const VALUE: (f32, f32) = (14.0, 18.0);
    let cell_w = (CONTENT_W - GAP) / 2.0;
    let inner = cell_w - 2.0 * PAD - 3.0;
    for row in pairs.chunks(2) {
        let cells: Vec<(Lines, Lines)> = row
            .iter()
            .map(|(label, value)| {
                let label = wrap(&encode(label), Font::Regular, LABEL.0, inner);
                let value = wrap(&encode(value), Font::Bold, VALUE.0, inner);
                (
                    clamp_lines(label, 3, Font::Regular, LABEL.0, inner),
                    clamp_lines(value, 4, Font::Bold, VALUE.0, inner),
                )
            })
            .collect();
        let height = cells
            .iter()
            .map(|(label, value)| {
                2.0 * PAD + label.len() as f32 * LABEL.1 + 2.0 + value.len() as f32 * VALUE.1
            })
            .fold(0.0, f32::max);
        l.ensure(height)?;
        for (i, (label, value)) in cells.into_iter().enumerate() {
            let x = MARGIN_X + i as f32 * (cell_w + GAP);
            l.rect(x, l.y - height, cell_w, height, CARD_BG);
            l.rect(x, l.y - height, 2.5, height, ACCENT);
            let mut top = l.y - PAD;
            for line in label {
                l.text(
                    x + PAD + 3.0,
                    baseline(top, LABEL.1, LABEL.0),
                    Font::Regular,
                    LABEL.0,
                    MUTED,
                    line,
                );
                top -= LABEL.1;
            }
            top -= 2.0;
            for line in value {
                l.text(
                    x + PAD + 3.0,
                    baseline(top, VALUE.1, VALUE.0),
                    Font::Bold,
                    VALUE.0,
                    INK,
                    line,
                );
                top -= VALUE.1;
            }
        }
        l.y -= height + GAP;
    }
    if !pairs.is_empty() {
        // The last row already left GAP below it; top that up to the usual block spacing.
        l.y -= (BLOCK_GAP - GAP).max(0.0) + 2.0;
    }
    Ok(())
}

/// Column widths for a table: every column gets its natural width if they all fit (spare room
/// goes to text columns); otherwise the widest columns are narrowed to a common width, but no
/// column below its longest word (up to a point) while that is possible, so ticket ids and
/// numbers are not broken.
fn column_widths(
    columns: &[Vec<u8>],
    numeric: &[bool],
    rows: &[Vec<Vec<u8>>],
    ncols: usize,
) -> Vec<f32> {
    let mut natural = vec![0.0_f32; ncols];
    let mut minimum = vec![0.0_f32; ncols];
    let mut measure = |i: usize, text: &[u8], font: Font| {
        for line in text.split(|&b| b == b'\n') {
            natural[i] = natural[i].max(text_width(line, font, TABLE_SIZE));
            for word in line.split(|&b| b == b' ') {
                minimum[i] = minimum[i].max(text_width(word, font, TABLE_SIZE).min(110.0));
            }
        }
    };
    for (i, c) in columns.iter().enumerate() {
        measure(i, c, Font::Bold);
    }
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(ncols) {
            measure(i, cell, Font::Regular);
        }
    }
    let natural: Vec<f32> = natural.iter().map(|w| w + 2.0 * CELL_PAD_X).collect();
    let minimum: Vec<f32> =
        minimum.iter().zip(&natural).map(|(m, n)| (m + 2.0 * CELL_PAD_X).min(*n)).collect();
    let total: f32 = natural.iter().sum();
    if total <= CONTENT_W {
        let is_text = |i: usize| !numeric.get(i).copied().unwrap_or(false);
        let text_total: f32 = (0..ncols).filter(|&i| is_text(i)).map(|i| natural[i]).sum();
        let spare = CONTENT_W - total;
        return (0..ncols)
            .map(|i| {
                if text_total > 0.0 {
                    natural[i] + if is_text(i) { spare * natural[i] / text_total } else { 0.0 }
                } else if total > 0.0 {
                    natural[i] + spare * natural[i] / total
                } else {
                    CONTENT_W / ncols as f32
                }
            })
            .collect();
    }
    let min_total: f32 = minimum.iter().sum();
    if min_total >= CONTENT_W {
        return minimum.iter().map(|m| m * CONTENT_W / min_total).collect();
    }
    // Find the common width `level` at which clamp(level, min, natural) fills the table width;
    // the sum grows with `level`, so bisection converges.
    let (mut lo, mut hi) = (0.0_f32, natural.iter().copied().fold(0.0, f32::max));
    for _ in 0..40 {
        let mid = (lo + hi) / 2.0;
        let sum: f32 = (0..ncols).map(|i| mid.clamp(minimum[i], natural[i])).sum();
        if sum > CONTENT_W { hi = mid } else { lo = mid }
    }
    (0..ncols).map(|i| lo.clamp(minimum[i], natural[i])).collect()
}

/// A table with a header row repeated on every page and rows that never split.
fn table(
    l: &mut Layout,
    columns: &[String],
    numeric: &[bool],
    rows: &[Vec<String>],
) -> Result<(), PdfError> {
    let ncols = rows.iter().map(Vec::len).chain([columns.len()]).max().unwrap_or(0);
    if ncols == 0 {
        return Ok(());
    }
    let header: Vec<Vec<u8>> =
        (0..ncols).map(|i| columns.get(i).map(|c| encode(c)).unwrap_or_default()).collect();
    let body: Vec<Vec<Vec<u8>>> =
        rows.iter().map(|row| row.iter().map(|c| encode(c)).collect()).collect();
    let widths = column_widths(&header, numeric, &body, ncols);
    let right_aligned = |i: usize| numeric.get(i).copied().unwrap_or(false);

    // Lays out one row's cells, clamped so that header plus row always fit on a page.
    let cells = |texts: &[Vec<u8>], font: Font, max_lines: usize| -> Vec<Vec<Vec<u8>>> {
        (0..ncols)
            .map(|i| {
                let inner = widths[i] - 2.0 * CELL_PAD_X;
                let text = texts.get(i).map(Vec::as_slice).unwrap_or_default();
                clamp_lines(wrap(text, font, TABLE_SIZE, inner), max_lines, font, TABLE_SIZE, inner)
            })
            .collect()
    };
    let row_height = |cells: &[Vec<Vec<u8>>]| {
        cells.iter().map(Vec::len).max().unwrap_or(0).max(1) as f32 * TABLE_LEADING
            + 2.0 * CELL_PAD_Y
    };
    let page_lines =
        ((l.page_height() / 2.0 - 2.0 * CELL_PAD_Y) / TABLE_LEADING).floor().max(1.0) as usize;
    let header_cells = cells(&header, Font::Bold, page_lines.min(4));
    let header_h = row_height(&header_cells);
    let row_lines =
        ((l.page_height() - header_h - 2.0 * CELL_PAD_Y) / TABLE_LEADING).floor().max(1.0) as usize;

    let draw_row = |l: &mut Layout, cells: &[Vec<Vec<u8>>], h: f32, font: Font, color: Rgb| {
        let mut x = MARGIN_X;
        for (i, lines) in cells.iter().enumerate() {
            let mut top = l.y - CELL_PAD_Y;
            for line in lines {
                let tx = if right_aligned(i) {
                    x + widths[i] - CELL_PAD_X - text_width(line, font, TABLE_SIZE)
                } else {
                    x + CELL_PAD_X
                };
                l.text(
                    tx,
                    baseline(top, TABLE_LEADING, TABLE_SIZE),
                    font,
                    TABLE_SIZE,
                    color,
                    line.clone(),
                );
                top -= TABLE_LEADING;
            }
            x += widths[i];
        }
        l.y -= h;
    };
    let draw_header = |l: &mut Layout| {
        l.rect(MARGIN_X, l.y - header_h, CONTENT_W, header_h, HEADER_BG);
        draw_row(l, &header_cells, header_h, Font::Bold, INK);
        l.line(MARGIN_X, l.y, MARGIN_X + CONTENT_W, l.y, 0.8, ACCENT, false);
    };

    let first =
        body.first().map(|row| row_height(&cells(row, Font::Regular, row_lines))).unwrap_or(0.0);
    l.ensure(header_h + first)?;
    draw_header(l);
    for (n, row) in body.iter().enumerate() {
        let row_cells = cells(row, Font::Regular, row_lines);
        let h = row_height(&row_cells);
        if l.y - h < l.bottom {
            l.new_page()?;
            draw_header(l);
        }
        if n % 2 == 1 {
            l.rect(MARGIN_X, l.y - h, CONTENT_W, h, ZEBRA);
        }
        draw_row(l, &row_cells, h, Font::Regular, INK);
    }
    l.line(MARGIN_X, l.y, MARGIN_X + CONTENT_W, l.y, 0.5, RULE, false);
    l.y -= BLOCK_GAP + 2.0;
    Ok(())
}

/// The fields of [`Block::Bars`], borrowed.
struct Chart<'a> {
    /// Caption.
    title: &'a str,
    /// X-axis labels.
    labels: &'a [String],
    /// Legend names and values.
    series: &'a [(String, Vec<f64>)],
    /// Stack series instead of grouping them.
    stacked: bool,
    /// Axis top, if given.
    max: Option<f64>,
    /// Dashed target line, if any.
    target: Option<f64>,
    /// Value unit.
    unit: &'a str,
}

/// A "nice" axis step (1, 2, 2.5 or 5 times a power of ten) near `raw`.
fn nice_step(raw: f64) -> f64 {
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let f = raw / magnitude;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 2.5 {
        2.5
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// A bar chart: grid, bars, value labels, x labels, dashed target line and legend.
fn bars(l: &mut Layout, c: &Chart<'_>) -> Result<(), PdfError> {
    const PLOT_H: f32 = 150.0;
    const AXIS_SIZE: f32 = 7.5;
    const LEGEND_SIZE: f32 = 8.0;

    // Bars grow from zero; negative and non-finite values are drawn as nothing.
    let value = |s: usize, i: usize| -> f64 {
        c.series
            .get(s)
            .and_then(|(_, v)| v.get(i))
            .copied()
            .filter(|v| v.is_finite() && *v > 0.0)
            .unwrap_or(0.0)
    };
    let n = c.series.iter().map(|(_, v)| v.len()).chain([c.labels.len()]).max().unwrap_or(0);
    let ns = c.series.len();
    let totals: Vec<f64> = (0..n).map(|i| (0..ns).map(|s| value(s, i)).sum()).collect();
    let data_max = if c.stacked {
        totals.iter().copied().fold(0.0, f64::max)
    } else {
        (0..ns)
            .flat_map(|s| (0..n).map(move |i| (s, i)))
            .map(|(s, i)| value(s, i))
            .fold(0.0, f64::max)
    };
    let target = c.target.filter(|t| t.is_finite() && *t >= 0.0);
    let (top, step) = match c.max.filter(|m| m.is_finite() && *m > 0.0) {
        Some(max) => (max, nice_step(max / 5.0)),
        None => {
            let want = data_max.max(target.unwrap_or(0.0));
            let want = if want.is_finite() && want > 0.0 { want } else { 1.0 };
            let step = nice_step(want / 5.0);
            let top = (want / step).ceil() * step;
            (if top.is_finite() && top > 0.0 { top } else { want }, step)
        }
    };
    let ticks: Vec<f64> = {
        let count = (top / step).floor();
        if count.is_finite() && (1.0..=20.0).contains(&count) {
            (0..=count as usize).map(|k| k as f64 * step).collect()
        } else {
            vec![0.0, top]
        }
    };
    let tick_labels: Vec<Vec<u8>> =
        ticks.iter().map(|t| encode(&with_unit(&format_number(*t), c.unit))).collect();
    let axis_w = tick_labels
        .iter()
        .map(|t| text_width(t, Font::Regular, AXIS_SIZE))
        .fold(0.0, f32::max)
        .min(CONTENT_W / 4.0)
        + 6.0;

    let title = clamp_lines(
        wrap(&encode(c.title), Font::Bold, 10.0, CONTENT_W),
        2,
        Font::Bold,
        10.0,
        CONTENT_W,
    );
    let legend = legend_rows(c, target, CONTENT_W, LEGEND_SIZE);
    let height = title.len() as f32 * 14.0 + 10.0 + PLOT_H + 16.0 + legend.len() as f32 * 12.0;
    l.ensure(height)?;

    for line in title {
        l.text(MARGIN_X, baseline(l.y, 14.0, 10.0), Font::Bold, 10.0, INK, line);
        l.y -= 14.0;
    }
    l.y -= 10.0;
    let plot_x = MARGIN_X + axis_w;
    let plot_w = CONTENT_W - axis_w;
    let plot_bottom = l.y - PLOT_H;
    let y_of = |v: f64| plot_bottom + (v.min(top) / top) as f32 * PLOT_H;

    for (t, label) in ticks.iter().zip(tick_labels) {
        let y = y_of(*t);
        if *t > 0.0 {
            l.line(plot_x, y, plot_x + plot_w, y, 0.4, RULE, false);
        }
        let label = truncate(&label, Font::Regular, AXIS_SIZE, axis_w - 6.0, false);
        let x = plot_x - 4.0 - text_width(&label, Font::Regular, AXIS_SIZE);
        l.text(x, y - 0.35 * AXIS_SIZE, Font::Regular, AXIS_SIZE, MUTED, label);
    }

    // Value labels go on last, above the target line, so that the line never strikes them.
    let mut values: Vec<(f32, f32, f32, String)> = Vec::new();
    if n > 0 {
        let slot = plot_w / n as f32;
        let group = slot * 0.72;
        let bar_w = if c.stacked || ns == 0 { group } else { group / ns as f32 };
        for (i, &total) in totals.iter().enumerate() {
            let gx = plot_x + i as f32 * slot + (slot - group) / 2.0;
            let mut base = 0.0;
            for s in 0..ns {
                let v = value(s, i);
                let color = PALETTE[s % PALETTE.len()];
                if c.stacked {
                    let (y0, y1) = (y_of(base), y_of(base + v));
                    if y1 > y0 {
                        l.rect(gx, y0, bar_w, y1 - y0, color);
                    }
                    base += v;
                } else {
                    let x = gx + s as f32 * bar_w;
                    let y1 = y_of(v);
                    if y1 > plot_bottom {
                        l.rect(x, plot_bottom, bar_w, y1 - plot_bottom, color);
                    }
                    // A lone series may use the whole slot for its label; grouped bars only their own width.
                    let room = if ns == 1 { slot } else { bar_w };
                    if v > 0.0 {
                        values.push((
                            x + bar_w / 2.0,
                            room,
                            y1,
                            with_unit(&format_number(v), c.unit),
                        ));
                    }
                }
            }
            if c.stacked && ns > 0 && total > 0.0 {
                values.push((
                    gx + group / 2.0,
                    slot,
                    y_of(total),
                    with_unit(&format_number(total), c.unit),
                ));
            }
        }
        // Show every k-th label when they would collide, each cut to the room it has.
        let widest = c
            .labels
            .iter()
            .map(|s| text_width(&encode(s), Font::Regular, AXIS_SIZE))
            .fold(0.0, f32::max);
        let stride = (((widest.min(60.0) + 4.0) / slot).ceil() as usize).clamp(1, n);
        for (i, label) in c.labels.iter().enumerate().step_by(stride) {
            let room = slot * stride as f32 - 2.0;
            let text = truncate(&encode(label), Font::Regular, AXIS_SIZE, room, false);
            let cx = plot_x + (i as f32 + 0.5) * slot;
            let tw = text_width(&text, Font::Regular, AXIS_SIZE);
            // Centred under the bar, but never past the page margins.
            let x = (cx - tw / 2.0).min(MARGIN_X + CONTENT_W - tw).max(MARGIN_X);
            l.text(x, plot_bottom - 10.0, Font::Regular, AXIS_SIZE, MUTED, text);
        }
    }
    l.line(plot_x, plot_bottom, plot_x + plot_w, plot_bottom, 0.8, MUTED, false);
    if let Some(t) = target {
        let y = y_of(t);
        l.line(plot_x, y, plot_x + plot_w, y, 1.0, TARGET, true);
    }
    for (cx, room, y, text) in values {
        value_label(l, cx, room, y, &text);
    }
    l.y = plot_bottom - 16.0;

    for row in legend {
        for item in row {
            let by = l.y - 9.0;
            match item.swatch {
                Swatch::Fill(color) => l.rect(item.x, by + 1.0, 7.0, 7.0, color),
                Swatch::Dash => {
                    l.line(item.x, by + 4.5, item.x + 12.0, by + 4.5, 1.0, TARGET, true)
                }
            }
            l.text(item.x + item.swatch_w, by + 1.5, Font::Regular, LEGEND_SIZE, INK, item.text);
        }
        l.y -= 12.0;
    }
    l.y -= BLOCK_GAP;
    Ok(())
}

/// A value printed above its bar, centred on `cx`, but only where it fits in `room`.
fn value_label(l: &mut Layout, cx: f32, room: f32, y: f32, text: &str) {
    const SIZE: f32 = 7.0;
    let text = encode(text);
    let tw = text_width(&text, Font::Regular, SIZE);
    if tw <= room {
        // A white backing keeps the label legible where a grid or target line passes behind it.
        l.rect(cx - tw / 2.0 - 1.5, y + 1.0, tw + 3.0, SIZE + 1.5, WHITE);
        l.text(cx - tw / 2.0, y + 2.5, Font::Regular, SIZE, INK, text);
    }
}

/// How a legend entry is marked.
enum Swatch {
    /// A filled square in the series colour.
    Fill(Rgb),
    /// A dashed line, for the target.
    Dash,
}

/// One placed legend entry.
struct LegendItem {
    /// Left edge.
    x: f32,
    /// The marker.
    swatch: Swatch,
    /// Room taken by the marker before the text.
    swatch_w: f32,
    /// Encoded legend text.
    text: Vec<u8>,
}

/// Legend entries flowed into rows; a lone unnamed series and no target need no legend.
fn legend_rows(c: &Chart<'_>, target: Option<f64>, width: f32, size: f32) -> Vec<Vec<LegendItem>> {
    let mut entries: Vec<(Swatch, f32, Vec<u8>)> = c
        .series
        .iter()
        .enumerate()
        .filter(|(_, (name, _))| !name.trim().is_empty())
        .map(|(s, (name, _))| (Swatch::Fill(PALETTE[s % PALETTE.len()]), 11.0, encode(name)))
        .collect();
    if let Some(t) = target {
        let text = format!("Target {}", with_unit(&format_number(t), c.unit));
        entries.push((Swatch::Dash, 16.0, encode(&text)));
    }
    let mut rows: Vec<Vec<LegendItem>> = Vec::new();
    let mut row: Vec<LegendItem> = Vec::new();
    let mut x = MARGIN_X;
    for (swatch, swatch_w, text) in entries {
        let text = truncate(&text, Font::Regular, size, width / 2.0, false);
        let w = swatch_w + text_width(&text, Font::Regular, size) + 14.0;
        if !row.is_empty() && x + w > MARGIN_X + width {
            rows.push(std::mem::take(&mut row));
            x = MARGIN_X;
        }
        row.push(LegendItem { x, swatch, swatch_w, text });
        x += w;
    }
    if !row.is_empty() {
        rows.push(row);
    }
    // A chart with dozens of series gets a bounded legend rather than a page of it.
    rows.truncate(6);
    rows
}

// ---------------------------------------------------------------------------------------------
// Writing the PDF objects.

/// Rounds a coordinate to 1/100 pt: enough precision, shorter output, and never NaN.
fn coord(v: f32) -> f32 {
    if v.is_finite() { (v * 100.0).round() / 100.0 } else { 0.0 }
}

/// Writes the laid-out pages as a PDF with the two standard fonts.
fn write_pdf(doc: &Document, pages: &[Vec<Op>]) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let pages_id = Ref::new(2);
    let regular_id = Ref::new(3);
    let bold_id = Ref::new(4);
    let info_id = Ref::new(5);
    // Two objects per page (page and content stream) after the fixed ones; the page count is
    // bounded by MAX_PAGES, far inside i32.
    let page_ref = |i: usize, k: i32| Ref::new(6 + 2 * i32::try_from(i).unwrap_or(0) + k);

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(pages_id);
    pdf.pages(pages_id)
        .kids((0..pages.len()).map(|i| page_ref(i, 0)))
        .count(i32::try_from(pages.len()).unwrap_or(0));
    for (i, ops) in pages.iter().enumerate() {
        let mut page = pdf.page(page_ref(i, 0));
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        page.parent(pages_id);
        page.contents(page_ref(i, 1));
        page.resources()
            .fonts()
            .pair(Font::Regular.resource(), regular_id)
            .pair(Font::Bold.resource(), bold_id);
        page.finish();
        let content = content_stream(ops);
        pdf.stream(page_ref(i, 1), &content);
    }
    for (id, name) in [(regular_id, &b"Helvetica"[..]), (bold_id, &b"Helvetica-Bold"[..])] {
        pdf.type1_font(id).base_font(Name(name)).encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    // Only stable fields: a creation date would make every rendering differ.
    let mut info = pdf.document_info(info_id);
    if !doc.title.is_empty() {
        info.title(TextStr(&doc.title));
    }
    if !doc.subtitle.is_empty() {
        info.subject(TextStr(&doc.subtitle));
    }
    info.producer(TextStr("frist"));
    info.finish();
    pdf.finish()
}

/// The content stream of one page, with consecutive texts sharing one text object and colour
/// and font changes written only when they change.
fn content_stream(ops: &[Op]) -> Vec<u8> {
    let mut c = Content::new();
    let mut fill: Option<Rgb> = None;
    let mut stroke: Option<(Rgb, f32, bool)> = None;
    let mut font: Option<(Font, f32)> = None;
    let mut in_text = false;
    let set_fill = |c: &mut Content, fill: &mut Option<Rgb>, color: Rgb| {
        if *fill != Some(color) {
            c.set_fill_rgb(color.0, color.1, color.2);
            *fill = Some(color);
        }
    };
    for op in ops {
        if in_text && !matches!(op, Op::Text { .. }) {
            c.end_text();
            in_text = false;
        }
        match op {
            Op::Text { x, y, font: f, size, color, text } => {
                if !in_text {
                    c.begin_text();
                    in_text = true;
                }
                set_fill(&mut c, &mut fill, *color);
                if font != Some((*f, *size)) {
                    c.set_font(f.resource(), *size);
                    font = Some((*f, *size));
                }
                c.set_text_matrix([1.0, 0.0, 0.0, 1.0, coord(*x), coord(*y)]);
                // The no-break space only steers wrapping; shown as a plain space it extracts as
                // one, so "87.5 %" reads the same whichever space the caller used.
                let shown: Vec<u8> =
                    text.iter().map(|&b| if b == NBSP { b' ' } else { b }).collect();
                c.show(Str(&shown));
            }
            Op::Rect { x, y, w, h, color } => {
                set_fill(&mut c, &mut fill, *color);
                c.rect(coord(*x), coord(*y), coord(*w), coord(*h));
                c.fill_nonzero();
            }
            Op::Line { x1, y1, x2, y2, width, color, dashed } => {
                let wanted = (*color, *width, *dashed);
                if stroke != Some(wanted) {
                    c.set_stroke_rgb(color.0, color.1, color.2);
                    c.set_line_width(*width);
                    if *dashed {
                        c.set_dash_pattern([4.0, 3.0], 0.0);
                    } else {
                        c.set_dash_pattern([] as [f32; 0], 0.0);
                    }
                    stroke = Some(wanted);
                }
                c.move_to(coord(*x1), coord(*y1));
                c.line_to(coord(*x2), coord(*y2));
                c.stroke();
            }
        }
    }
    if in_text {
        c.end_text();
    }
    c.finish().into_vec()
}

/// Helvetica advance widths by WinAnsi code, in 1/1000 em (from the metric-compatible URW
/// Nimbus Sans AFM; 0 for codes that WinAnsi leaves undefined).
#[rustfmt::skip]
const HELVETICA: [u16; 256] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0,
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

/// Helvetica-Bold advance widths by WinAnsi code, in 1/1000 em (as for [`HELVETICA`]).
#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 256] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0,
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0,
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667,
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333,
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611,
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278,
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611,
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278,
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::process::Command;
    use std::time::Instant;

    use super::*;

    /// A document shaped like the monthly SLA report.
    fn sample() -> Document {
        let mut rows: Vec<Vec<String>> = (1..=120)
            .map(|i| {
                vec![
                    format!("T-2026-{i:06}"),
                    format!("Printer på 3. sal virker ikke – igen, nr. {i}"),
                    "P2".to_owned(),
                    format!("{}.{} h", i % 9, i % 10),
                    if i % 7 == 0 { "Breached" } else { "Met" }.to_owned(),
                ]
            })
            .collect();
        rows[0][1] = "Æbleskiver-bestillingssystemet på Ærø kaster fejl ved login for alle \
                      brugere i afdelingen for økonomi — kunden har skrevet flere gange og \
                      ønsker en tilbagemelding hurtigst muligt, gerne med en tidsplan"
            .to_owned();
        Document {
            title: "Monthly SLA report".to_owned(),
            subtitle: "Kundeservice Ærø ApS — November 2026, version 2".to_owned(),
            blocks: vec![
                Block::Heading("Key figures".to_owned()),
                Block::Figures(vec![
                    ("Response target met".to_owned(), "87.5 %".to_owned()),
                    ("Resolution target met".to_owned(), "92.3 %".to_owned()),
                    ("Tickets".to_owned(), "120".to_owned()),
                    ("Breaches".to_owned(), "17".to_owned()),
                    ("Median first response".to_owned(), "1 h 12 min".to_owned()),
                ]),
                Block::Paragraph(
                    "Åbne sager følges op dagligt. Blåbærgrød og øl – æøå ÆØÅ — 100 %.".to_owned(),
                ),
                Block::Bars {
                    title: "Target met per week".to_owned(),
                    labels: vec![
                        "W44".into(),
                        "W45".into(),
                        "W46".into(),
                        "W47".into(),
                        "W48".into(),
                    ],
                    series: vec![
                        ("Response".to_owned(), vec![90.0, 87.5, 100.0, 75.0, 95.5]),
                        ("Resolution".to_owned(), vec![80.0, 92.3, 96.0, 70.0, 99.0]),
                    ],
                    stacked: false,
                    max: Some(100.0),
                    target: Some(95.0),
                    unit: "%".to_owned(),
                },
                Block::Bars {
                    title: "Tickets per priority".to_owned(),
                    labels: vec!["Oct".into(), "Nov".into()],
                    series: vec![
                        ("P1".to_owned(), vec![3.0, 4.0]),
                        ("P2".to_owned(), vec![40.0, 52.0]),
                        ("P3".to_owned(), vec![60.0, 64.0]),
                    ],
                    stacked: true,
                    max: None,
                    target: None,
                    unit: String::new(),
                },
                Block::Heading("Tickets".to_owned()),
                Block::Table {
                    columns: vec![
                        "Ticket".into(),
                        "Title".into(),
                        "Priority".into(),
                        "Resolution time".into(),
                        "SLA".into(),
                    ],
                    numeric: vec![false, false, false, true, false],
                    rows,
                },
            ],
            footer: format!(
                "Version 2 · computed 2026-12-01T05:00:00Z · CSV SHA-256 {}",
                "ab12".repeat(16)
            ),
        }
    }

    /// `pdftotext -layout` of the PDF, or `None` (with a note) where poppler is not installed.
    fn pdftotext(pdf: &[u8], name: &str, pages: Option<(usize, usize)>) -> Option<String> {
        let path =
            std::env::temp_dir().join(format!("frist-pdf-{}-{name}.pdf", std::process::id()));
        std::fs::write(&path, pdf).unwrap();
        let mut cmd = Command::new("pdftotext");
        cmd.arg("-layout");
        if let Some((first, last)) = pages {
            cmd.args(["-f", &first.to_string(), "-l", &last.to_string()]);
        }
        let out = cmd.arg(&path).arg("-").output();
        let _ = std::fs::remove_file(&path);
        match out {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // CI installs poppler-utils: there a missing pdftotext is a failure.
                assert!(std::env::var("CI").is_err(), "pdftotext is missing under CI");
                eprintln!("note: pdftotext not installed (apt-get install poppler-utils); skipped");
                None
            }
            Err(e) => panic!("pdftotext failed to start: {e}"),
            Ok(out) => {
                assert!(
                    out.status.success(),
                    "pdftotext: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                Some(String::from_utf8(out.stdout).unwrap())
            }
        }
    }

    /// The number of pages of a rendered PDF, read from the page tree.
    fn page_count(pdf: &[u8]) -> usize {
        let text = String::from_utf8_lossy(pdf);
        text.matches("/Type /Page\n").count() + text.matches("/Type /Page/").count()
    }

    #[test]
    fn renders_a_pdf() {
        let pdf = render(&sample()).unwrap();
        assert!(pdf.starts_with(b"%PDF-1.7"));
        assert!(pdf.ends_with(b"%%EOF\n") || pdf.ends_with(b"%%EOF"));
        assert!(layout(&sample()).unwrap().len() >= 3, "120 rows should need several pages");
    }

    #[test]
    fn pdftotext_shows_the_figures() {
        let doc = sample();
        let pdf = render(&doc).unwrap();
        let Some(text) = pdftotext(&pdf, "sample", None) else { return };
        let pages = layout(&doc).unwrap().len();
        for needle in [
            "Monthly SLA report",
            "Kundeservice Ærø ApS",
            "November 2026, version 2",
            "87.5 %",
            "92.3 %",
            "T-2026-000001",
            "T-2026-000120",
            "Æbleskiver-bestillingssystemet",
            "Åbne sager følges op dagligt. Blåbærgrød og øl – æøå ÆØÅ — 100 %.",
            "Target 95 %",
            "100 %",
            "Version 2 · computed 2026-12-01T05:00:00Z · CSV SHA-256",
            &"ab12".repeat(16),
            "Page 1 of ",
            &format!("Page {pages} of {pages}"),
        ] {
            assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
        }
        // The header row is repeated on every page the table runs onto.
        assert!(text.matches("Resolution time").count() >= 2, "{text}");
    }

    #[test]
    fn pdftotext_of_a_ticket_id_in_a_crowded_table() {
        let doc = Document {
            title: "T".into(),
            subtitle: String::new(),
            blocks: vec![Block::Table {
                columns: (0..7).map(|i| format!("Column {i}")).collect(),
                numeric: vec![false, false, true, true, true, true, true],
                rows: vec![vec![
                    "T-2026-000123".into(),
                    "word ".repeat(80),
                    "87.5 %".into(),
                    "1 234".into(),
                    "12.0".into(),
                    "0".into(),
                    "99.9 %".into(),
                ]],
            }],
            footer: String::new(),
        };
        let Some(text) = pdftotext(&render(&doc).unwrap(), "crowded", None) else { return };
        for needle in ["T-2026-000123", "87.5 %", "99.9 %", "1 234"] {
            assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
        }
    }

    #[test]
    fn output_is_deterministic() {
        let a = render(&sample()).unwrap();
        let b = render(&sample()).unwrap();
        assert_eq!(a, b);
        let text = String::from_utf8_lossy(&a);
        assert!(!text.contains("CreationDate") && !text.contains("/ID"));
    }

    #[test]
    fn ten_thousand_rows_page_quickly() {
        let rows: Vec<Vec<String>> = (0..10_000)
            .map(|i| {
                vec![
                    format!("T-2026-{i:06}"),
                    format!("Ticket number {i} on Ærø"),
                    format!("{i}.5 %"),
                ]
            })
            .collect();
        let doc = Document {
            title: "Many".into(),
            subtitle: "rows".into(),
            blocks: vec![Block::Table {
                columns: vec!["Ticket".into(), "Title".into(), "Met".into()],
                numeric: vec![false, false, true],
                rows,
            }],
            footer: "footer".into(),
        };
        let start = Instant::now();
        let pdf = render(&doc).unwrap();
        let elapsed = start.elapsed();
        let pages = page_count(&pdf);
        eprintln!("10 000 rows: {pages} pages, {} bytes in {elapsed:?}", pdf.len());
        assert!(pages > 100, "{pages} pages");
        assert_eq!(pages, layout(&doc).unwrap().len());
        assert!(elapsed.as_secs() < 20, "took {elapsed:?}");
        if let Some(text) = pdftotext(&pdf, "many", Some((pages, pages))) {
            assert!(text.contains("T-2026-009999"), "{text}");
            assert!(text.contains("Ticket") && text.contains(&format!("Page {pages} of {pages}")));
        }
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let long_word = "x".repeat(20_000);
        let docs = vec![
            Document::default(),
            Document {
                title: long_word.clone(),
                subtitle: "\u{1F600} emoji, 中文, \u{0}\u{7}\r\ttabs".into(),
                footer: format!("{long_word} {long_word} {long_word} {long_word} {long_word}"),
                blocks: vec![
                    Block::Heading(String::new()),
                    Block::Heading(long_word.clone()),
                    Block::Paragraph(String::new()),
                    Block::Paragraph("\n\n\n".into()),
                    Block::Paragraph(long_word.clone()),
                    Block::Figures(vec![]),
                    Block::Figures(vec![(long_word.clone(), long_word.clone())]),
                    Block::Table { columns: vec![], numeric: vec![], rows: vec![] },
                    Block::Table {
                        columns: vec!["A".into()],
                        numeric: vec![true; 9],
                        rows: vec![],
                    },
                    Block::Table {
                        columns: vec![],
                        numeric: vec![],
                        rows: vec![vec![], vec!["a".into(), "b".into()], vec![long_word.clone()]],
                    },
                    Block::Table {
                        columns: (0..300).map(|i| i.to_string()).collect(),
                        numeric: vec![],
                        rows: vec![(0..300).map(|_| long_word.clone()).collect()],
                    },
                    Block::Bars {
                        title: String::new(),
                        labels: vec![],
                        series: vec![],
                        stacked: false,
                        max: None,
                        target: None,
                        unit: String::new(),
                    },
                    Block::Bars {
                        title: long_word.clone(),
                        labels: (0..5000).map(|i| format!("label {i}")).collect(),
                        series: (0..40)
                            .map(|s| {
                                let values =
                                    vec![f64::NAN, f64::INFINITY, -5.0, 1e300, f64::MAX, 0.0, 3.5];
                                (format!("series {s}"), values)
                            })
                            .collect(),
                        stacked: true,
                        max: Some(f64::NAN),
                        target: Some(f64::INFINITY),
                        unit: long_word.clone(),
                    },
                    Block::Bars {
                        title: "x".into(),
                        labels: vec!["a".into()],
                        series: vec![("".into(), vec![1e-300]), ("b".into(), vec![])],
                        stacked: false,
                        max: Some(-1.0),
                        target: Some(1e308),
                        unit: "%".into(),
                    },
                ],
            },
        ];
        for doc in docs {
            let pdf = render(&doc).unwrap();
            assert!(pdf.starts_with(b"%PDF") && page_count(&pdf) >= 1);
            let text = String::from_utf8_lossy(&pdf);
            assert!(!text.contains("NaN") && !text.contains("inf"), "non-finite number written");
        }
    }

    #[test]
    fn too_many_pages_is_an_error() {
        let doc = Document {
            blocks: vec![Block::Paragraph("line\n".repeat(MAX_PAGES * 60))],
            ..Document::default()
        };
        assert_eq!(render(&doc), Err(PdfError::TooManyPages));
    }

    #[test]
    fn encodes_nordic_letters_and_dashes_as_win_ansi() {
        assert_eq!(encode("æøåÆØÅ"), [0xE6, 0xF8, 0xE5, 0xC6, 0xD8, 0xC5]);
        assert_eq!(encode("–—…%·€"), [0x96, 0x97, 0x85, b'%', 0xB7, 0x80]);
        assert_eq!(encode("a\u{202f}%"), [b'a', NBSP, b'%']);
        assert_eq!(encode("−1 ≥ 中"), b"-1 >= ?");
    }

    #[test]
    fn wrapping_fits_the_width_and_keeps_words() {
        let text = encode("Printer på 3. sal virker ikke igen og igen og igen og igen");
        let lines = wrap(&text, Font::Regular, 10.0, 100.0);
        assert!(lines.len() > 1);
        for line in &lines {
            assert!(text_width(line, Font::Regular, 10.0) <= 100.0 + EPS);
        }
        let joined: Vec<u8> = lines.join(&b' ');
        assert_eq!(joined, text);
        let long = wrap(&encode(&"W".repeat(100)), Font::Bold, 10.0, 50.0);
        assert!(long.len() > 10 && long.iter().all(|l| !l.is_empty()));
        assert_eq!(wrap(b"", Font::Regular, 10.0, 100.0), Vec::<Vec<u8>>::new());
        assert_eq!(wrap(b"ab", Font::Regular, 10.0, -5.0), vec![b"a".to_vec(), b"b".to_vec()]);
        let cut = truncate(&encode("a long ticket title"), Font::Regular, 10.0, 40.0, false);
        assert_eq!(cut.last(), Some(&ELLIPSIS));
        assert!(text_width(&cut, Font::Regular, 10.0) <= 40.0 + EPS);
    }

    #[test]
    fn numbers_are_formatted_for_labels() {
        assert_eq!(format_number(87.5), "87.5");
        assert_eq!(format_number(100.0), "100");
        assert_eq!(format_number(-0.0), "0");
        assert_eq!(format_number(0.25), "0.25");
        assert_eq!(format_number(f64::NAN), "–");
        assert_eq!(format_number(2e300), "2.000e300");
        assert_eq!(with_unit("87.5", "%"), "87.5 %");
        assert_eq!(nice_step(14.0), 20.0);
        assert_eq!(nice_step(0.0), 1.0);
    }
}

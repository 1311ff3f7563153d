//! CSV export of the monthly SLA report, in two profiles.
//!
//! [`Profile::Machine`] is plain RFC 4180 for scripts and other tools: `,`
//! delimiter, CRLF line endings, `.` decimals and UTC RFC 3339 instants.
//! [`Profile::Excel`] is what Danish and Norwegian Excel opens correctly on a
//! double click: a UTF-8 byte order mark (without it Excel assumes the ANSI
//! code page and mangles æøå), `;` delimiter, decimal comma and local wall
//! clock times Excel recognises as date-times.
//!
//! Text users typed goes in as [`Cell::User`] and is neutralised against
//! formula injection (OWASP "CSV Injection", ASVS 5.0 V1.2.10) in both
//! profiles, because machine-profile files get opened in spreadsheets too.

use std::borrow::Cow;
use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;

/// How the CSV is laid out and how values are spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// RFC 4180 with `,`, `.` decimals and UTC RFC 3339 instants.
    Machine,
    /// Danish/Norwegian Excel: BOM, `;`, decimal comma, local times.
    Excel {
        /// The zone whose wall-clock time instants are written in.
        timezone: Tz,
    },
}

/// One field of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Text a user typed (ticket titles, organization names, cause notes):
    /// neutralised against formula injection.
    User(&'a str),
    /// Text frist itself writes (clock names, outcomes): written as is.
    Label(&'a str),
    /// An integer, written plainly; negative numbers stay numbers.
    Int(i64),
    /// A decimal with a fixed number of places (at most 15), e.g. a
    /// percentage 87.5 → `87.5` / `87,5`. NaN and infinities are written
    /// as an empty field.
    Decimal(f64, usize),
    /// A point in time: UTC in [`Profile::Machine`], local in [`Profile::Excel`].
    Instant(DateTime<Utc>),
    /// An empty field.
    Empty,
}

/// Writing the CSV failed.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The CSV encoder failed, e.g. a row had a different number of fields
    /// than the header.
    #[error("writing CSV failed: {0}")]
    Csv(#[from] ::csv::Error),
    /// The underlying writer failed.
    #[error("writing CSV failed: {0}")]
    Io(#[from] std::io::Error),
}

/// More places than an f64 carries significant digits would only print noise.
const MAX_PLACES: usize = 15;

/// Writes report rows in one [`Profile`].
#[derive(Debug)]
pub struct Writer<W: Write> {
    inner: ::csv::Writer<W>,
    profile: Profile,
}

impl<W: Write> Writer<W> {
    /// Starts a CSV document on `out`; for [`Profile::Excel`] this writes the
    /// UTF-8 byte order mark straight away.
    pub fn new(mut out: W, profile: Profile) -> Result<Self, CsvError> {
        let delimiter = match profile {
            Profile::Machine => b',',
            Profile::Excel { .. } => {
                out.write_all("\u{feff}".as_bytes())?;
                b';'
            }
        };
        let inner = ::csv::WriterBuilder::new()
            .delimiter(delimiter)
            // RFC 4180 says CRLF, and Excel reads it on every platform.
            .terminator(::csv::Terminator::CRLF)
            .quote_style(::csv::QuoteStyle::Necessary)
            .from_writer(out);
        Ok(Self { inner, profile })
    }

    /// Writes the header row; column names are frist's own and are not altered.
    pub fn header(&mut self, names: &[&str]) -> Result<(), CsvError> {
        self.inner.write_record(names)?;
        Ok(())
    }

    /// Writes one row. Every row must have as many cells as the first row.
    pub fn row(&mut self, cells: &[Cell<'_>]) -> Result<(), CsvError> {
        let fields: Vec<Cow<'_, str>> = cells.iter().map(|c| self.field(c)).collect();
        self.inner.write_record(fields.iter().map(|f| f.as_bytes()))?;
        Ok(())
    }

    /// Flushes buffered rows to the underlying writer.
    pub fn flush(&mut self) -> Result<(), CsvError> {
        self.inner.flush()?;
        Ok(())
    }

    /// Flushes and hands back the underlying writer.
    pub fn into_inner(self) -> Result<W, CsvError> {
        self.inner.into_inner().map_err(|e| CsvError::Io(e.into_error()))
    }

    fn field<'c>(&self, cell: &Cell<'c>) -> Cow<'c, str> {
        match *cell {
            Cell::User(text) => neutralise(text),
            Cell::Label(text) => Cow::Borrowed(text),
            Cell::Int(n) => Cow::Owned(n.to_string()),
            Cell::Decimal(v, places) => Cow::Owned(self.decimal(v, places)),
            Cell::Instant(at) => Cow::Owned(match self.profile {
                Profile::Machine => at.to_rfc3339_opts(SecondsFormat::Secs, true),
                // No offset: Excel only recognises the bare wall-clock form as a date-time.
                Profile::Excel { timezone } => {
                    at.with_timezone(&timezone).format("%Y-%m-%d %H:%M:%S").to_string()
                }
            }),
            Cell::Empty => Cow::Borrowed(""),
        }
    }

    fn decimal(&self, v: f64, places: usize) -> String {
        if !v.is_finite() {
            return String::new();
        }
        let mut text = format!("{:.*}", places.min(MAX_PLACES), v);
        // -0.04 rounds to "-0.0", which reads as a different number than 0.
        if text.starts_with('-') && text.bytes().all(|b| matches!(b, b'-' | b'0' | b'.')) {
            text.remove(0);
        }
        match self.profile {
            Profile::Machine => text,
            Profile::Excel { .. } => text.replace('.', ","),
        }
    }
}

/// Prefixes text that a spreadsheet would evaluate as a formula with `'`,
/// which makes Excel and LibreOffice show it as text.
fn neutralise(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    const COPENHAGEN: Profile = Profile::Excel { timezone: chrono_tz::Europe::Copenhagen };
    const BOM: &[u8] = b"\xEF\xBB\xBF";

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn write(profile: Profile, header: &[&str], rows: &[Vec<Cell<'_>>]) -> Vec<u8> {
        let mut w = Writer::new(Vec::new(), profile).unwrap();
        w.header(header).unwrap();
        for row in rows {
            w.row(row).unwrap();
        }
        w.into_inner().unwrap()
    }

    /// Parses `bytes` back the way a strict consumer would.
    fn parse(bytes: &[u8], profile: Profile) -> Vec<Vec<String>> {
        let (body, delimiter) = match profile {
            Profile::Machine => (bytes, b','),
            Profile::Excel { .. } => (bytes.strip_prefix(BOM).unwrap(), b';'),
        };
        ::csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .from_reader(body)
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect()
    }

    fn tricky_rows<'a>() -> Vec<Vec<Cell<'a>>> {
        vec![
            vec![
                Cell::User("Printer \"HQ\" down; again, sadly"),
                Cell::Label("response"),
                Cell::Int(-15),
                Cell::Decimal(87.5, 1),
                Cell::Instant(at(2026, 11, 30, 22, 30)),
            ],
            vec![
                Cell::User("line one\r\nline two\nthree"),
                Cell::Label("fix start"),
                Cell::Int(0),
                Cell::Decimal(100.0, 0),
                Cell::Empty,
            ],
            vec![
                Cell::User("Blåbær ApS, Ærø"),
                Cell::Label("-"),
                Cell::Int(i64::MIN),
                Cell::Decimal(-0.04, 1),
                Cell::Instant(at(2026, 7, 1, 0, 0)),
            ],
        ]
    }

    const HEADER: [&str; 5] = ["title", "clock", "minutes", "percent", "at"];

    #[test]
    fn machine_round_trips() {
        let bytes = write(Profile::Machine, &HEADER, &tricky_rows());
        assert!(!bytes.starts_with(BOM));
        assert!(bytes.starts_with(b"title,clock,minutes,percent,at\r\n"));
        let rows = parse(&bytes, Profile::Machine);
        assert_eq!(rows.len(), 4);
        assert!(rows.iter().all(|r| r.len() == 5));
        assert_eq!(
            rows[1],
            [
                "Printer \"HQ\" down; again, sadly",
                "response",
                "-15",
                "87.5",
                "2026-11-30T22:30:00Z"
            ]
        );
        assert_eq!(rows[2], ["line one\r\nline two\nthree", "fix start", "0", "100", ""]);
        assert_eq!(
            rows[3],
            ["Blåbær ApS, Ærø", "-", "-9223372036854775808", "0.0", "2026-07-01T00:00:00Z"]
        );
    }

    #[test]
    fn machine_quotes_only_when_needed() {
        let bytes =
            write(Profile::Machine, &["a", "b"], &[vec![Cell::Label("plain"), Cell::User("x;y")]]);
        assert_eq!(String::from_utf8(bytes).unwrap(), "a,b\r\nplain,x;y\r\n");
    }

    #[test]
    fn excel_round_trips() {
        let bytes = write(COPENHAGEN, &HEADER, &tricky_rows());
        assert!(bytes.starts_with(BOM));
        assert!(!bytes[3..].windows(3).any(|w| w == BOM), "exactly one BOM");
        assert!(bytes[3..].starts_with(b"title;clock;minutes;percent;at\r\n"));
        let rows = parse(&bytes, COPENHAGEN);
        assert_eq!(rows.len(), 4);
        assert!(rows.iter().all(|r| r.len() == 5));
        assert_eq!(
            rows[1],
            ["Printer \"HQ\" down; again, sadly", "response", "-15", "87,5", "2026-11-30 23:30:00"]
        );
        assert_eq!(rows[2], ["line one\r\nline two\nthree", "fix start", "0", "100", ""]);
        assert_eq!(
            rows[3],
            ["Blåbær ApS, Ærø", "-", "-9223372036854775808", "0,0", "2026-07-01 02:00:00"]
        );
        // A decimal comma must not need quoting under the `;` delimiter.
        assert!(String::from_utf8(bytes).unwrap().contains(";-15;87,5;"));
    }

    #[test]
    fn user_text_is_neutralised_in_both_profiles() {
        let inputs = [
            "=HYPERLINK(\"http://evil.example\",\"click\")",
            "+1",
            "-2",
            "@SUM(A1:A2)",
            "\tx",
            "\rx",
        ];
        for profile in [Profile::Machine, COPENHAGEN] {
            let row: Vec<Cell<'_>> = inputs.iter().map(|s| Cell::User(s)).collect();
            let rows = parse(&write(profile, &["a", "b", "c", "d", "e", "f"], &[row]), profile);
            let expected: Vec<String> = inputs.iter().map(|s| format!("'{s}")).collect();
            assert_eq!(rows[1], expected, "{profile:?}");
        }
        assert_eq!(neutralise("=HYPERLINK(x)"), "'=HYPERLINK(x)");
        assert_eq!(neutralise("a=b"), "a=b");
        assert_eq!(neutralise(""), "");
        assert!(matches!(neutralise("Printer"), Cow::Borrowed(_)));
    }

    #[test]
    fn labels_and_numbers_are_never_altered() {
        for profile in [Profile::Machine, COPENHAGEN] {
            let row = [
                Cell::Label("=not a formula, ours"),
                Cell::Int(-15),
                Cell::Decimal(-2.25, 2),
                Cell::User("-15"),
            ];
            let rows = parse(&write(profile, &["a", "b", "c", "d"], &[row.to_vec()]), profile);
            let decimal = if profile == Profile::Machine { "-2.25" } else { "-2,25" };
            assert_eq!(rows[1], ["=not a formula, ours", "-15", decimal, "'-15"]);
        }
    }

    #[test]
    fn decimals_are_fixed_and_finite() {
        let row = [
            Cell::Decimal(87.46, 1),
            Cell::Decimal(1.0 / 3.0, 3),
            Cell::Decimal(f64::NAN, 1),
            Cell::Decimal(f64::INFINITY, 1),
            Cell::Decimal(1.5, usize::MAX),
            Cell::Decimal(-0.0, 0),
        ];
        let header = ["a", "b", "c", "d", "e", "f"];
        let rows = parse(&write(COPENHAGEN, &header, &[row.to_vec()]), COPENHAGEN);
        assert_eq!(rows[1], ["87,5", "0,333", "", "", "1,500000000000000", "0"]);
        let rows = parse(&write(Profile::Machine, &header, &[row.to_vec()]), Profile::Machine);
        assert_eq!(rows[1], ["87.5", "0.333", "", "", "1.500000000000000", "0"]);
    }

    #[test]
    fn excel_local_time_is_dst_correct() {
        // Copenhagen leaves summer time at 01:00 UTC on 2026-10-25, so the
        // local hour 02:00–03:00 happens twice.
        let row = [
            Cell::Instant(at(2026, 10, 25, 0, 30)),
            Cell::Instant(at(2026, 10, 25, 1, 30)),
            Cell::Instant(at(2026, 3, 29, 0, 59)),
            Cell::Instant(at(2026, 3, 29, 1, 0)),
            Cell::Instant(
                Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap()
                    + chrono::Duration::milliseconds(999),
            ),
        ];
        let header = ["a", "b", "c", "d", "e"];
        let rows = parse(&write(COPENHAGEN, &header, &[row.to_vec()]), COPENHAGEN);
        assert_eq!(
            rows[1],
            [
                "2026-10-25 02:30:00",
                "2026-10-25 02:30:00",
                "2026-03-29 01:59:00",
                "2026-03-29 03:00:00",
                "2026-01-01 13:00:00",
            ]
        );
        let oslo = Profile::Excel { timezone: chrono_tz::Europe::Oslo };
        let rows = parse(&write(oslo, &header, &[row.to_vec()]), oslo);
        assert_eq!(rows[1][0], "2026-10-25 02:30:00");
        let rows = parse(&write(Profile::Machine, &header, &[row.to_vec()]), Profile::Machine);
        assert_eq!(rows[1][0], "2026-10-25T00:30:00Z");
        assert_eq!(rows[1][4], "2026-01-01T12:00:00Z");
    }

    #[test]
    fn bom_only_in_excel_even_when_empty() -> TestResult {
        let excel = Writer::new(Vec::new(), COPENHAGEN)?.into_inner()?;
        assert_eq!(excel, BOM);
        let machine = Writer::new(Vec::new(), Profile::Machine)?.into_inner()?;
        assert!(machine.is_empty());
        Ok(())
    }

    #[test]
    fn ragged_rows_are_an_error() -> TestResult {
        let mut w = Writer::new(Vec::new(), Profile::Machine)?;
        w.header(&["a", "b"])?;
        assert!(matches!(w.row(&[Cell::Int(1)]), Err(CsvError::Csv(_))));
        Ok(())
    }
}

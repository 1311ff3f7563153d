//! `frist holidays --country DK --year 2027`: one JSON line per holiday.

use std::io::Write;

use serde::Serialize;

use super::HolidaysArgs;

#[derive(Serialize)]
struct Line<'a> {
    date: chrono::NaiveDate,
    name: &'a str,
}

pub(super) fn run(args: &HolidaysArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    for holiday in args.country.holidays(args.year) {
        serde_json::to_writer(&mut *out, &Line { date: holiday.date, name: holiday.name })?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

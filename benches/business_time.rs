//! Criterion benchmarks of the SLA engine (DESIGN §9: ≥ 1 000 000 deadlines/s on one core).
//!
//! `due` and `elapsed` on the default calendars with spans from 1 h to 2 000 h, each over 1 024
//! start instants spread through 2026 (so the year tables are warm but the searches are not
//! the same every time), and the same arithmetic through the slow reference walk of the
//! property tests for comparison. Run: `cargo bench --bench business_time`.

use std::hint::black_box;

use chrono::{DateTime, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use frist::config::Config;
use frist::sla::{Calendar, Target};

#[path = "../tests/support/reference.rs"]
mod reference;

const STARTS: usize = 1024;
const SPANS_HOURS: [i64; 5] = [1, 10, 100, 1000, 2000];

/// Start instants through 2026, a little over 8.5 hours apart, with odd seconds.
fn starts() -> Vec<DateTime<Utc>> {
    (0..STARTS as i64)
        .filter_map(|i| DateTime::from_timestamp(1_767_225_600 + i * 30_817, 0))
        .collect()
}

fn calendars() -> Vec<(String, Calendar)> {
    let Ok(sla) = Config::default().load_sla() else {
        panic!("the default configuration must load");
    };
    let mut all: Vec<(String, Calendar)> = ["level-1", "level-3", "basic"]
        .into_iter()
        .filter_map(|name| {
            let policy = sla.policy(name)?;
            Some((name.to_owned(), Calendar::new(policy.spec.calendar.clone()).ok()?))
        })
        .collect();
    if let Ok(office) = Calendar::new(sla.provider.spec.office.clone()) {
        all.push(("office-dk".to_owned(), office));
    }
    all
}

fn due(c: &mut Criterion) {
    let starts = starts();
    for (name, calendar) in calendars() {
        let mut group = c.benchmark_group(format!("due/{name}"));
        group.throughput(Throughput::Elements(STARTS as u64));
        for hours in SPANS_HOURS {
            let target = Target::Minutes(hours * 60);
            // Warm the year tables the spans reach.
            for &start in &starts {
                let _ = calendar.due(start, target);
            }
            group.bench_with_input(
                BenchmarkId::from_parameter(format!("{hours}h")),
                &target,
                |b, &target| {
                    b.iter(|| {
                        for &start in &starts {
                            let _ = black_box(calendar.due(black_box(start), target));
                        }
                    });
                },
            );
        }
        group.finish();
    }
}

fn elapsed(c: &mut Criterion) {
    let starts = starts();
    for (name, calendar) in calendars() {
        let mut group = c.benchmark_group(format!("elapsed/{name}"));
        group.throughput(Throughput::Elements(STARTS as u64));
        for hours in SPANS_HOURS {
            let pairs: Vec<_> =
                starts.iter().map(|&a| (a, a + chrono::TimeDelta::hours(hours))).collect();
            for &(a, b) in &pairs {
                let _ = calendar.elapsed(a, b);
            }
            group.bench_with_input(
                BenchmarkId::from_parameter(format!("{hours}h")),
                &pairs,
                |b, pairs| {
                    b.iter(|| {
                        for &(from, to) in pairs {
                            let _ = black_box(calendar.elapsed(black_box(from), black_box(to)));
                        }
                    });
                },
            );
        }
        group.finish();
    }
}

fn reference_walk(c: &mut Criterion) {
    let starts: Vec<i64> = starts().iter().map(DateTime::timestamp).take(32).collect();
    let Ok(sla) = Config::default().load_sla() else {
        panic!("the default configuration must load");
    };
    let Some(level_1) = sla.policy("level-1") else {
        panic!("level-1 is a default policy");
    };
    let spec = &level_1.spec.calendar;
    let mut group = c.benchmark_group("reference_due/level-1");
    group.throughput(Throughput::Elements(starts.len() as u64));
    group.sample_size(10);
    for hours in SPANS_HOURS {
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{hours}h")),
            &hours,
            |b, &hours| {
                b.iter(|| {
                    for &start in &starts {
                        let _ =
                            black_box(reference::due_secs(spec, black_box(start), hours * 3600));
                    }
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, due, elapsed, reference_walk);
criterion_main!(benches);

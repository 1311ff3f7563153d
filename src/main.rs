//! The `frist` binary: parse the command line, read the configuration, dispatch.

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;
use frist::cli::{Cli, run};
use frist::config::Config;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("frist: {error}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let stdin = std::io::stdin();
    let mut stdin = stdin.lock();
    let mut stdout = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let result = run(cli, &config, &mut stdin, &mut stdout);
    let flushed = stdout.flush();
    match result.and(flushed.map_err(Into::into)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("frist: {error:#}");
            ExitCode::from(2)
        }
    }
}

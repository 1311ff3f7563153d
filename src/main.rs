//! The `frist` binary: parse the command line, dispatch.

fn main() {}

//! Print the Markdown ratio table of criterion's results:
//!
//! ```sh
//! cargo run -p kiln-benches --bin report                       # latest run
//! cargo run -p kiln-benches --bin report -- --baseline main    # a saved baseline
//! cargo run -p kiln-benches --bin report -- --dir path/to/criterion
//! cargo run -p kiln-benches --bin report -- --pair kiln-explicit,kiln-explicit-nospectre
//! ```
//!
//! `--pair A,B` prints A ÷ B instead, for two runtime ids (e.g. two Kiln
//! variants, see `KILN_BENCH_VARIANTS`).
//!
//! The criterion directory defaults to `$CARGO_TARGET_DIR/criterion`, else
//! the workspace's `target/criterion`.

use anyhow::{Result, bail};
use kiln_benches::report::{
    collect, markdown, pair_markdown, rows, variant_rows, variants_markdown,
};
use std::path::PathBuf;

fn main() -> Result<()> {
    let mut dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => PathBuf::from(t).join("criterion"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/criterion"),
    };
    let mut which = "new".to_string();
    let mut pair = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--dir", Some(d)) => dir = d.into(),
            ("--baseline", Some(b)) => which = b,
            ("--pair", Some(p)) => match p.split_once(',') {
                Some((a, b)) => pair = Some((a.to_string(), b.to_string())),
                None => bail!("--pair takes two runtime ids: A,B"),
            },
            _ => bail!("usage: report [--dir CRITERION_DIR] [--baseline NAME] [--pair A,B]"),
        }
    }
    let estimates = collect(&dir, &which)?;
    if estimates.is_empty() {
        bail!(
            "no `{which}` estimates below {}: run the benches first",
            dir.display()
        );
    }
    match pair {
        None => {
            print!("{}", markdown(&rows(&estimates)));
            print!("{}", variants_markdown(&variant_rows(&estimates)));
        }
        Some((a, b)) => match pair_markdown(&estimates, &a, &b) {
            Some(md) => print!("{md}"),
            None => bail!("no benchmark has estimates for both `{a}` and `{b}`"),
        },
    }
    Ok(())
}

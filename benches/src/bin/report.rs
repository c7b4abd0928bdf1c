//! Print the Markdown ratio table of criterion's results:
//!
//! ```sh
//! cargo run -p kiln-benches --bin report                       # latest run
//! cargo run -p kiln-benches --bin report -- --baseline main    # a saved baseline
//! cargo run -p kiln-benches --bin report -- --dir path/to/criterion
//! ```
//!
//! The criterion directory defaults to `$CARGO_TARGET_DIR/criterion`, else
//! the workspace's `target/criterion`.

use anyhow::{Result, bail};
use kiln_benches::report::{collect, markdown, rows, variant_rows, variants_markdown};
use std::path::PathBuf;

fn main() -> Result<()> {
    let mut dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => PathBuf::from(t).join("criterion"),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/criterion"),
    };
    let mut which = "new".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--dir", Some(d)) => dir = d.into(),
            ("--baseline", Some(b)) => which = b,
            _ => bail!("usage: report [--dir CRITERION_DIR] [--baseline NAME]"),
        }
    }
    let estimates = collect(&dir, &which)?;
    if estimates.is_empty() {
        bail!(
            "no `{which}` estimates below {}: run the benches first",
            dir.display()
        );
    }
    print!("{}", markdown(&rows(&estimates)));
    print!("{}", variants_markdown(&variant_rows(&estimates)));
    Ok(())
}

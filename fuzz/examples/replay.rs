//! Runs every input of fuzz corpora through its target's body, once, on
//! stable Rust and without libFuzzer: the way to measure the code a corpus
//! reaches (under `cargo llvm-cov run`), and a quick check that a corpus
//! from a campaign elsewhere still runs clean here.
//!
//! ```sh
//! cargo run -p kiln-fuzz --example replay -- fuzz/corpus            # every target
//! cargo run -p kiln-fuzz --example replay -- fuzz/corpus compile    # some targets
//! cargo llvm-cov run -p kiln-fuzz --example replay -- fuzz/corpus   # with coverage
//! ```
//!
//! The directory holds one folder per target (`cargo fuzz`'s layout:
//! `corpus/<target>/<input>`); a target without one is reported, not an
//! error. A failing input panics, as under libFuzzer, naming the file.

use kiln_fuzz::{TARGETS, fuzz};
use std::path::Path;
use std::time::Instant;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(root) = args.next() else {
        eprintln!("usage: replay CORPUS_DIR [TARGET...]");
        std::process::exit(2);
    };
    let wanted: Vec<String> = args.collect();
    if let Some(unknown) = wanted
        .iter()
        .find(|w| !TARGETS.iter().any(|(name, _)| name == w))
    {
        let names: Vec<_> = TARGETS.iter().map(|(name, _)| *name).collect();
        eprintln!("no target `{unknown}` (targets: {})", names.join(", "));
        std::process::exit(2);
    }
    for (name, body) in TARGETS {
        if !wanted.is_empty() && !wanted.iter().any(|w| w == name) {
            continue;
        }
        let dir = Path::new(&root).join(name);
        if !dir.is_dir() {
            println!("{name}: no corpus at {}", dir.display());
            continue;
        }
        let inputs = kiln_fuzz::inputs(&dir)?;
        let start = Instant::now();
        for path in &inputs {
            let data = std::fs::read(path)?;
            // libFuzzer would report the panic with the input; say which
            // file it was, since nothing else records it here.
            let outcome = std::panic::catch_unwind(|| fuzz(*body, &data));
            if let Err(panic) = outcome {
                eprintln!("{name}: {} failed", path.display());
                std::panic::resume_unwind(panic);
            }
        }
        println!("{name}: {} inputs in {:.1?}", inputs.len(), start.elapsed());
    }
    Ok(())
}

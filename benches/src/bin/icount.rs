//! One Kiln phase of one benchmark, for counting its instructions under
//! callgrind (`benches/icount.sh` runs it with `--collect-atstart=no`):
//!
//! ```sh
//! icount compile NAME   # counts Module::new, single-threaded
//! icount execute NAME   # counts bench.start..bench.end; output checked
//! icount instantiate NAME # counts 100 instantiations (store + instance)
//! ```

use anyhow::{Context, Result, bail};
use kiln::{Config, Engine};
use kiln_benches::callgrind::toggle_collect;
use kiln_benches::runtime::Runtime;
use kiln_benches::runtime::kiln::Kiln;
use kiln_benches::{bench_wasm_dir, suite};

/// Instantiations counted by the `instantiate` phase (its count ÷ this is
/// the cost of one, store creation and drop included).
const INSTANTIATIONS: u32 = 100;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [phase, name] = args.as_slice() else {
        bail!("usage: icount compile|instantiate|execute BENCHMARK");
    };
    let (benches, skipped) = suite::load(&bench_wasm_dir()?)?;
    let Some(bench) = benches.iter().find(|b| &b.name == name) else {
        match skipped.iter().find(|s| &s.name == name) {
            Some(s) => bail!("{name} is skipped: {}", s.reason),
            None => bail!("no benchmark `{name}`"),
        }
    };
    // One thread: counts do not depend on scheduling.
    let mut config = Config::new();
    config.parallel_compilation(false);
    let kiln = Kiln::new(Engine::new(&config)?);
    match phase.as_str() {
        "compile" => {
            toggle_collect();
            let module = kiln.compile(&bench.wasm);
            toggle_collect();
            module.with_context(|| format!("compiling {name}"))?;
        }
        "instantiate" => {
            let module = kiln.compile(&bench.wasm)?;
            // One untimed round first: lazily initialised state (the
            // signal handler, trampolines) is not part of the steady state.
            drop(kiln.instantiate(&module, bench)?);
            toggle_collect();
            for _ in 0..INSTANTIATIONS {
                drop(kiln.instantiate(&module, bench)?);
            }
            toggle_collect();
        }
        "execute" => {
            let module = kiln.compile(&bench.wasm)?;
            let outcome = kiln.execute(&module, bench)?;
            bench.check(Kiln::NAME, &outcome);
        }
        _ => bail!("unknown phase `{phase}`: compile, instantiate or execute"),
    }
    Ok(())
}

//! A sanity check of what the pooling allocator saves, not a benchmark
//! (`benches/` has those): instantiate a small module, call it and drop its
//! store, 10,000 times, on demand and with the pooling allocator, and
//! print the time per round of each.
//!
//! `cargo run -p kiln --example instantiate_loop [ROUNDS [on-demand|pooling]]`
//! (both strategies unless one is named; under `strace -c` one names
//! which system calls each round makes).

use kiln::*;
use std::time::Instant;

/// One memory with a data segment (a memory image), one table, a global.
const WAT: &str = r#"(module
    (memory 1)
    (table 10 funcref)
    (global $g (mut i32) (i32.const 0))
    (data (i32.const 1024) "some data")
    (func (export "run") (result i32)
        (i32.store (i32.const 0) (i32.const 1))
        (global.set $g (i32.const 1))
        (i32.load (i32.const 1024))))"#;

fn main() -> Result<()> {
    let rounds: u32 = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 10_000,
    };
    let only = std::env::args().nth(2);
    let strategies = [
        ("on-demand", InstanceAllocationStrategy::OnDemand),
        ("pooling", InstanceAllocationStrategy::pooling()),
    ];
    let chosen = strategies
        .into_iter()
        .filter(|(name, _)| only.as_deref().is_none_or(|only| only == *name));
    for (name, strategy) in chosen {
        let mut config = Config::new();
        config.allocation_strategy(strategy);
        let engine = Engine::new(&config)?;
        let module = Module::new(&engine, WAT)?;
        let start = Instant::now();
        for _ in 0..rounds {
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, &module, &[])?;
            let run = instance.get_typed_func::<(), i32>(&mut store, "run")?;
            run.call(&mut store, ())?;
        }
        let elapsed = start.elapsed();
        println!(
            "{name}: {rounds} x (instantiate + call + drop) in {elapsed:.2?}, {:.2} us each",
            elapsed.as_secs_f64() * 1e6 / f64::from(rounds)
        );
    }
    Ok(())
}

//! Damaged artifacts are refused cleanly: every byte of a small artifact,
//! flipped (XOR 0xff) and bumped (+1), makes `Module::deserialize` return
//! an `Err` that says the artifact is damaged — never a panic, a signal, or
//! a module that loads.
//!
//! The sweep runs in a child process (this test binary again, running only
//! the ignored `sweep_child` test), so a panic or a fatal signal ends the
//! child instead of being caught: the parent counts it against the trial
//! the child was on and starts a new child after it. Nothing here uses
//! `catch_unwind`.

use kiln::{Config, Engine, Global, GlobalType, Linker, Module, Mutability, Store, Val, ValType};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::process::ExitStatusExt as _;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A module whose metadata has a bit of everything: imports of a function
/// and a global, a table with active, passive and declared element
/// segments, a memory with active and passive data, globals initialised
/// from an import and by `ref.func`, exports of every kind, a start
/// function and names.
const WAT: &str = r#"(module $damage
  (import "host" "log" (func $log (param i32)))
  (import "host" "base" (global $base i32))
  (type $binop (func (param i32 i32) (result i32)))
  (memory (export "memory") 1 2)
  (table $t (export "table") 4 funcref)
  (global $counter (export "counter") (mut i32) (global.get $base))
  (global $fref funcref (ref.func $add))
  (func $add (export "add") (type $binop) local.get 0 local.get 1 i32.add)
  (func $mul (type $binop) local.get 0 local.get 1 i32.mul)
  (func $init (global.set $counter (i32.add (global.get $counter) (i32.const 1))))
  (func (export "run") (param i32) (result i32)
    (call $log (local.get 0))
    (table.init $t 1 (i32.const 2) (i32.const 0) (i32.const 1))
    (i32.add
      (i32.add
        (call_indirect (type $binop) (local.get 0) (i32.const 3) (i32.const 1))
        (call_indirect (type $binop) (local.get 0) (i32.const 3) (i32.const 0)))
      (i32.add (i32.load8_u (i32.const 1)) (global.get $counter))))
  (elem (i32.const 0) $add $mul)
  (elem funcref (ref.func $add))
  (elem declare func $init)
  (data (i32.const 0) "\01\02\03")
  (data "passive")
  (start $init))"#;

/// `run(5)` with `base` = 10: $mul(5, 3) + $add(5, 3) + 2 + (10 + 1).
const EXPECTED: i32 = 15 + 8 + 2 + 11;

fn config() -> Config {
    let mut config = Config::new();
    // Bounded, should a damaged artifact load and loop.
    config.consume_fuel(true);
    config
}

/// The pristine artifact.
fn artifact() -> Vec<u8> {
    Engine::new(&config())
        .unwrap()
        .precompile_module(WAT.as_bytes())
        .unwrap()
}

/// Load `bytes`; if that succeeds, instantiate and run it. `Ok` carries
/// the refusal, `Err` what happened instead.
fn load(engine: &Engine, bytes: &[u8]) -> Result<String, String> {
    // SAFETY: loading is what is under test; a damaged artifact that loads
    // is reported, and only then run (in a child process, with fuel).
    let module = match unsafe { Module::deserialize(engine, bytes) } {
        Err(e) => return Ok(format!("{e:#}")),
        Ok(module) => module,
    };
    let mut store = Store::new(engine, ());
    store.set_fuel(1_000_000).unwrap();
    let mut linker = Linker::new(engine);
    linker.func_wrap("host", "log", |_: i32| {}).unwrap();
    let base = Global::new(
        &mut store,
        GlobalType::new(ValType::I32, Mutability::Const),
        Val::I32(10),
    )
    .unwrap();
    linker.define("host", "base", base).unwrap();
    let result = linker
        .instantiate(&mut store, &module)
        .and_then(|i| i.get_typed_func::<i32, i32>(&mut store, "run"))
        .and_then(|run| run.call(&mut store, 5));
    Err(match result {
        Ok(EXPECTED) => "loaded, and ran as the original".to_string(),
        Ok(other) => format!("loaded, and returned {other} (not {EXPECTED})"),
        Err(e) => format!("loaded, then failed: {e:#}"),
    })
}

/// Trial `t` damages byte `t / 2`: XOR 0xff for even `t`, +1 for odd.
fn damaged(bytes: &[u8], t: usize) -> Vec<u8> {
    let mut bytes = bytes.to_vec();
    let b = &mut bytes[t / 2];
    *b = if t.is_multiple_of(2) {
        *b ^ 0xff
    } else {
        b.wrapping_add(1)
    };
    bytes
}

/// How long one trial may take before the child reports a hang.
const TRIAL_LIMIT: Duration = Duration::from_secs(10);

/// The sweep's child: runs trials from `KILN_DAMAGE_FROM` on, printing one
/// line per trial to stderr (unbuffered, so a crash loses none). A panic or
/// a trial that hangs ends the child with a line saying so.
#[test]
#[ignore = "the child process of `every_damaged_byte_is_refused`"]
fn sweep_child() {
    let path = std::env::var("KILN_DAMAGE_ARTIFACT").expect("run by the parent test");
    let from: usize = std::env::var("KILN_DAMAGE_FROM").unwrap().parse().unwrap();
    std::panic::set_hook(Box::new(|info| {
        let _ = writeln!(std::io::stderr(), "sweep panic {info}");
        std::process::abort();
    }));
    // Trials started, so the watchdog sees one that does not end.
    static STARTED: AtomicUsize = AtomicUsize::new(0);
    std::thread::spawn(|| {
        let mut last = (usize::MAX, Instant::now());
        loop {
            std::thread::sleep(Duration::from_millis(100));
            let now = STARTED.load(Ordering::Relaxed);
            if now != last.0 {
                last = (now, Instant::now());
            } else if last.1.elapsed() > TRIAL_LIMIT {
                let _ = writeln!(std::io::stderr(), "sweep hang");
                std::process::abort();
            }
        }
    });
    let bytes = std::fs::read(path).unwrap();
    let engine = Engine::new(&config()).unwrap();
    for t in from..2 * bytes.len() {
        STARTED.fetch_add(1, Ordering::Relaxed);
        let line = match load(&engine, &damaged(&bytes, t)) {
            Ok(refusal) => format!("sweep {t} refused {refusal}"),
            Err(what) => format!("sweep {t} {what}"),
        };
        let line = line.replace('\n', " | ");
        writeln!(std::io::stderr(), "{line}").unwrap();
    }
}

/// Where each byte of `bytes` (an ELF file) lies: the file header, the
/// section header table, a named section, or between them.
fn regions(bytes: &[u8]) -> Vec<&'static str> {
    use object::{Object as _, ObjectSection as _};
    let mut region = vec!["other"; bytes.len()];
    let file = object::File::parse(bytes).unwrap();
    let object::File::Elf64(elf) = &file else {
        panic!("a 64-bit ELF file")
    };
    let header = elf.elf_header();
    let e = object::Endianness::Little;
    let shoff = header.e_shoff.get(e) as usize;
    let shsize = header.e_shnum.get(e) as usize * header.e_shentsize.get(e) as usize;
    region[shoff..shoff + shsize].fill("section headers");
    for section in file.sections() {
        if let Some((start, len)) = section.file_range() {
            let name: &'static str = section.name().unwrap().to_string().leak();
            region[start as usize..(start + len) as usize].fill(name);
        }
    }
    region[..64].fill("ELF header");
    region
}

#[test]
fn every_damaged_byte_is_refused() {
    let bytes = artifact();
    let engine = Engine::new(&config()).unwrap();
    assert_eq!(
        load(&engine, &bytes),
        Err("loaded, and ran as the original".to_string()),
        "the pristine artifact runs"
    );
    let dir = std::env::temp_dir().join(format!("kiln-damage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("pristine.kwasm");
    std::fs::write(&path, &bytes).unwrap();

    // One outcome per trial: "refused", or what happened instead.
    let trials = 2 * bytes.len();
    let mut outcomes: Vec<Option<String>> = vec![None; trials];
    let mut from = 0;
    while from < trials {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "sweep_child", "--nocapture"])
            .args(["--test-threads", "1"])
            .env("KILN_DAMAGE_ARTIFACT", &path)
            .env("KILN_DAMAGE_FROM", from.to_string())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut died = None;
        for line in stderr.lines() {
            if let Some(what) = line.strip_prefix("sweep panic ") {
                died = Some(format!("panic: {what}"));
                continue;
            }
            if line == "sweep hang" {
                died = Some(format!("hang: no answer within {TRIAL_LIMIT:?}"));
                continue;
            }
            let Some(rest) = line.strip_prefix("sweep ") else {
                continue;
            };
            let (t, outcome) = rest.split_once(' ').unwrap();
            let t: usize = t.parse().unwrap();
            outcomes[t] = Some(match outcome.strip_prefix("refused ") {
                // A clean refusal says what is wrong with the artifact.
                Some(e) if e.contains("damaged artifact") => "refused".to_string(),
                Some(e) => format!("refused without saying the artifact is damaged: {e}"),
                None => outcome.to_string(),
            });
            from = t + 1;
        }
        if out.status.success() {
            assert_eq!(from, trials, "the child stopped early: {stderr}");
            break;
        }
        // The child died on trial `from`.
        outcomes[from] = Some(match (died, out.status.signal()) {
            (Some(what), _) => what,
            (None, Some(signal)) => format!("signal {signal}"),
            (None, None) => format!("child failed: {stderr}"),
        });
        from += 1;
    }
    std::fs::remove_dir_all(&dir).unwrap();

    // Counts per region and outcome kind, for the record.
    let region = regions(&bytes);
    let kind = |o: &str| -> &'static str {
        match o {
            "refused" => "refused",
            o if o.starts_with("panic") => "panic",
            o if o.starts_with("signal") => "signal",
            o if o.starts_with("hang") => "hang",
            o if o.starts_with("loaded") => "loaded",
            _ => "unclear refusal",
        }
    };
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (t, o) in outcomes.iter().enumerate() {
        let o = o.as_deref().expect("every trial has an outcome");
        *counts.entry((region[t / 2], kind(o))).or_default() += 1;
    }
    eprintln!(
        "{} bytes, {trials} trials (XOR 0xff and +1 at every byte):",
        bytes.len()
    );
    for ((region, kind), n) in &counts {
        eprintln!("  {region:>16}: {n:>5} {kind}");
    }
    let mut total: BTreeMap<&str, usize> = BTreeMap::new();
    for ((_, kind), n) in &counts {
        *total.entry(kind).or_default() += n;
    }
    eprintln!("  total: {total:?}");
    let bad: Vec<String> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(t, o)| {
            let o = o.as_deref().unwrap();
            (o != "refused").then(|| {
                format!(
                    "byte {} ({}) {}: {o}",
                    t / 2,
                    region[t / 2],
                    if t.is_multiple_of(2) {
                        "xor 0xff"
                    } else {
                        "+1"
                    }
                )
            })
        })
        .collect();
    assert!(
        bad.is_empty(),
        "{} of {trials} damaged artifacts were not refused cleanly:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

//! `compile`: the engine's verdict on arbitrary bytes must agree with
//! wasmparser's validator under the same features, and compiling must
//! never panic.
//!
//! Inputs are used two ways, chosen by the first byte:
//! * even: the rest is the module, raw (libFuzzer mutates bytes; the seed
//!   corpus holds valid modules to mutate);
//! * odd: the rest drives wasm-smith with `allow_invalid_funcs` (function
//!   bodies may be invalid) and a random subset of features that may
//!   exceed the engine's, so the validator's verdict is exercised deep in
//!   code and at feature boundaries.
//!
//! The engine is stricter than wasmparser in one documented way (see
//! ARCHITECTURE.md, "Deviations"): the limits of 32-bit memories and
//! tables must be plain `u32` LEBs, as in Wasm 2.0 (64-bit ones take `u64`
//! LEBs). [`wasm2_limits_ok`] re-checks that here independently.

use crate::say;
use arbitrary::{Result, Unstructured};
use kiln::{Config, Engine, Features, Module};
use std::sync::OnceLock;
use wasmparser::{Parser, Payload, Validator};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = Config::new();
        config
            .wasm_features(Features::ALL)
            .parallel_compilation(false);
        Engine::new(&config).expect("default engine")
    })
}

pub fn run(data: &[u8]) -> Result<()> {
    let Some((&mode, rest)) = data.split_first() else {
        return Ok(());
    };
    let wasm = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        let mut u = Unstructured::new(rest);
        let mut config = crate::generate::smith_config(&mut u)?;
        config.allow_invalid_funcs = u.ratio(1, 2)?;
        // Now and then, features beyond the engine's: it must refuse them.
        if u.ratio(1, 4)? {
            config.simd_enabled = u.arbitrary()?;
            config.threads_enabled = u.arbitrary()?;
            config.memory64_enabled = u.arbitrary()?;
            config.tail_call_enabled = u.arbitrary()?;
            config.extended_const_enabled = u.arbitrary()?;
            config.max_memories = u.int_in_range(1..=2)?;
        }
        if u.ratio(1, 8)? {
            config.reference_types_enabled = false;
            config.max_tables = 1;
            config.bulk_memory_enabled = u.arbitrary()?;
        }
        wasm_smith::Module::new(config, &mut u)?.to_bytes()
    };
    check(&wasm);
    Ok(())
}

/// Compare the engine's verdicts on `wasm` with the reference one.
pub fn check(wasm: &[u8]) {
    crate::log::module("input", wasm);
    let expected = reference_verdict(wasm);
    say!("reference verdict: {expected:?}");
    let validated = Module::validate(engine(), wasm);
    let compiled = Module::from_binary(engine(), wasm);
    say!(
        "engine: validate {:?}, compile {:?}",
        validated.as_ref().map_err(|e| format!("{e:#}")),
        compiled.as_ref().map(drop).map_err(|e| format!("{e:#}"))
    );
    // `Module::validate` also accepts WAT text; bytes that are not a
    // binary module (no `\0asm`) go through the text parser first.
    let is_binary = wasm.starts_with(b"\0asm");
    if is_binary {
        assert_eq!(
            validated.is_ok(),
            expected.is_ok(),
            "Module::validate disagrees with wasmparser: engine {:?}, wasmparser {:?}",
            validated.as_ref().map_err(|e| format!("{e:#}")),
            expected
        );
    }
    assert_eq!(
        compiled.is_ok(),
        expected.is_ok(),
        "Module::from_binary disagrees with wasmparser: engine {:?}, wasmparser {:?}",
        compiled.as_ref().map(drop).map_err(|e| format!("{e:#}")),
        expected
    );
    if let Ok(module) = compiled {
        // Walking the module's types must not panic either.
        module.imports().for_each(|i| drop(i.ty()));
        module.exports().for_each(|e| drop(e.ty()));
    }
}

/// wasmparser's verdict with the engine's features, plus the Wasm 2.0
/// limits encoding.
pub fn reference_verdict(wasm: &[u8]) -> std::result::Result<(), String> {
    let mut validator = Validator::new_with_features(Features::ALL.wasmparser());
    validator
        .validate_all(wasm)
        .map_err(|e| format!("wasmparser: {e}"))?;
    wasm2_limits_ok(wasm)
}

/// Whether every memory and table limit (in the import, memory and table
/// sections) is a `u32` LEB of at most 5 bytes with no excess bits, as
/// Wasm 2.0's binary format requires, or for a 64-bit memory or table
/// (flag `0x04`) a `u64` LEB of at most 10. Only called on modules
/// wasmparser accepted.
pub fn wasm2_limits_ok(wasm: &[u8]) -> std::result::Result<(), String> {
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(payload) = payload else { return Ok(()) };
        let (range, kind) = match &payload {
            Payload::ImportSection(s) => (s.range(), Section::Import),
            Payload::MemorySection(s) => (s.range(), Section::Memory),
            Payload::TableSection(s) => (s.range(), Section::Table),
            _ => continue,
        };
        let bytes = &wasm[range.start as usize..range.end as usize];
        let mut pos = 0;
        check_section(bytes, &mut pos, kind)
            .ok_or_else(|| format!("limits in section at {} are not u32 LEBs", range.start))?;
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Import,
    Memory,
    Table,
}

/// A minimal LEB reader, written from the spec, sharing nothing with the
/// engine's. `None`: the section breaks the Wasm 2.0 limits rule.
fn check_section(b: &[u8], pos: &mut usize, kind: Section) -> Option<()> {
    fn byte(b: &[u8], pos: &mut usize) -> Option<u8> {
        let v = *b.get(*pos)?;
        *pos += 1;
        Some(v)
    }
    /// An unsigned LEB of at most `bits` bits.
    fn leb(b: &[u8], pos: &mut usize, bits: u32) -> Option<u64> {
        let mut result: u64 = 0;
        let max_bytes = bits.div_ceil(7);
        for i in 0..max_bytes {
            let v = byte(b, pos)?;
            result |= u64::from(v & 0x7f) << (7 * i);
            if v & 0x80 == 0 {
                // The last byte may only use the bits left.
                if i == max_bytes - 1 && u32::from(v) >> (bits - 7 * i) != 0 {
                    return None;
                }
                return Some(result);
            }
        }
        None
    }
    fn u32_leb(b: &[u8], pos: &mut usize) -> Option<u32> {
        leb(b, pos, 32).map(|v| v as u32)
    }
    fn name(b: &[u8], pos: &mut usize) -> Option<()> {
        let len = u32_leb(b, pos)? as usize;
        *pos = pos.checked_add(len)?;
        (*pos <= b.len()).then_some(())
    }
    fn limits(b: &[u8], pos: &mut usize) -> Option<()> {
        let flags = byte(b, pos)?;
        let bits = if flags & 0x04 != 0 { 64 } else { 32 };
        leb(b, pos, bits)?;
        if flags & 1 != 0 {
            leb(b, pos, bits)?;
        }
        if flags & 0x08 != 0 {
            // The custom page size's log2.
            u32_leb(b, pos)?;
        }
        Some(())
    }
    let count = u32_leb(b, pos)?;
    for _ in 0..count {
        if kind == Section::Import {
            name(b, pos)?;
            name(b, pos)?;
            match byte(b, pos)? {
                0x00 => drop(u32_leb(b, pos)?),
                0x01 => {
                    byte(b, pos)?;
                    limits(b, pos)?;
                }
                0x02 => limits(b, pos)?,
                0x03 => {
                    byte(b, pos)?;
                    byte(b, pos)?;
                }
                // Not Wasm 2.0; wasmparser already judged it.
                _ => return Some(()),
            }
        } else {
            if kind == Section::Table {
                // The element type: one byte in Wasm 2.0.
                byte(b, pos)?;
            }
            limits(b, pos)?;
        }
    }
    Some(())
}

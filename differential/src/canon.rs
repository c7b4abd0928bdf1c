//! Completes wasm-smith's NaN canonicalisation. `canonicalize_nans`
//! canonicalises the results of float arithmetic, but not those of
//! `f32.demote_f64` and `f64.promote_f32`, whose NaN results the spec also
//! leaves nondeterministic (the engine keeps x86's payload, the
//! interpreter canonicalises). This pass rewrites every function body so
//! that each conversion is followed by the same select-based
//! canonicalisation wasm-smith uses, through two scratch locals appended
//! to each function.

use wasmparser::{FunctionBody, Operator, Parser, Payload};

const CANON_F32: u32 = 0x7fc0_0000;
const CANON_F64: u64 = 0x7ff8_0000_0000_0000;

fn leb(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// `wasm` with every promote/demote result canonicalised. `None` if the
/// module does not parse, or the result does not validate.
pub fn canonicalize_conversions(wasm: &[u8]) -> Option<Vec<u8>> {
    let mut func_types: Vec<u32> = Vec::new();
    let mut params_per_type: Vec<u32> = Vec::new();
    let mut bodies: Vec<FunctionBody> = Vec::new();
    let mut code_range = None;
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            Payload::TypeSection(r) => {
                for ty in r.into_iter_err_on_gc_types() {
                    params_per_type.push(ty.ok()?.params().len() as u32);
                }
            }
            Payload::FunctionSection(r) => {
                for t in r {
                    func_types.push(t.ok()?);
                }
            }
            Payload::CodeSectionStart {
                unchecked_range: range,
                ..
            } => {
                let start = usize::try_from(range.start).ok()?;
                code_range = Some(start..usize::try_from(range.end).ok()?);
            }
            Payload::CodeSectionEntry(body) => bodies.push(body),
            _ => {}
        }
    }
    let Some(code_range) = code_range else {
        return Some(wasm.to_vec());
    };
    // Generated modules have no imports, so body i is function i.
    let mut section = Vec::new();
    leb(bodies.len() as u64, &mut section);
    for (i, body) in bodies.iter().enumerate() {
        let params = *params_per_type.get(*func_types.get(i)? as usize)?;
        let new = rewrite_body(body, params)?;
        leb(new.len() as u64, &mut section);
        section.extend_from_slice(&new);
    }
    let mut size = Vec::new();
    leb(code_range.len() as u64, &mut size);
    // Header (id 10, size) before the contents, minimal LEBs assumed;
    // validation catches a wrong assumption.
    let header_start = code_range.start.checked_sub(1 + size.len())?;
    let mut out = wasm.get(..header_start)?.to_vec();
    out.push(10);
    leb(section.len() as u64, &mut out);
    out.extend_from_slice(&section);
    out.extend_from_slice(wasm.get(code_range.end..)?);
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::WASM2)
        .validate_all(&out)
        .ok()?;
    Some(out)
}

fn rewrite_body(body: &FunctionBody, params: u32) -> Option<Vec<u8>> {
    let locals = body.get_locals_reader().ok()?;
    let groups = locals.get_count();
    let mut declared = 0u32;
    let mut local_bytes = Vec::new();
    for group in locals {
        let (count, ty) = group.ok()?;
        declared = declared.checked_add(count)?;
        leb(u64::from(count), &mut local_bytes);
        local_bytes.push(match ty {
            wasmparser::ValType::I32 => 0x7f,
            wasmparser::ValType::I64 => 0x7e,
            wasmparser::ValType::F32 => 0x7d,
            wasmparser::ValType::F64 => 0x7c,
            wasmparser::ValType::Ref(r) if r.is_func_ref() => 0x70,
            wasmparser::ValType::Ref(r) if r.is_extern_ref() => 0x6f,
            _ => return None,
        });
    }
    let scratch_f32 = params.checked_add(declared)?;
    let scratch_f64 = scratch_f32 + 1;
    let mut out = Vec::new();
    leb(u64::from(groups) + 2, &mut out);
    out.extend_from_slice(&local_bytes);
    out.extend_from_slice(&[1, 0x7d, 1, 0x7c]);

    let mut ops = body.get_operators_reader().ok()?;
    let bytes = body.as_bytes();
    let body_start = body.range().start;
    while !ops.eof() {
        let start = ops.original_position();
        let op = ops.read().ok()?;
        let end = ops.original_position();
        // Copy the operator's own bytes (positions are module-absolute).
        let slice =
            usize::try_from(start - body_start).ok()?..usize::try_from(end - body_start).ok()?;
        out.extend_from_slice(bytes.get(slice)?);
        match op {
            Operator::F32DemoteF64 => {
                // local.tee t; f32.const canon; local.get t; local.get t; f32.eq; select
                out.push(0x22);
                leb(u64::from(scratch_f32), &mut out);
                out.push(0x43);
                out.extend_from_slice(&CANON_F32.to_le_bytes());
                for _ in 0..2 {
                    out.push(0x20);
                    leb(u64::from(scratch_f32), &mut out);
                }
                out.extend_from_slice(&[0x5b, 0x1b]);
            }
            Operator::F64PromoteF32 => {
                out.push(0x22);
                leb(u64::from(scratch_f64), &mut out);
                out.push(0x44);
                out.extend_from_slice(&CANON_F64.to_le_bytes());
                for _ in 0..2 {
                    out.push(0x20);
                    leb(u64::from(scratch_f64), &mut out);
                }
                out.extend_from_slice(&[0x61, 0x1b]);
            }
            _ => {}
        }
    }
    Some(out)
}

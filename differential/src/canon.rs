//! Completes wasm-smith's NaN canonicalisation. `canonicalize_nans`
//! canonicalises the results of float arithmetic, scalar and SIMD (every
//! lane of f32x4/f64x2 add, sub, mul, div, sqrt, min, max, ceil, floor,
//! trunc, nearest), but not those of the float conversions whose NaN
//! results the spec also leaves nondeterministic:
//!
//! * `f32.demote_f64` and `f64.promote_f32` (the engine keeps x86's
//!   payload, the interpreter canonicalises);
//! * their SIMD forms `f32x4.demote_f64x2_zero` and
//!   `f64x2.promote_low_f32x4`, lane by lane.
//!
//! This pass rewrites every function body so that each of these is
//! followed by the same canonicalisation wasm-smith uses (`select` for
//! scalars, `v128.bitselect` on a lane-wise self-equality mask for
//! vectors), through scratch locals appended to the functions that need
//! them. Nothing else can make a NaN nondeterministically: the other
//! float-producing SIMD operations are bitwise (`abs`, `neg`, `pmin`,
//! `pmax`, splat, replace_lane) or cannot produce a NaN (conversions from
//! integers).
//!
//! With every NaN a module computes canonical, any `v128` it returns,
//! stores or keeps in a global is deterministic bit for bit, whatever its
//! lanes mean, which is what lets the oracle compare raw v128 values
//! exactly.

use wasmparser::{FunctionBody, Operator, Parser, Payload};

const CANON_F32: u32 = 0x7fc0_0000;
const CANON_F64: u64 = 0x7ff8_0000_0000_0000;
/// The canonical NaN in every lane.
const CANON_F32X4: u128 = CANON_F32 as u128 * 0x0000_0001_0000_0001_0000_0001_0000_0001;
const CANON_F64X2: u128 = CANON_F64 as u128 * 0x0000_0000_0000_0001_0000_0000_0000_0001;

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

/// `wasm` with every promote/demote result (scalar and SIMD) canonicalised. `None` if the
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
    wasmparser::Validator::new_with_features(kiln::Features::ALL.wasmparser())
        .validate_all(&out)
        .ok()?;
    Some(out)
}

/// Scratch locals a body needs, by the conversions it contains.
#[derive(Default)]
struct Needs {
    f32: bool,
    f64: bool,
    v128: bool,
}

fn simd(op: u8, out: &mut Vec<u8>) {
    // Every SIMD opcode used here is below 128: a one-byte LEB.
    out.extend_from_slice(&[0xfd, op]);
}

/// `local.tee t; CONST canon; local.get t; local.get t; EQ; SELECT`:
/// wasm-smith's canonicalisation of the value on top of the stack.
fn canonicalise(out: &mut Vec<u8>, scratch: u32, konst: &[u8], eq: &[u8], select: &[u8]) {
    out.push(0x22);
    leb(u64::from(scratch), out);
    out.extend_from_slice(konst);
    for _ in 0..2 {
        out.push(0x20);
        leb(u64::from(scratch), out);
    }
    out.extend_from_slice(eq);
    out.extend_from_slice(select);
}

fn rewrite_body(body: &FunctionBody, params: u32) -> Option<Vec<u8>> {
    let mut needs = Needs::default();
    let mut ops = body.get_operators_reader().ok()?;
    while !ops.eof() {
        match ops.read().ok()? {
            Operator::F32DemoteF64 => needs.f32 = true,
            Operator::F64PromoteF32 => needs.f64 = true,
            Operator::F32x4DemoteF64x2Zero | Operator::F64x2PromoteLowF32x4 => needs.v128 = true,
            _ => {}
        }
    }
    if !(needs.f32 || needs.f64 || needs.v128) {
        return Some(body.as_bytes().to_vec());
    }

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
            wasmparser::ValType::V128 => 0x7b,
            wasmparser::ValType::Ref(r) if r.is_func_ref() => 0x70,
            wasmparser::ValType::Ref(r) if r.is_extern_ref() => 0x6f,
            wasmparser::ValType::Ref(r) if r == wasmparser::RefType::EXNREF => 0x69,
            _ => return None,
        });
    }
    // The scratch locals this body needs, one group each, after the
    // declared ones.
    let mut next = params.checked_add(declared)?;
    let mut extra = Vec::new();
    let mut scratch = |needed: bool, ty: u8| {
        needed.then(|| {
            extra.extend_from_slice(&[1, ty]);
            next += 1;
            next - 1
        })
    };
    let scratch_f32 = scratch(needs.f32, 0x7d);
    let scratch_f64 = scratch(needs.f64, 0x7c);
    let scratch_v128 = scratch(needs.v128, 0x7b);
    let mut out = Vec::new();
    leb(u64::from(groups) + extra.len() as u64 / 2, &mut out);
    out.extend_from_slice(&local_bytes);
    out.extend_from_slice(&extra);

    let mut ops = body.get_operators_reader().ok()?;
    let bytes = body.as_bytes();
    let body_start = body.range().start;
    let mut f32x4_const = vec![0xfd, 0x0c];
    f32x4_const.extend_from_slice(&CANON_F32X4.to_le_bytes());
    let mut f64x2_const = vec![0xfd, 0x0c];
    f64x2_const.extend_from_slice(&CANON_F64X2.to_le_bytes());
    let mut f32_const = vec![0x43];
    f32_const.extend_from_slice(&CANON_F32.to_le_bytes());
    let mut f64_const = vec![0x44];
    f64_const.extend_from_slice(&CANON_F64.to_le_bytes());
    let (mut f32x4_eq, mut f64x2_eq, mut bitselect) = (Vec::new(), Vec::new(), Vec::new());
    simd(0x41, &mut f32x4_eq);
    simd(0x47, &mut f64x2_eq);
    simd(0x52, &mut bitselect);
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
                canonicalise(&mut out, scratch_f32?, &f32_const, &[0x5b], &[0x1b])
            }
            Operator::F64PromoteF32 => {
                canonicalise(&mut out, scratch_f64?, &f64_const, &[0x61], &[0x1b])
            }
            Operator::F32x4DemoteF64x2Zero => {
                canonicalise(&mut out, scratch_v128?, &f32x4_const, &f32x4_eq, &bitselect)
            }
            Operator::F64x2PromoteLowF32x4 => {
                canonicalise(&mut out, scratch_v128?, &f64x2_const, &f64x2_eq, &bitselect)
            }
            _ => {}
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ExternVal, Module, Store, Value};

    /// Run export `f` of `wat` (after canonicalisation) on the interpreter
    /// with `args`; its single result.
    fn run(wat: &str, args: &[Value]) -> Value {
        let wasm = wat::parse_str(wat).unwrap();
        let canon = canonicalize_conversions(&wasm).expect("canonicalises");
        let module = Module::new(&canon).unwrap();
        let mut store = Store::new(crate::Config::default());
        let inst = store.instantiate(&module, &[]).unwrap();
        let Ok(ExternVal::Func(f)) = store.export(inst, "f") else {
            panic!("no export f")
        };
        store.invoke(f, args).unwrap()[0]
    }

    const NAN_F64_PAYLOAD: u64 = 0xfff4_0000_0000_1234;
    const NAN_F32_PAYLOAD: u32 = 0xffa0_1234;

    #[test]
    fn simd_conversions_are_canonicalised_lane_by_lane() {
        let demote = r#"(module (func (export "f") (param v128) (result v128)
            (f32x4.demote_f64x2_zero (local.get 0))))"#;
        let arg = u128::from(NAN_F64_PAYLOAD) | u128::from(1.5f64.to_bits()) << 64;
        let want = u128::from(CANON_F32) | u128::from(1.5f32.to_bits()) << 32;
        assert_eq!(run(demote, &[Value::V128(arg)]), Value::V128(want));

        let promote = r#"(module (func (export "f") (param v128) (result v128)
            (local i32 v128 f64)
            (f64x2.promote_low_f32x4 (local.get 0))))"#;
        let arg = u128::from((-2.0f32).to_bits()) | u128::from(NAN_F32_PAYLOAD) << 32;
        let want = u128::from((-2.0f64).to_bits()) | u128::from(CANON_F64) << 64;
        assert_eq!(run(promote, &[Value::V128(arg)]), Value::V128(want));
    }

    #[test]
    fn scalar_conversions_are_canonicalised() {
        let demote = r#"(module (func (export "f") (param f64) (result f32)
            (f32.demote_f64 (local.get 0))))"#;
        assert_eq!(
            run(demote, &[Value::F64(NAN_F64_PAYLOAD)]),
            Value::F32(CANON_F32)
        );
        let promote = r#"(module (func (export "f") (param f32) (result f64)
            (f64.promote_f32 (local.get 0))))"#;
        assert_eq!(
            run(promote, &[Value::F32(0x3f80_0000)]),
            Value::F64(1f64.to_bits())
        );
    }

    /// Bodies without a conversion are left byte for byte as they were.
    #[test]
    fn other_bodies_are_untouched() {
        let wasm = wat::parse_str(
            r#"(module (func (export "f") (param v128) (result v128) (local f32)
                (f32x4.add (local.get 0) (local.get 0))))"#,
        )
        .unwrap();
        assert_eq!(canonicalize_conversions(&wasm).unwrap(), wasm);
    }
}

//! From CLIF to published machine code: compiling functions (in parallel)
//! and linking them into one `CodeMemory`.
//!
//! Calls between a module's functions are direct (`colocated`) and resolved
//! here; libcalls Cranelift may emit (float rounding on CPUs without
//! SSE4.1, fma) are resolved to Rust functions in this file.

use crate::vm::code_memory::CodeMemory;
use crate::vm::registry::{self, CodeInfo};
use anyhow::{Result, anyhow, bail};
use cranelift_codegen::binemit::Reloc;
use cranelift_codegen::ir::{self, ExternalName, LibCall};
use cranelift_codegen::isa::TargetIsa;
use cranelift_codegen::{
    Context, Final, FinalizedMachExceptionHandler, FinalizedRelocTarget, MachBufferFinalized,
};
use serde::{Deserialize, Serialize};
use std::num::NonZeroU8;
use std::ops::Range;

/// What a relocation points at.
#[derive(Clone, Copy, Debug)]
pub enum RelocTarget {
    /// A function of the same code region, by its position in the list
    /// passed to `link`.
    Local(u32),
    LibCall(LibCall),
}

#[derive(Clone, Debug)]
pub struct Relocation {
    pub offset: u32,
    pub kind: Reloc,
    pub target: RelocTarget,
    pub addend: i64,
}

/// One function's machine code, not yet placed.
pub struct CompiledFunc {
    pub code: Vec<u8>,
    pub relocs: Vec<Relocation>,
    pub traps: Vec<(u32, ir::TrapCode)>,
    /// Sorted `(offset, wasm module offset)` of the places a backtrace can
    /// name (see [`srclocs`]).
    pub srclocs: Vec<(u32, u32)>,
    /// `(return offset, handler offset, frame offset)` of each call site
    /// with an exception handler, in code order.
    pub handlers: Vec<(u32, u32, u32)>,
}

/// Compile `func`. `local_index` maps a direct call's `UserExternalName`
/// (namespace 0, wasm function index) to a position in the link list.
pub fn compile_function(
    isa: &dyn TargetIsa,
    func: ir::Function,
    local_index: impl Fn(u32) -> Option<u32>,
) -> Result<CompiledFunc> {
    let names = func.params.user_named_funcs().clone();
    let mut ctx = Context::for_function(func);
    let compiled = ctx
        .compile(isa, &mut Default::default())
        .map_err(|e| anyhow!("cranelift failed to compile {}: {:?}", e.func.name, e.inner))?;
    let buffer = &compiled.buffer;
    let mut relocs = Vec::new();
    for r in buffer.relocs() {
        let target = match &r.target {
            FinalizedRelocTarget::ExternalName(ExternalName::User(name)) => {
                let name = &names[*name];
                let index = local_index(name.index).filter(|_| name.namespace == 0);
                RelocTarget::Local(
                    index.ok_or_else(|| anyhow!("call to unknown function {name:?}"))?,
                )
            }
            FinalizedRelocTarget::ExternalName(ExternalName::LibCall(lc)) => {
                RelocTarget::LibCall(*lc)
            }
            other => bail!("unsupported relocation target {other:?}"),
        };
        relocs.push(Relocation {
            offset: r.offset,
            kind: r.kind,
            target,
            addend: r.addend,
        });
    }
    let traps = buffer.traps().iter().map(|t| (t.offset, t.code)).collect();
    let mut handlers = Vec::new();
    for site in buffer.call_sites() {
        // The translator gives every `try_call` exactly one catch-all
        // handler (its dispatch block tests the catch clauses).
        let handler = site.exception_handlers.iter().find_map(|h| match h {
            FinalizedMachExceptionHandler::Default(offset) => Some(*offset),
            _ => None,
        });
        if let Some(handler) = handler {
            let frame_offset = site
                .frame_offset
                .ok_or_else(|| anyhow!("try_call site without a frame offset"))?;
            handlers.push((site.ret_addr, handler, frame_offset));
        }
    }
    Ok(CompiledFunc {
        code: buffer.data().to_vec(),
        relocs,
        traps,
        srclocs: srclocs(buffer),
        handlers,
    })
}

/// The wasm offsets of the only places a backtrace asks about: each trap
/// site (a trapping frame's PC) and the last byte of each call (a
/// caller's return address minus one), from the source locations the
/// translator sets per operator (its module offset). Keyed by exact
/// offset, the two kinds cannot collide: a trap site is an instruction's
/// first byte, a call is longer than one byte. Only these, not a map of
/// every instruction: the map of every instruction made sqlite3's
/// artifact a third larger. Sites without a location (the prologue's
/// stack check) are left out.
fn srclocs(buffer: &MachBufferFinalized<Final>) -> Vec<(u32, u32)> {
    let locs = buffer.get_srclocs_sorted();
    let loc_at = |offset: u32| {
        let i = locs.partition_point(|l| l.end <= offset);
        let l = locs
            .get(i)
            .filter(|l| l.start <= offset && !l.loc.is_default())?;
        Some((offset, l.loc.bits()))
    };
    let traps = buffer.traps().iter().map(|t| t.offset);
    let calls = buffer.call_sites().map(|c| c.ret_addr - 1);
    let mut map: Vec<(u32, u32)> = traps.chain(calls).filter_map(loc_at).collect();
    map.sort_unstable();
    map.dedup_by_key(|e| e.0);
    map
}

/// Code laid out but not yet in executable memory: calls between its
/// functions are resolved (they are PC-relative), absolute references to
/// libcalls are listed and left zero. Independent of where it will be
/// mapped, so it is also what a precompiled artifact stores.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CodeImage {
    pub text: Vec<u8>,
    /// Byte range of each function, in link-list order.
    pub ranges: Vec<Range<u32>>,
    /// Sorted `(offset, raw Cranelift trap code)`.
    pub traps: Vec<(u32, u8)>,
    /// Sorted `(range, wasm function index)` of the wasm functions.
    pub funcs: Vec<(Range<u32>, u32)>,
    /// Sorted `(return offset, handler offset, frame offset)` of the call
    /// sites with an exception handler.
    pub handlers: Vec<(u32, u32, u32)>,
    /// Sorted `(offset, wasm module offset)` of the wasm functions' trap
    /// sites and calls' last bytes, for backtraces (see `srclocs`).
    /// Encoded as differences from the previous entry ([`delta`]).
    #[serde(with = "delta")]
    pub srclocs: Vec<(u32, u32)>,
    /// 8-byte absolute slots to fill with a libcall's address (+ addend).
    pub libcalls: Vec<LibcallSlot>,
}

/// `CodeImage::srclocs` as each entry's difference from the previous one:
/// consecutive sites are a few bytes of code and of wasm apart, so
/// postcard's variable-length integers take one or two bytes for what
/// takes three written out (with the map, sqlite3's artifact is 11.8%
/// larger written out, 4.2% so).
mod delta {
    use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error};

    pub fn serialize<S: Serializer>(map: &[(u32, u32)], s: S) -> Result<S::Ok, S::Error> {
        let mut last = (0, 0);
        let deltas: Vec<(u32, i64)> = map
            .iter()
            .map(|&(offset, wasm)| {
                let d = (
                    offset.wrapping_sub(last.0),
                    i64::from(wasm) - i64::from(last.1),
                );
                last = (offset, wasm);
                d
            })
            .collect();
        deltas.serialize(s)
    }

    /// Refuses sums that overflow; the order and ranges of the result are
    /// the artifact validation's to check.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(u32, u32)>, D::Error> {
        let deltas = Vec::<(u32, i64)>::deserialize(d)?;
        let mut last = (0u32, 0u32);
        deltas
            .into_iter()
            .map(|(d_offset, d_wasm)| {
                let offset = last.0.checked_add(d_offset);
                let wasm = i64::from(last.1)
                    .checked_add(d_wasm)
                    .and_then(|w| u32::try_from(w).ok());
                let (Some(offset), Some(wasm)) = (offset, wasm) else {
                    return Err(D::Error::custom("source location out of range"));
                };
                last = (offset, wasm);
                Ok(last)
            })
            .collect()
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LibcallSlot {
    pub offset: u32,
    /// The `LibCall`'s name, as Cranelift spells it (`CeilF32`, ...).
    pub libcall: String,
    pub addend: i64,
}

/// Functions published in one region, registered for trap handling.
/// Unregisters on drop.
pub struct LinkedCode {
    pub memory: CodeMemory,
    /// The image without its text (which lives in `memory`).
    meta: CodeImage,
}

impl LinkedCode {
    pub fn func_ptr(&self, index: usize) -> *const u8 {
        // SAFETY: the range lies inside the mapping.
        unsafe {
            self.memory
                .as_ptr()
                .add(self.meta.ranges[index].start as usize)
        }
    }

    /// The image this code was published from (libcall slots zeroed
    /// again), byte for byte.
    pub fn image(&self) -> CodeImage {
        let len = self.meta.ranges.last().map_or(0, |r| r.end as usize);
        // SAFETY: the first `len` bytes of the mapping are the published
        // text, readable and never written after publishing.
        let mut text = unsafe { std::slice::from_raw_parts(self.memory.as_ptr(), len) }.to_vec();
        for slot in &self.meta.libcalls {
            text[slot.offset as usize..slot.offset as usize + 8].fill(0);
        }
        CodeImage {
            text,
            ..self.meta.clone()
        }
    }
}

impl Drop for LinkedCode {
    fn drop(&mut self) {
        registry::unregister(self.memory.as_ptr() as usize, self.memory.len());
    }
}

const FUNCTION_ALIGN: usize = 16;

/// Lay out `funcs` one after another; `wasm_funcs` names the wasm function
/// index of each link-list position (trampolines have none).
pub fn layout(
    funcs: &[CompiledFunc],
    wasm_funcs: impl Fn(usize) -> Option<u32>,
) -> Result<CodeImage> {
    let mut image = CodeImage::default();
    for f in funcs {
        let start = image.text.len().next_multiple_of(FUNCTION_ALIGN);
        image.text.resize(start, 0);
        image.text.extend_from_slice(&f.code);
        image.ranges.push(start as u32..image.text.len() as u32);
    }
    for (i, (f, range)) in funcs.iter().zip(image.ranges.clone()).enumerate() {
        for r in &f.relocs {
            let at = range.start as usize + r.offset as usize;
            match r.target {
                RelocTarget::Local(callee) => {
                    let target = image.ranges[callee as usize].start as usize;
                    apply_reloc(&mut image.text, 0, at, r.kind, target, r.addend)?;
                }
                RelocTarget::LibCall(lc) if r.kind == Reloc::Abs8 => {
                    image.libcalls.push(LibcallSlot {
                        offset: at as u32,
                        libcall: lc.to_string(),
                        addend: r.addend,
                    })
                }
                RelocTarget::LibCall(lc) => {
                    bail!("unsupported relocation {:?} to libcall {lc}", r.kind)
                }
            }
        }
        image.traps.extend(
            f.traps
                .iter()
                .map(|&(off, code)| (range.start + off, code.as_raw().get())),
        );
        image.handlers.extend(
            f.handlers
                .iter()
                .map(|&(ret, handler, frame)| (range.start + ret, range.start + handler, frame)),
        );
        if let Some(index) = wasm_funcs(i) {
            image.srclocs.extend(
                f.srclocs
                    .iter()
                    .map(|&(offset, wasm)| (range.start + offset, wasm)),
            );
            image.funcs.push((range, index));
        }
    }
    image.traps.sort_by_key(|t| t.0);
    image.funcs.sort_by_key(|f| f.0.start);
    image.handlers.sort_by_key(|h| h.0);
    Ok(image)
}

/// Copy `image` into executable memory, fill its libcall slots, publish
/// it, and register it (with `names` for backtraces).
pub fn publish(image: &CodeImage, mut names: CodeInfo) -> Result<LinkedCode> {
    let mut memory = CodeMemory::new(image.text.len())?;
    let base = memory.as_ptr() as usize;
    let bytes = memory.as_mut_slice();
    bytes[..image.text.len()].copy_from_slice(&image.text);
    for slot in &image.libcalls {
        let lc: LibCall = slot
            .libcall
            .parse()
            .map_err(|()| anyhow!("unknown libcall `{}`", slot.libcall))?;
        if slot.offset as usize + 8 > image.text.len() {
            bail!("libcall slot out of range");
        }
        apply_reloc(
            bytes,
            base,
            slot.offset as usize,
            Reloc::Abs8,
            libcall_address(lc)?,
            slot.addend,
        )?;
    }
    memory.publish()?;
    names.traps = image
        .traps
        .iter()
        .map(|&(off, raw)| {
            Ok((
                off,
                ir::TrapCode::from_raw(
                    NonZeroU8::new(raw).ok_or_else(|| anyhow!("bad trap code"))?,
                ),
            ))
        })
        .collect::<Result<_>>()?;
    names.funcs = image.funcs.clone();
    names.srclocs = image.srclocs.clone();
    names.handlers = image.handlers.clone();
    registry::register(base, memory.len(), std::sync::Arc::new(names));
    Ok(LinkedCode {
        memory,
        meta: CodeImage {
            text: Vec::new(),
            ..image.clone()
        },
    })
}

fn apply_reloc(
    bytes: &mut [u8],
    base: usize,
    at: usize,
    kind: Reloc,
    target: usize,
    addend: i64,
) -> Result<()> {
    let place = base + at;
    let value = (target as i64).wrapping_add(addend);
    match kind {
        Reloc::Abs8 => bytes[at..at + 8].copy_from_slice(&(value as u64).to_le_bytes()),
        Reloc::X86CallPCRel4 | Reloc::X86PCRel4 | Reloc::X86CallPLTRel4 => {
            let delta =
                i32::try_from(value - place as i64).map_err(|_| anyhow!("call out of range"))?;
            bytes[at..at + 4].copy_from_slice(&delta.to_le_bytes());
        }
        Reloc::Arm64Call => {
            let delta = (value - place as i64) >> 2;
            if !(-(1 << 25)..(1 << 25)).contains(&delta) {
                bail!("call out of range");
            }
            let insn = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
            let insn = (insn & !0x03ff_ffff) | (delta as u32 & 0x03ff_ffff);
            bytes[at..at + 4].copy_from_slice(&insn.to_le_bytes());
        }
        other => bail!("unsupported relocation kind {other:?}"),
    }
    Ok(())
}

/// Rust implementations of the libcalls Cranelift may emit: `name` is
/// the `LibCall`, then the function's signature and body.
macro_rules! libcalls {
    ($($name:ident => fn($($arg:ident: $ty:ty),*) -> $ret:ty { $body:expr })*) => {
        fn libcall_address(lc: LibCall) -> Result<usize> {
            $(
                #[allow(non_snake_case)]
                extern "C" fn $name($($arg: $ty),*) -> $ret { $body }
            )*
            Ok(match lc {
                $(LibCall::$name => $name as *const () as usize,)*
                other => bail!("unsupported libcall {other:?}"),
            })
        }
    };
}

libcalls! {
    CeilF32 => fn(x: f32) -> f32 { x.ceil() }
    CeilF64 => fn(x: f64) -> f64 { x.ceil() }
    FloorF32 => fn(x: f32) -> f32 { x.floor() }
    FloorF64 => fn(x: f64) -> f64 { x.floor() }
    TruncF32 => fn(x: f32) -> f32 { x.trunc() }
    TruncF64 => fn(x: f64) -> f64 { x.trunc() }
    NearestF32 => fn(x: f32) -> f32 { x.round_ties_even() }
    NearestF64 => fn(x: f64) -> f64 { x.round_ties_even() }
    FmaF32 => fn(a: f32, b: f32, c: f32) -> f32 { a.mul_add(b, c) }
    FmaF64 => fn(a: f64, b: f64, c: f64) -> f64 { a.mul_add(b, c) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On an x86-64 CPU without SSE4.1, Cranelift rounds floats by calling
    /// out through an absolute slot: `layout` lists the slot, `publish`
    /// fills it with the Rust function, and the code runs. Every CPU the
    /// tests run on has SSE4.1, so only this test reaches the path.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn libcalls_are_linked() {
        use cranelift_codegen::ir::{AbiParam, InstBuilder, Signature, UserFuncName, types};
        use cranelift_codegen::settings::{self, Configurable};
        use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};

        let mut isa = cranelift_codegen::isa::lookup_by_name("x86_64").unwrap();
        isa.set("has_sse41", "false").unwrap();
        let isa = isa
            .finish(settings::Flags::new(settings::builder()))
            .unwrap();
        let check = |round: fn(&mut FunctionBuilder, ir::Value) -> ir::Value,
                     cases: &[(f64, f64)]| {
            let mut sig = Signature::new(isa.default_call_conv());
            sig.params.push(AbiParam::new(types::F64));
            sig.returns.push(AbiParam::new(types::F64));
            let mut func = ir::Function::with_name_signature(UserFuncName::default(), sig);
            let mut ctx = FunctionBuilderContext::new();
            let mut b = FunctionBuilder::new(&mut func, &mut ctx);
            let block = b.create_block();
            b.append_block_params_for_function_params(block);
            b.switch_to_block(block);
            let x = b.block_params(block)[0];
            let y = round(&mut b, x);
            b.ins().return_(&[y]);
            b.seal_all_blocks();
            b.finalize(isa.frontend_config());

            let compiled = compile_function(&*isa, func, |_| None).unwrap();
            let image = layout(&[compiled], |_| None).unwrap();
            assert_eq!(image.libcalls.len(), 1, "{:?}", image.libcalls);
            let code = publish(&image, CodeInfo::default()).unwrap();
            assert!(code.meta.text.is_empty(), "a second copy of the code");
            // An artifact's copy of the code leaves the slot zero, as
            // `layout` did: the address is this process's.
            let at = image.libcalls[0].offset as usize;
            assert_eq!(code.image().text, image.text);
            // SAFETY: the slot lies inside the published text, which stays
            // mapped readable while `code` lives.
            let slot = unsafe { code.memory.as_ptr().add(at).cast::<u64>().read_unaligned() };
            assert_ne!(slot, 0, "the slot was not filled");
            // SAFETY: the function was compiled with the host's C calling
            // convention for `fn(f64) -> f64`, and `code` outlives the calls.
            let f: extern "C" fn(f64) -> f64 = unsafe { std::mem::transmute(code.func_ptr(0)) };
            for &(x, y) in cases {
                assert_eq!(f(x).to_bits(), y.to_bits(), "{x}");
            }
        };
        check(|b, x| b.ins().floor(x), &[(2.5, 2.0), (-2.5, -3.0)]);
        check(
            |b, x| b.ins().nearest(x),
            &[(2.5, 2.0), (3.5, 4.0), (-0.5, -0.0)],
        );
    }

    /// A libcall is reached only through an absolute slot; any other
    /// relocation to one is refused, not patched as if local.
    #[test]
    fn libcalls_need_absolute_slots() {
        let func = |kind| CompiledFunc {
            code: vec![0; 16],
            relocs: vec![Relocation {
                offset: 4,
                kind,
                target: RelocTarget::LibCall(LibCall::FloorF64),
                addend: 0,
            }],
            traps: Vec::new(),
            srclocs: Vec::new(),
            handlers: Vec::new(),
        };
        let image = layout(&[func(Reloc::Abs8)], |_| None).unwrap();
        assert_eq!(image.libcalls.len(), 1);
        assert_eq!(image.libcalls[0].offset, 4);
        let err = layout(&[func(Reloc::X86CallPCRel4)], |_| None).unwrap_err();
        assert!(err.to_string().contains("unsupported relocation"), "{err}");
    }

    /// Each relocation kind writes its field, and a target out of its
    /// reach is an error. A 26-bit `bl` counts words, so its reach is
    /// ±128 MiB.
    #[test]
    fn relocations_patch_their_field() {
        const BASE: usize = 1 << 30;
        const AT: usize = 4;
        const PLACE: i64 = (BASE + AT) as i64;
        let patch = |kind, value: i64, addend: i64| -> Result<[u8; 8], String> {
            // An aarch64 `bl 0` at `AT`, and the bytes beside it set.
            let mut bytes = [0xaa; 16];
            bytes[AT..AT + 4].copy_from_slice(&0x9400_0000u32.to_le_bytes());
            let target = (value - addend) as usize;
            apply_reloc(&mut bytes, BASE, AT, kind, target, addend).map_err(|e| e.to_string())?;
            assert_eq!(bytes[..AT], [0xaa; AT], "{kind:?} wrote before its field");
            Ok(bytes[AT..AT + 8].try_into().unwrap())
        };
        let bl = |value, addend| -> Result<u32, String> {
            let b = patch(Reloc::Arm64Call, value, addend)?;
            assert_eq!(b[4..], [0xaa; 4], "a bl is four bytes");
            Ok(u32::from_le_bytes(b[..4].try_into().unwrap()))
        };
        let out = Err("call out of range".to_string());
        assert_eq!(bl(PLACE + 0x40, 0), Ok(0x9400_0010));
        assert_eq!(bl(PLACE + 0x40, 0x10), Ok(0x9400_0010));
        assert_eq!(bl(PLACE - 8, 0), Ok(0x97ff_fffe));
        assert_eq!(bl(PLACE + (1 << 27) - 4, 0), Ok(0x95ff_ffff));
        assert_eq!(bl(PLACE + (1 << 27), 0), out);
        assert_eq!(bl(PLACE - (1 << 27), 0), Ok(0x9600_0000));
        assert_eq!(bl(PLACE - (1 << 27) - 4, 0), out);

        let rel32 = |value, addend| -> Result<i32, String> {
            let b = patch(Reloc::X86CallPCRel4, value, addend)?;
            assert_eq!(b[4..], [0xaa; 4], "a rel32 is four bytes");
            Ok(i32::from_le_bytes(b[..4].try_into().unwrap()))
        };
        assert_eq!(rel32(PLACE + 0x40, 4), Ok(0x40));
        assert_eq!(rel32(PLACE - 0x40, 0), Ok(-0x40));
        assert_eq!(
            rel32(PLACE + i64::from(i32::MAX) + 1, 0),
            Err("call out of range".into())
        );
        let abs = patch(Reloc::Abs8, 0x1234_5678_9abc, 0x10).unwrap();
        assert_eq!(u64::from_le_bytes(abs), 0x1234_5678_9abc);
        let err = patch(Reloc::Aarch64AdrGotPage21, 0, 0).unwrap_err();
        assert!(err.contains("unsupported relocation kind"), "{err}");
    }

    /// A map survives its delta encoding, wasm offsets going down included.
    #[test]
    fn srcloc_deltas_round_trip() {
        let check = |srclocs: Vec<(u32, u32)>| {
            let image = CodeImage {
                srclocs: srclocs.clone(),
                ..CodeImage::default()
            };
            let bytes = postcard::to_allocvec(&image).unwrap();
            let back: CodeImage = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(back.srclocs, srclocs);
        };
        check(vec![]);
        check(vec![(0, 0)]);
        check(vec![(3, 900), (7, 20), (8, 20), (u32::MAX, u32::MAX)]);
    }

    /// Deltas whose sums leave `u32` are refused, not wrapped.
    #[test]
    fn srcloc_deltas_out_of_range_are_refused() {
        // An empty image with `deltas` in place of its `srclocs` (the
        // field before `libcalls`, the last), decoded.
        let decode = |deltas: Vec<(u32, i64)>| {
            let mut bytes = postcard::to_allocvec(&CodeImage::default()).unwrap();
            let empty: Vec<(u32, i64)> = Vec::new();
            let tail = postcard::to_allocvec(&(empty, Vec::<u8>::new())).unwrap();
            bytes.truncate(bytes.len() - tail.len());
            bytes.extend(postcard::to_allocvec(&(deltas, Vec::<u8>::new())).unwrap());
            postcard::from_bytes::<CodeImage>(&bytes).map(|image| image.srclocs)
        };
        assert_eq!(decode(vec![(1, 5), (2, -3)]).unwrap(), [(1, 5), (3, 2)]);
        let check = |deltas: Vec<(u32, i64)>| assert!(decode(deltas).is_err());
        check(vec![(u32::MAX, 0), (1, 0)]);
        check(vec![(0, -1)]);
        check(vec![(0, i64::from(u32::MAX) + 1)]);
    }
}

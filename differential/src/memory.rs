//! Memory instructions (spec §4.4.7): loads and stores with their
//! effective-address bounds check, and the bulk operations
//! `memory.fill` / `memory.copy` / `memory.init` / `data.drop`.
//!
//! Vector loads and stores (including the lane, splat, extend and zero
//! forms) are here too, built from [`crate::simd`]'s lane helpers.
//!
//! Wasm 2.0 bulk operations check the whole range first and trap before
//! writing anything; there are no partial writes within one instruction.

use std::ops::Range;

use crate::error::{Error, Trap};
use crate::instr::{LoadKind, Sign, StoreKind};
use crate::simd::{from_lanes, int_shape, lane};
use crate::store::{DataAddr, MemAddr, Store};
use crate::value::Value;

/// The byte range `[start, start + n)` if it lies within `len` bytes (an
/// end past `u64::MAX` lies outside any memory).
pub(crate) fn in_bounds(len: usize, start: u64, n: u64) -> Option<Range<usize>> {
    let end = start.checked_add(n)?;
    if end > len as u64 {
        return None;
    }
    Some(start as usize..end as usize)
}

/// The bytes an access of `n` bytes at effective address `i + offset`
/// touches, if they lie within `len` bytes; with 64-bit addresses the sum
/// itself may wrap, which is out of bounds too.
fn effective(len: usize, i: u64, offset: u64, n: u64) -> Option<Range<usize>> {
    in_bounds(len, i.checked_add(offset)?, n)
}

fn load_width(kind: LoadKind) -> usize {
    match kind {
        LoadKind::I32 | LoadKind::F32 => 4,
        LoadKind::I64 | LoadKind::F64 => 8,
        LoadKind::I32Narrow { bytes, .. } | LoadKind::I64Narrow { bytes, .. } => bytes as usize,
        LoadKind::V128 => 16,
        LoadKind::V128Extend { .. } => 8,
        LoadKind::V128Splat { bytes } | LoadKind::V128Zero { bytes } => bytes as usize,
    }
}

/// Little-endian bytes to an integer, sign- or zero-extended from their width.
fn extend(bytes: &[u8], sign: Sign) -> u64 {
    let mut buf = [0u8; 8];
    buf[..bytes.len()].copy_from_slice(bytes);
    let raw = u64::from_le_bytes(buf);
    let unused = 64 - 8 * bytes.len() as u32;
    match sign {
        Sign::U => raw,
        Sign::S if unused == 0 => raw,
        Sign::S => (((raw << unused) as i64) >> unused) as u64,
    }
}

impl Store {
    /// `t.load memarg`: read at effective address `i + offset`.
    pub(crate) fn load(
        &self,
        mem: MemAddr,
        kind: LoadKind,
        i: u64,
        offset: u64,
    ) -> Result<Value, Error> {
        let data = &self.mem(mem)?.data;
        let range = effective(data.len(), i, offset, load_width(kind) as u64)
            .ok_or(Trap::MemoryOutOfBounds)?;
        let b = &data[range];
        Ok(match kind {
            LoadKind::I32 => Value::I32(extend(b, Sign::U) as i32),
            LoadKind::I64 => Value::I64(extend(b, Sign::U) as i64),
            LoadKind::F32 => Value::F32(extend(b, Sign::U) as u32),
            LoadKind::F64 => Value::F64(extend(b, Sign::U)),
            LoadKind::I32Narrow { sign, .. } => Value::I32(extend(b, sign) as i32),
            LoadKind::I64Narrow { sign, .. } => Value::I64(extend(b, sign) as i64),
            LoadKind::V128 => Value::V128(u128::from_le_bytes(
                b.try_into()
                    .map_err(|_| Error::Invalid("v128 load width".into()))?,
            )),
            LoadKind::V128Extend { bits, sign } => {
                // Eight bytes as 64/bits lanes of `bits` bits, each extended
                // into a lane twice as wide.
                let n = bits as usize / 8;
                let shape = int_shape(2 * bits as u32);
                Value::V128(from_lanes(shape, |i| extend(&b[i * n..(i + 1) * n], sign)))
            }
            LoadKind::V128Splat { bytes } => {
                let x = extend(b, Sign::U);
                Value::V128(from_lanes(int_shape(8 * bytes as u32), |_| x))
            }
            LoadKind::V128Zero { .. } => Value::V128(extend(b, Sign::U) as u128),
        })
    }

    /// `v128.load{8*bytes}_lane memarg lane`: `v` with lane `lane` (of
    /// width `bytes`) replaced by the bytes at `i + offset`.
    pub(crate) fn load_lane(
        &self,
        mem: MemAddr,
        bytes: u8,
        lane_idx: u8,
        i: u64,
        offset: u64,
        v: u128,
    ) -> Result<u128, Error> {
        let shape = int_shape(8 * bytes as u32);
        let l = lane_idx as usize;
        if l >= shape.lanes() {
            return Err(Error::Invalid(format!("lane {l} of {shape:?}")));
        }
        let data = &self.mem(mem)?.data;
        let range =
            effective(data.len(), i, offset, bytes as u64).ok_or(Trap::MemoryOutOfBounds)?;
        let x = extend(&data[range], Sign::U);
        let bits = shape.lane_bits();
        Ok(from_lanes(
            shape,
            |j| if j == l { x } else { lane(v, bits, j) },
        ))
    }

    /// `v128.store{8*bytes}_lane memarg lane`: write lane `lane` of `v`.
    pub(crate) fn store_lane(
        &mut self,
        mem: MemAddr,
        bytes: u8,
        lane_idx: u8,
        i: u64,
        offset: u64,
        v: u128,
    ) -> Result<(), Error> {
        let shape = int_shape(8 * bytes as u32);
        let l = lane_idx as usize;
        if l >= shape.lanes() {
            return Err(Error::Invalid(format!("lane {l} of {shape:?}")));
        }
        let x = lane(v, shape.lane_bits(), l);
        let width = bytes as usize;
        let data = &mut self.mem_mut(mem)?.data;
        let range =
            effective(data.len(), i, offset, width as u64).ok_or(Trap::MemoryOutOfBounds)?;
        data[range].copy_from_slice(&x.to_le_bytes()[..width]);
        Ok(())
    }

    /// `t.store memarg`: write `v` (or its low bytes) at `i + offset`.
    pub(crate) fn store(
        &mut self,
        mem: MemAddr,
        kind: StoreKind,
        i: u64,
        offset: u64,
        v: Value,
    ) -> Result<(), Error> {
        let (bits, width): (u128, usize) = match (kind, v) {
            (StoreKind::I32, Value::I32(x)) => (x as u32 as u128, 4),
            (StoreKind::I64, Value::I64(x)) => (x as u64 as u128, 8),
            (StoreKind::F32, Value::F32(x)) => (x as u128, 4),
            (StoreKind::F64, Value::F64(x)) => (x as u128, 8),
            (StoreKind::V128, Value::V128(x)) => (x, 16),
            (StoreKind::I32Narrow { bytes }, Value::I32(x)) => (x as u32 as u128, bytes as usize),
            (StoreKind::I64Narrow { bytes }, Value::I64(x)) => (x as u64 as u128, bytes as usize),
            _ => return Err(Error::Invalid(format!("store of {v} as {kind:?}"))),
        };
        let data = &mut self.mem_mut(mem)?.data;
        let range =
            effective(data.len(), i, offset, width as u64).ok_or(Trap::MemoryOutOfBounds)?;
        data[range].copy_from_slice(&bits.to_le_bytes()[..width]);
        Ok(())
    }

    /// `memory.size`, in pages.
    pub(crate) fn mem_size(&self, mem: MemAddr) -> Result<u64, Error> {
        Ok(self.mem(mem)?.pages())
    }

    /// `memory.fill d val n`.
    pub(crate) fn mem_fill(&mut self, mem: MemAddr, d: u64, val: u8, n: u64) -> Result<(), Error> {
        let data = &mut self.mem_mut(mem)?.data;
        let range = in_bounds(data.len(), d, n).ok_or(Trap::MemoryOutOfBounds)?;
        data[range].fill(val);
        Ok(())
    }

    /// `memory.copy x y d s n`: from memory `src` to memory `dst`, which
    /// may be the same; overlapping ranges behave like `memmove`.
    pub(crate) fn mem_copy(
        &mut self,
        dst: MemAddr,
        src: MemAddr,
        d: u64,
        s: u64,
        n: u64,
    ) -> Result<(), Error> {
        let src_range =
            in_bounds(self.mem(src)?.data.len(), s, n).ok_or(Trap::MemoryOutOfBounds)?;
        let dst_range =
            in_bounds(self.mem(dst)?.data.len(), d, n).ok_or(Trap::MemoryOutOfBounds)?;
        if dst == src {
            self.mem_mut(dst)?
                .data
                .copy_within(src_range, dst_range.start);
        } else {
            let bytes = self.mem(src)?.data[src_range].to_vec();
            self.mem_mut(dst)?.data[dst_range].copy_from_slice(&bytes);
        }
        Ok(())
    }

    /// `memory.init x d s n`: copy from data instance `data` into memory.
    /// (`d` is of the memory's index type; `s` and `n` are `i32`s.)
    /// Also used by instantiation for active data segments.
    pub(crate) fn mem_init(
        &mut self,
        mem: MemAddr,
        data: DataAddr,
        d: u64,
        s: u32,
        n: u32,
    ) -> Result<(), Error> {
        let seg_len = self.datas.get(data).map(|x| x.data.len()).unwrap_or(0);
        let src = in_bounds(seg_len, s as u64, n as u64).ok_or(Trap::MemoryOutOfBounds)?;
        let mem_len = self.mem(mem)?.data.len();
        let dst = in_bounds(mem_len, d, n as u64).ok_or(Trap::MemoryOutOfBounds)?;
        // Both ranges were checked; the two instances are distinct objects.
        let bytes = self.data_mut(data)?.data[src].to_vec();
        self.mem_mut(mem)?.data[dst].copy_from_slice(&bytes);
        Ok(())
    }

    /// `data.drop x`.
    pub(crate) fn data_drop(&mut self, data: DataAddr) -> Result<(), Error> {
        self.data_mut(data)?.data = Vec::new();
        Ok(())
    }
}

//! Bounds-checked access to the guest's linear memory.
//!
//! Every pointer and length a guest passes is checked here against the
//! current memory size; anything out of range is `EFAULT`. Nothing here is
//! `unsafe`: all access goes through slices of the memory's bytes.

use super::errno::{Errno, WasiResult};

/// The guest memory during one WASI call (empty if the module exports no
/// `memory`, so every access is `EFAULT`).
pub struct GuestMemory<'a> {
    bytes: &'a mut [u8],
}

impl<'a> GuestMemory<'a> {
    pub fn new(bytes: &'a mut [u8]) -> GuestMemory<'a> {
        GuestMemory { bytes }
    }

    fn range(&self, ptr: u32, len: u32) -> WasiResult<std::ops::Range<usize>> {
        let start = ptr as usize;
        let end = start.checked_add(len as usize).ok_or(Errno::FAULT)?;
        if end > self.bytes.len() {
            return Err(Errno::FAULT);
        }
        Ok(start..end)
    }

    pub fn slice(&self, ptr: u32, len: u32) -> WasiResult<&[u8]> {
        let r = self.range(ptr, len)?;
        Ok(&self.bytes[r])
    }

    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> WasiResult<&mut [u8]> {
        let r = self.range(ptr, len)?;
        Ok(&mut self.bytes[r])
    }

    pub fn write(&mut self, ptr: u32, data: &[u8]) -> WasiResult {
        let len = u32::try_from(data.len()).map_err(|_| Errno::FAULT)?;
        self.slice_mut(ptr, len)?.copy_from_slice(data);
        Ok(())
    }

    pub fn write_u8(&mut self, ptr: u32, v: u8) -> WasiResult {
        self.write(ptr, &[v])
    }

    pub fn write_u32(&mut self, ptr: u32, v: u32) -> WasiResult {
        self.write(ptr, &v.to_le_bytes())
    }

    pub fn write_u64(&mut self, ptr: u32, v: u64) -> WasiResult {
        self.write(ptr, &v.to_le_bytes())
    }

    /// A guest string (`ptr`, `len`) as bytes.
    pub fn bytes(&self, ptr: u32, len: u32) -> WasiResult<Vec<u8>> {
        Ok(self.slice(ptr, len)?.to_vec())
    }

    /// The (buf, len) pairs of an iovec/ciovec array, each checked to lie
    /// inside memory.
    pub fn iovecs(&self, ptr: u32, count: u32) -> WasiResult<Vec<(u32, u32)>> {
        let table = self.slice(ptr, count.checked_mul(8).ok_or(Errno::FAULT)?)?;
        let mut out = Vec::with_capacity(count as usize);
        for entry in table.chunks_exact(8) {
            let buf = u32::from_le_bytes(entry[0..4].try_into().unwrap());
            let len = u32::from_le_bytes(entry[4..8].try_into().unwrap());
            self.range(buf, len)?;
            out.push((buf, len));
        }
        Ok(out)
    }

    /// Write a list of byte strings the way `args_get`/`environ_get` do:
    /// a table of pointers at `ptrs`, NUL-terminated strings from `buf`.
    pub fn write_string_table(&mut self, items: &[Vec<u8>], ptrs: u32, buf: u32) -> WasiResult {
        let mut at = buf;
        for (i, item) in items.iter().enumerate() {
            let slot = ptrs.checked_add(4 * i as u32).ok_or(Errno::FAULT)?;
            self.write_u32(slot, at)?;
            self.write(at, item)?;
            let nul = at.checked_add(item.len() as u32).ok_or(Errno::FAULT)?;
            self.write_u8(nul, 0)?;
            at = nul.checked_add(1).ok_or(Errno::FAULT)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_is_efault() {
        let mut bytes = vec![0u8; 64];
        let mut m = GuestMemory::new(&mut bytes);
        assert_eq!(m.slice(60, 4).map(|s| s.len()), Ok(4));
        assert_eq!(m.slice(61, 4).err(), Some(Errno::FAULT));
        assert_eq!(m.slice(u32::MAX, 2).err(), Some(Errno::FAULT));
        assert_eq!(m.write_u64(57, 1), Err(Errno::FAULT));
        assert_eq!(m.slice(64, 4).err(), Some(Errno::FAULT));
        assert_eq!(m.slice(64, 0).map(|s| s.len()), Ok(0));
        // An iovec table in range whose buffer is not.
        m.write_u32(0, 32).unwrap();
        m.write_u32(4, 40).unwrap();
        assert_eq!(m.iovecs(0, 1), Err(Errno::FAULT));
        assert_eq!(m.iovecs(0, u32::MAX), Err(Errno::FAULT));
        let items = vec![b"abc".to_vec()];
        assert_eq!(m.write_string_table(&items, 0, 62), Err(Errno::FAULT));
        let mut empty: [u8; 0] = [];
        let e = GuestMemory::new(&mut empty);
        assert_eq!(e.slice(0, 1).err(), Some(Errno::FAULT));
    }
}

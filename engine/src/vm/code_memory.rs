//! Executable memory: where compiled code is copied, relocated, and then
//! published read+execute. Memory is never writable and executable at
//! the same time (W^X).

use anyhow::{Result, bail};
use std::ptr::NonNull;

/// A page-aligned mapping holding finished machine code.
pub struct CodeMemory {
    ptr: NonNull<u8>,
    len: usize,
    published: bool,
}

// SAFETY: after `publish` the mapping is immutable; before it only the
// owner writes to it.
unsafe impl Send for CodeMemory {}
// SAFETY: as for `Send`: shared references only read the published code.
unsafe impl Sync for CodeMemory {}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

impl CodeMemory {
    /// A writable mapping of at least `len` bytes.
    pub fn new(len: usize) -> Result<CodeMemory> {
        let page = page_size();
        let len = (len.max(1) + page - 1) & !(page - 1);
        // SAFETY: an anonymous private mapping; the result is checked.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            bail!(
                "failed to map {len} bytes of code memory: {}",
                std::io::Error::last_os_error()
            );
        }
        Ok(CodeMemory {
            ptr: NonNull::new(ptr.cast()).expect("mmap returned null"),
            len,
            published: false,
        })
    }

    /// The bytes, writable until `publish`.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        assert!(!self.published, "code memory is read-only once published");
        // SAFETY: the mapping is `len` bytes, readable and writable, and
        // uniquely borrowed through `self`.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// Flip the mapping to read+execute.
    pub fn publish(&mut self) -> Result<()> {
        // SAFETY: changes the protection of our own mapping only.
        let r = unsafe {
            libc::mprotect(
                self.ptr.as_ptr().cast(),
                self.len,
                libc::PROT_READ | libc::PROT_EXEC,
            )
        };
        if r != 0 {
            bail!(
                "failed to make code executable: {}",
                std::io::Error::last_os_error()
            );
        }
        self.published = true;
        Ok(())
    }

    pub fn as_ptr(&self) -> *const u8 {
        self.ptr.as_ptr()
    }

    pub fn len(&self) -> usize {
        self.len
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping we created; no code in it runs
        // any more (its owner, a module or the engine, is being dropped).
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mapping is whole pages, and says so: the code registry covers
    /// (and `mprotect` and `munmap` act on) exactly the pages mapped.
    #[test]
    fn mappings_are_whole_pages() {
        let page = page_size();
        assert!(page >= 4096 && page.is_power_of_two(), "{page}");
        for (asked, got) in [(0, page), (1, page), (page, page), (page + 1, 2 * page)] {
            let mut memory = CodeMemory::new(asked).unwrap();
            assert_eq!(
                (memory.len(), memory.as_mut_slice().len()),
                (got, got),
                "{asked}"
            );
        }
    }
}

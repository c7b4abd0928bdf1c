//! The `wasm_*_vec_t` vectors: `{size, data}` as C sees them, owning their
//! elements (wasm.h: "`own wasm_xxx_vec_t` owns the vector as well as its
//! elements"). Rust builds them from a `Vec` and frees them as a boxed
//! slice; an empty vector has a null `data`, like `WASM_EMPTY_VEC`.

use crate::refs::wasm_ref_t;
use crate::trap::wasm_frame_t;
use crate::types::{wasm_exporttype_t, wasm_externtype_t, wasm_importtype_t, wasm_valtype_t};
use crate::val::wasm_val_t;
use std::mem::MaybeUninit;

/// What a vector needs of its elements.
pub trait VecElem: Sized {
    /// The value `wasm_*_vec_new_uninitialized` fills in (null pointers,
    /// zero bytes, null references), so deleting it is always sound.
    fn blank() -> Self;
    /// The copy `wasm_*_vec_copy` makes (a deep one for owned pointers).
    fn deep_copy(&self) -> Self;
    /// Releases what the element owns, when its vector is deleted.
    fn release(&mut self) {}
}

impl VecElem for u8 {
    fn blank() -> u8 {
        0
    }
    fn deep_copy(&self) -> u8 {
        *self
    }
}

impl<T: Clone> VecElem for Option<Box<T>> {
    fn blank() -> Self {
        None
    }
    fn deep_copy(&self) -> Self {
        self.clone()
    }
    fn release(&mut self) {
        self.take();
    }
}

/// A wasm.h vector. `#[repr(C)]`: `{ size_t size; T* data; }`.
#[repr(C)]
pub struct Vector<T: VecElem> {
    pub size: usize,
    pub data: *mut T,
}

impl<T: VecElem> Vector<T> {
    pub fn empty() -> Vector<T> {
        Vector {
            size: 0,
            data: std::ptr::null_mut(),
        }
    }

    pub fn from_vec(v: Vec<T>) -> Vector<T> {
        if v.is_empty() {
            return Vector::empty();
        }
        let size = v.len();
        let data = Box::into_raw(v.into_boxed_slice()).cast::<T>();
        Vector { size, data }
    }

    pub fn as_slice(&self) -> &[T] {
        if self.data.is_null() || self.size == 0 {
            return &[];
        }
        // SAFETY: a vector reaching the API is one wasm.h describes:
        // `size` initialised elements at `data` (made by this library, or
        // a C array such as `WASM_ARRAY_VEC`'s), alive while it is borrowed.
        unsafe { std::slice::from_raw_parts(self.data, self.size) }
    }

    pub fn as_mut_slice(&mut self) -> &mut [T] {
        if self.data.is_null() || self.size == 0 {
            return &mut [];
        }
        // SAFETY: as in `as_slice`, and the caller lends it mutably.
        unsafe { std::slice::from_raw_parts_mut(self.data, self.size) }
    }

    /// The elements, taken out; the vector is left empty. Only for
    /// vectors this library allocated (wasm.h's `own` vectors).
    pub fn take(&mut self) -> Vec<T> {
        let (size, data) = (self.size, self.data);
        self.size = 0;
        self.data = std::ptr::null_mut();
        if data.is_null() || size == 0 {
            return Vec::new();
        }
        // SAFETY: an owned vector's buffer was made by `from_vec` (a boxed
        // slice of exactly `size` elements), and is forgotten above.
        unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(data, size)) }.into_vec()
    }
}

impl<T: VecElem> Drop for Vector<T> {
    fn drop(&mut self) {
        for mut e in self.take() {
            e.release();
        }
    }
}

impl<T: VecElem> Clone for Vector<T> {
    fn clone(&self) -> Vector<T> {
        Vector::from_vec(self.as_slice().iter().map(VecElem::deep_copy).collect())
    }
}

pub type wasm_byte_vec_t = Vector<u8>;
pub type wasm_name_t = wasm_byte_vec_t;
pub type wasm_message_t = wasm_name_t;
pub type wasm_valtype_vec_t = Vector<Option<Box<wasm_valtype_t>>>;
pub type wasm_functype_vec_t = Vector<Option<Box<wasm_externtype_t>>>;
pub type wasm_globaltype_vec_t = Vector<Option<Box<wasm_externtype_t>>>;
pub type wasm_tabletype_vec_t = Vector<Option<Box<wasm_externtype_t>>>;
pub type wasm_memorytype_vec_t = Vector<Option<Box<wasm_externtype_t>>>;
pub type wasm_externtype_vec_t = Vector<Option<Box<wasm_externtype_t>>>;
pub type wasm_importtype_vec_t = Vector<Option<Box<wasm_importtype_t>>>;
pub type wasm_exporttype_vec_t = Vector<Option<Box<wasm_exporttype_t>>>;
pub type wasm_frame_vec_t = Vector<Option<Box<wasm_frame_t>>>;
pub type wasm_extern_vec_t = Vector<Option<Box<wasm_ref_t>>>;
pub type wasm_val_vec_t = Vector<wasm_val_t>;

impl wasm_byte_vec_t {
    pub fn from_bytes(bytes: &[u8]) -> wasm_byte_vec_t {
        Vector::from_vec(bytes.to_vec())
    }

    /// A name with a terminating NUL counted in its size, as wasm.h's
    /// `wasm_message_t` is.
    pub fn nul_terminated(s: &str) -> wasm_byte_vec_t {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        Vector::from_vec(v)
    }
}

/// The five functions of one vector type.
macro_rules! vec_functions {
    ($elem:ty, $new_empty:ident, $new_uninit:ident, $new:ident, $copy:ident, $delete:ident) => {
        #[unsafe(no_mangle)]
        pub extern "C" fn $new_empty(out: &mut MaybeUninit<Vector<$elem>>) {
            out.write(Vector::empty());
        }

        /// An empty vector if `size` elements cannot be allocated (wasm.h
        /// has no failure value here; an absurd size must not abort).
        #[unsafe(no_mangle)]
        pub extern "C" fn $new_uninit(out: &mut MaybeUninit<Vector<$elem>>, size: usize) {
            let mut v = Vec::new();
            if v.try_reserve_exact(size).is_ok() {
                v.extend((0..size).map(|_| <$elem>::blank()));
            }
            out.write(Vector::from_vec(v));
        }

        /// Takes ownership of the `size` elements at `data` (moved, not
        /// copied: the caller's array no longer owns them).
        ///
        /// # Safety
        /// `data` points to `size` valid elements (or `size` is 0).
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $new(
            out: &mut MaybeUninit<Vector<$elem>>,
            size: usize,
            data: *const $elem,
        ) {
            let mut v = Vec::with_capacity(size);
            if size > 0 && !data.is_null() {
                // SAFETY: the caller passes `size` elements at `data`,
                // whose ownership moves into the vector (wasm.h's `own`).
                unsafe {
                    std::ptr::copy_nonoverlapping(data, v.as_mut_ptr(), size);
                    v.set_len(size);
                }
            }
            out.write(Vector::from_vec(v));
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $copy(out: &mut MaybeUninit<Vector<$elem>>, src: &Vector<$elem>) {
            out.write(src.clone());
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn $delete(v: Option<&mut Vector<$elem>>) {
            if let Some(v) = v {
                for mut e in v.take() {
                    e.release();
                }
            }
        }
    };
}

vec_functions!(
    u8,
    wasm_byte_vec_new_empty,
    wasm_byte_vec_new_uninitialized,
    wasm_byte_vec_new,
    wasm_byte_vec_copy,
    wasm_byte_vec_delete
);
vec_functions!(
    Option<Box<wasm_valtype_t>>,
    wasm_valtype_vec_new_empty,
    wasm_valtype_vec_new_uninitialized,
    wasm_valtype_vec_new,
    wasm_valtype_vec_copy,
    wasm_valtype_vec_delete
);
vec_functions!(
    Option<Box<wasm_externtype_t>>,
    wasm_functype_vec_new_empty,
    wasm_functype_vec_new_uninitialized,
    wasm_functype_vec_new,
    wasm_functype_vec_copy,
    wasm_functype_vec_delete
);
vec_functions!(
    Option<Box<wasm_externtype_t>>,
    wasm_globaltype_vec_new_empty,
    wasm_globaltype_vec_new_uninitialized,
    wasm_globaltype_vec_new,
    wasm_globaltype_vec_copy,
    wasm_globaltype_vec_delete
);
vec_functions!(
    Option<Box<wasm_externtype_t>>,
    wasm_tabletype_vec_new_empty,
    wasm_tabletype_vec_new_uninitialized,
    wasm_tabletype_vec_new,
    wasm_tabletype_vec_copy,
    wasm_tabletype_vec_delete
);
vec_functions!(
    Option<Box<wasm_externtype_t>>,
    wasm_memorytype_vec_new_empty,
    wasm_memorytype_vec_new_uninitialized,
    wasm_memorytype_vec_new,
    wasm_memorytype_vec_copy,
    wasm_memorytype_vec_delete
);
vec_functions!(
    Option<Box<wasm_externtype_t>>,
    wasm_externtype_vec_new_empty,
    wasm_externtype_vec_new_uninitialized,
    wasm_externtype_vec_new,
    wasm_externtype_vec_copy,
    wasm_externtype_vec_delete
);
vec_functions!(
    Option<Box<wasm_importtype_t>>,
    wasm_importtype_vec_new_empty,
    wasm_importtype_vec_new_uninitialized,
    wasm_importtype_vec_new,
    wasm_importtype_vec_copy,
    wasm_importtype_vec_delete
);
vec_functions!(
    Option<Box<wasm_exporttype_t>>,
    wasm_exporttype_vec_new_empty,
    wasm_exporttype_vec_new_uninitialized,
    wasm_exporttype_vec_new,
    wasm_exporttype_vec_copy,
    wasm_exporttype_vec_delete
);
vec_functions!(
    Option<Box<wasm_frame_t>>,
    wasm_frame_vec_new_empty,
    wasm_frame_vec_new_uninitialized,
    wasm_frame_vec_new,
    wasm_frame_vec_copy,
    wasm_frame_vec_delete
);
vec_functions!(
    Option<Box<wasm_ref_t>>,
    wasm_extern_vec_new_empty,
    wasm_extern_vec_new_uninitialized,
    wasm_extern_vec_new,
    wasm_extern_vec_copy,
    wasm_extern_vec_delete
);
vec_functions!(
    wasm_val_t,
    wasm_val_vec_new_empty,
    wasm_val_vec_new_uninitialized,
    wasm_val_vec_new,
    wasm_val_vec_copy,
    wasm_val_vec_delete
);

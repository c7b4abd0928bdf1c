//! Functions: `Func` (a store handle to a wasm or host function), host
//! functions (`Func::new`, `Func::wrap`), `Caller`, and `TypedFunc`.
//!
//! Every function, wasm or host, is a `VMFuncRef`; calls from the host go
//! through the array-call trampoline of its type, calls from wasm to the
//! host through the host-call trampoline and the shim below.

use crate::engine::Engine;
use crate::exception::{ExnRef, ThrownException};
use crate::externals::Extern;
use crate::instance::Instance;
use crate::store::{
    AsContext, AsContextMut, StoreContext, StoreContextMut, StoreInner, StoreOpaque, opaque,
    opaque_mut,
};
use crate::trampoline::{ArrayCallFn, HostShimFn, Trampolines};
use crate::types::{FuncType, ValType};
use crate::values::Val;
use crate::vm::vmctx::{self, VMFuncRef};
use anyhow::{Result, anyhow, bail};
use std::collections::hash_map::Entry;
use std::marker::PhantomData;
use std::sync::Arc;

/// The host closure behind a host function, type-erased over the store's
/// `T`: it gets the store, the calling instance's vmctx (null when called
/// from the host), and the argument/result slots.
pub(crate) type HostFn = dyn Fn(*mut StoreOpaque, *mut u8, &mut [u128]) -> Result<()> + Send + Sync;

/// A host function as compiled code calls it. `shim` must stay the first
/// field: the host-call trampoline loads it from offset 0. Nothing in it
/// is per store (the shim finds the store through the caller's vmctx), so
/// every store shares its `HostFunc`'s.
#[repr(C)]
pub(crate) struct HostFuncCtx {
    shim: HostShimFn,
    funcref: VMFuncRef,
    func: Box<HostFn>,
}

// SAFETY: the context is immutable once made; its one raw pointer
// (`funcref.vmctx`) points to the context itself, and the closure is
// `Send + Sync`.
unsafe impl Send for HostFuncCtx {}
// SAFETY: as for `Send`.
unsafe impl Sync for HostFuncCtx {}

/// A host function resolved against an engine once (type interned,
/// trampolines compiled, its `VMFuncRef` made), so that adding it to a
/// store is a push and a map insert: a `Linker` keeps these and adds them
/// to every store it instantiates in.
pub(crate) struct HostFunc {
    engine: Engine,
    ty: FuncType,
    trampolines: Arc<Trampolines>,
    /// Boxed, so its `funcref` (which holds the type id) has one address
    /// for every store.
    ctx: Box<HostFuncCtx>,
}

impl HostFunc {
    pub fn new(engine: &Engine, ty: FuncType, func: Box<HostFn>) -> Result<HostFunc> {
        let type_id = engine.intern(&ty);
        let trampolines = engine.trampolines(type_id)?;
        let mut ctx = Box::new(HostFuncCtx {
            shim: host_shim,
            funcref: VMFuncRef {
                code: trampolines.host_call(),
                type_id,
                _pad: 0,
                vmctx: std::ptr::null_mut(),
            },
            func,
        });
        ctx.funcref.vmctx = (&mut *ctx as *mut HostFuncCtx).cast();
        Ok(HostFunc {
            engine: engine.clone(),
            ty,
            trampolines,
            ctx,
        })
    }

    pub fn ty(&self) -> &FuncType {
        &self.ty
    }

    /// The engine-wide id of this function's type.
    pub fn type_id(&self) -> u32 {
        self.ctx.funcref.type_id
    }

    /// The `Func` of this host function in `s`, which must be of the same
    /// engine (type ids and trampolines are per engine): added on first
    /// use, the same one after that.
    pub fn add_to_store(self: &Arc<Self>, s: &mut StoreOpaque) -> Result<Func> {
        if !Engine::same(&self.engine, &s.engine) {
            bail!("a host function defined for one engine cannot be used in a store of another");
        }
        let funcref = &self.ctx.funcref as *const VMFuncRef;
        let store_id = s.id();
        let index = match s.func_by_ref.entry(funcref as usize) {
            Entry::Occupied(known) => *known.get(),
            Entry::Vacant(new) => {
                s.funcs.push(FuncData {
                    funcref,
                    ty: self.ty.clone(),
                    array_call: self.trampolines.array_call(),
                    host: Some(self.clone()),
                });
                *new.insert(s.funcs.len() - 1)
            }
        };
        Ok(Func { store_id, index })
    }
}

/// The type-erased closure behind `Func::new`: converts slots to `Val`s
/// and back, checking the results against `ty`.
pub(crate) fn val_host_fn<T: 'static>(
    ty: FuncType,
    func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
) -> Box<HostFn> {
    Box::new(move |store, caller_vmctx, slots| {
        // SAFETY: `store` is the `StoreOpaque` of a `StoreInner<T>` (the
        // function was created for stores of `T`, and stores never mix
        // functions), laid out first in it.
        let mut caller = unsafe { Caller::from_raw(store, caller_vmctx) };
        let s = &mut caller.store.opaque;
        let params: Vec<Val> = ty
            .params()
            .iter()
            .zip(slots.iter())
            .map(|(t, &raw)| Val::from_raw(s, raw, t))
            .collect();
        let mut results: Vec<Val> = ty.results().iter().map(default_val).collect();
        func(caller.reborrow(), &params, &mut results)?;
        let s = &caller.store.opaque;
        for ((slot, r), t) in slots.iter_mut().zip(&results).zip(ty.results()) {
            *slot = r
                .to_raw_checked(s, t)
                .map_err(|e| e.context("host function returned a bad result"))?;
        }
        Ok(())
    })
}

pub(crate) struct FuncData {
    /// Stable for the store's lifetime (inside an instance's vmctx or a
    /// host function's `HostFuncCtx`, which `host` keeps alive).
    pub funcref: *const VMFuncRef,
    pub ty: FuncType,
    array_call: ArrayCallFn,
    host: Option<Arc<HostFunc>>,
}

// SAFETY: the raw pointers point into memory owned by the same store.
unsafe impl Send for FuncData {}

impl FuncData {
    /// A wasm function's data, from its `VMFuncRef` (`code` is not a
    /// host-call trampoline: see [`host_func_ref`]).
    pub fn from_ref(
        engine: &Engine,
        funcref: *const VMFuncRef,
        type_id: u32,
        trampolines: &Trampolines,
    ) -> FuncData {
        FuncData {
            funcref,
            ty: engine.lookup_type(type_id),
            array_call: trampolines.array_call(),
            host: None,
        }
    }
}

/// The host function's own `VMFuncRef`, if `funcref` (with type
/// `trampolines`) is a copy of one: an instance's import slot, a table
/// element, a global. Its `vmctx` is the function's `HostFuncCtx`, not an
/// instance's, so the copy must not be called through the array-call
/// trampoline: the host shim would look for the store in a block that is
/// not a vmctx.
///
/// # Safety
/// `funcref` points to a live `VMFuncRef`.
pub(crate) unsafe fn host_func_ref(
    funcref: *const VMFuncRef,
    trampolines: &Trampolines,
) -> Option<*const VMFuncRef> {
    // SAFETY: the caller's promise. Only host functions' refs hold the
    // host-call trampoline as code, with their `HostFuncCtx` as vmctx.
    unsafe {
        if (*funcref).code != trampolines.host_call() {
            return None;
        }
        let ctx = (*funcref).vmctx as *const HostFuncCtx;
        Some(&raw const (*ctx).funcref)
    }
}

unsafe extern "C" fn host_shim(
    ctx: *mut u8,
    caller_vmctx: *mut u8,
    values: *mut u128,
    len: usize,
) -> u32 {
    // SAFETY: the host-call trampoline passes the `HostFuncCtx` it was
    // reached through, the calling wasm instance's vmctx, and `len` slots.
    unsafe {
        let ctx = &*(ctx as *const HostFuncCtx);
        let store = *(caller_vmctx.add(vmctx::STORE_OFFSET as usize) as *const *mut StoreOpaque);
        let values = std::slice::from_raw_parts_mut(values, len);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            (ctx.func)(store, caller_vmctx, values)
        }));
        let error = match result {
            Ok(Ok(())) => return 0,
            Ok(Err(e)) => e,
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                anyhow!("host function panicked: {msg}")
            }
        };
        // An exception the host throws (or lets through from a nested
        // call) goes on into the calling wasm: the trampoline throws the
        // pending exception.
        if error.is::<ThrownException>() && (*store).objects.pending_exception.is_some() {
            return HOST_THROW;
        }
        (*store).pending_host_error = Some(error);
        1
    }
}

/// The host shim's status when the host function threw the store's
/// pending exception (see `trampoline.rs`).
pub(crate) const HOST_THROW: u32 = 2;

/// A wasm or host function in a store.
///
/// It belongs to the store that made it: with another store, `call` and
/// `typed` return `Err` and `ty` panics ("object used with the wrong
/// store"). A reference argument from another store is an `Err` of `call`,
/// and one returned by a host closure fails the call into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Func {
    pub(crate) store_id: u64,
    pub(crate) index: usize,
}

impl Func {
    /// A host function of type `ty` taking and returning `Val`s.
    pub fn new<T: 'static>(
        mut store: impl AsContextMut<Data = T>,
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Func {
        let host = val_host_fn(ty.clone(), func);
        Func::new_raw(opaque_mut(&mut store), ty, host)
    }

    /// A host function from a Rust closure; its wasm type is derived from
    /// the closure's signature (`i32`, `i64`, `u32`, `u64`, `f32`, `f64`),
    /// with an optional leading `Caller<'_, T>`. It may return a value, a
    /// tuple, or a `Result` of those.
    pub fn wrap<T: 'static, Params, Results>(
        mut store: impl AsContextMut<Data = T>,
        func: impl IntoFunc<T, Params, Results>,
    ) -> Func {
        let (ty, host) = func.into_func();
        Func::new_raw(opaque_mut(&mut store), ty, host)
    }

    fn new_raw(s: &mut StoreOpaque, ty: FuncType, func: Box<HostFn>) -> Func {
        let host = HostFunc::new(&s.engine, ty, func)
            .map(Arc::new)
            .expect("trampolines compile for every function type");
        host.add_to_store(s)
            .expect("a host function made for the store's own engine")
    }

    /// # Panics
    /// If `store` does not own this function.
    pub fn ty(&self, store: impl AsContext) -> FuncType {
        self.ty_in(opaque(&store))
    }

    /// Panics if `s` does not own this function.
    pub(crate) fn ty_in(&self, s: &StoreOpaque) -> FuncType {
        s.get(*self).ty.clone()
    }

    /// Whether this function can be used where one of type `ty` is
    /// expected (`FuncType::matches`: its type is `ty` or declares `ty` a
    /// supertype, directly or not). A reference to it is then a value of
    /// `(ref $ty)`.
    ///
    /// # Panics
    /// If `store` does not own this function.
    pub fn matches_ty(&self, store: impl AsContext, ty: &FuncType) -> bool {
        opaque(&store).get(*self).ty.matches(ty)
    }

    /// Call with `params`, writing `results` (whose length must match the
    /// function's result count).
    pub fn call(
        &self,
        mut store: impl AsContextMut,
        params: &[Val],
        results: &mut [Val],
    ) -> Result<()> {
        let s = opaque_mut(&mut store);
        let ty = s.try_get(*self)?.ty.clone();
        if params.len() != ty.params().len() {
            bail!(
                "expected {} arguments, got {}",
                ty.params().len(),
                params.len()
            );
        }
        if results.len() != ty.results().len() {
            bail!(
                "expected {} results, got {}",
                ty.results().len(),
                results.len()
            );
        }
        let mut slots = vec![0u128; ty.params().len().max(ty.results().len())];
        for ((slot, p), t) in slots.iter_mut().zip(params).zip(ty.params()) {
            *slot = p
                .to_raw_checked(s, t)
                .map_err(|e| e.context("argument type mismatch"))?;
        }
        self.call_slots(s, &mut slots)?;
        for ((r, &raw), t) in results.iter_mut().zip(&slots).zip(ty.results()) {
            *r = Val::from_raw(s, raw, t);
        }
        Ok(())
    }

    /// Call with arguments in `slots`, leaving the results there.
    pub(crate) fn call_slots(&self, s: &mut StoreOpaque, slots: &mut [u128]) -> Result<()> {
        let data = s.try_get(*self)?;
        if let Some(host) = &data.host {
            // A host function called from the host: no wasm frame, no
            // trampolines, just the closure.
            let f: *const HostFn = &*host.ctx.func;
            // SAFETY: the closure lives as long as the store.
            return unsafe { (*f)(s, std::ptr::null_mut(), slots) };
        }
        let (array_call, funcref) = (data.array_call, data.funcref);
        // SAFETY: `funcref` belongs to this store and its type is the one
        // `array_call` was compiled for; `slots` holds checked arguments.
        unsafe { StoreOpaque::call_raw(s, array_call, funcref, slots) }
    }

    /// A statically typed view of this function, if its type matches.
    pub fn typed<P: WasmParams, R: WasmResults>(
        &self,
        store: impl AsContext,
    ) -> Result<TypedFunc<P, R>> {
        let ty = &opaque(&store).try_get(*self)?.ty;
        // Checked without allocating: `typed` is on many embedders' call path.
        if !P::with_types(|params| R::with_types(|results| ty.accepts(params, results))) {
            bail!(
                "type mismatch: function has type {ty}, requested {}",
                FuncType::new(P::types(), R::types())
            );
        }
        Ok(TypedFunc {
            func: *self,
            _marker: PhantomData,
        })
    }
}

fn default_val(t: &ValType) -> Val {
    match t {
        ValType::I32 => Val::I32(0),
        ValType::I64 => Val::I64(0),
        ValType::F32 => Val::F32(0),
        ValType::F64 => Val::F64(0),
        ValType::V128 => Val::V128(0),
        ValType::Ref(r) => Val::null_ref(r),
    }
}

/// The store and calling instance, as a host function sees them.
pub struct Caller<'a, T> {
    pub(crate) store: &'a mut StoreInner<T>,
    caller_vmctx: *mut u8,
}

impl<T> Caller<'_, T> {
    /// # Safety
    /// `store` must be the `StoreOpaque` of a live `StoreInner<T>`, not
    /// otherwise borrowed for `'a`; `caller_vmctx` null or a vmctx of it.
    unsafe fn from_raw<'a>(store: *mut StoreOpaque, caller_vmctx: *mut u8) -> Caller<'a, T> {
        Caller {
            // SAFETY: `StoreInner<T>` is `repr(C)` with `opaque` first.
            store: unsafe { &mut *(store as *mut StoreInner<T>) },
            caller_vmctx,
        }
    }

    fn reborrow(&mut self) -> Caller<'_, T> {
        Caller {
            store: self.store,
            caller_vmctx: self.caller_vmctx,
        }
    }

    pub fn data(&self) -> &T {
        &self.store.data
    }

    pub fn data_mut(&mut self) -> &mut T {
        &mut self.store.data
    }

    pub fn engine(&self) -> &Engine {
        &self.store.opaque.engine
    }

    /// Make `exn` the store's pending exception and return the error to
    /// return from this host function to throw it into the calling wasm
    /// (see `Store::throw`).
    pub fn throw<R>(&mut self, exn: ExnRef) -> Result<R> {
        Err(self.store.opaque.throw(exn)?.into())
    }

    /// The pending exception (see `Store::take_pending_exception`).
    pub fn take_pending_exception(&mut self) -> Option<ExnRef> {
        self.store.opaque.take_pending_exception()
    }

    /// An export of the calling instance (e.g. its `memory`), if the caller
    /// is a wasm instance.
    pub fn get_export(&mut self, name: &str) -> Option<Extern> {
        if self.caller_vmctx.is_null() {
            return None;
        }
        let instance = Instance::from_vmctx(&self.store.opaque, self.caller_vmctx)?;
        instance.get_export(&mut *self, name)
    }
}

impl<T> AsContext for Caller<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.store)
    }
}

impl<T> AsContextMut for Caller<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.store)
    }
}

// ------------------------------------------------------------ typed calls

/// A Rust type that maps to one wasm value type.
pub trait WasmTy: Copy + Send + Sync + 'static {
    fn valtype() -> ValType;
    fn to_raw(self) -> u128;
    fn from_raw(raw: u128) -> Self;
}

macro_rules! wasm_ty {
    ($($t:ty => $vt:ident, |$x:ident| $to:expr, |$r:ident| $from:expr;)*) => {$(
        impl WasmTy for $t {
            fn valtype() -> ValType { ValType::$vt }
            fn to_raw(self) -> u128 { let $x = self; $to }
            fn from_raw($r: u128) -> Self { $from }
        }
    )*};
}

wasm_ty! {
    i32 => I32, |x| u128::from(x as u32), |r| r as u32 as i32;
    u32 => I32, |x| u128::from(x), |r| r as u32;
    i64 => I64, |x| u128::from(x as u64), |r| r as u64 as i64;
    u64 => I64, |x| u128::from(x), |r| r as u64;
    f32 => F32, |x| u128::from(x.to_bits()), |r| f32::from_bits(r as u32);
    f64 => F64, |x| u128::from(x.to_bits()), |r| f64::from_bits(r as u64);
    u128 => V128, |x| x, |r| r;
}

/// Parameter lists of typed functions: `()`, a `WasmTy`, or tuples.
pub trait WasmParams: Send + Sync + 'static {
    /// How many values: what `types().len()` is, without allocating.
    const LEN: usize;
    /// `f` of the value types, without allocating them.
    fn with_types<X>(f: impl FnOnce(&[ValType]) -> X) -> X;
    fn types() -> Vec<ValType> {
        Self::with_types(<[ValType]>::to_vec)
    }
    fn store(self, slots: &mut [u128]);
    fn load(slots: &[u128]) -> Self;
}

/// Result lists of typed functions: `()`, a `WasmTy`, or tuples.
pub trait WasmResults: WasmParams {}

impl<T: WasmTy> WasmParams for T {
    const LEN: usize = 1;
    fn with_types<X>(f: impl FnOnce(&[ValType]) -> X) -> X {
        f(&[T::valtype()])
    }
    fn store(self, slots: &mut [u128]) {
        slots[0] = self.to_raw();
    }
    fn load(slots: &[u128]) -> Self {
        T::from_raw(slots[0])
    }
}
impl<T: WasmTy> WasmResults for T {}

macro_rules! wasm_tuple {
    ($n:literal; $($t:ident $i:tt),*) => {
        impl<$($t: WasmTy),*> WasmParams for ($($t,)*) {
            const LEN: usize = $n;
            fn with_types<X>(f: impl FnOnce(&[ValType]) -> X) -> X { f(&[$($t::valtype()),*]) }
            #[allow(unused_variables)]
            fn store(self, slots: &mut [u128]) { $(slots[$i] = self.$i.to_raw();)* }
            #[allow(unused_variables, clippy::unused_unit)]
            fn load(slots: &[u128]) -> Self { ($($t::from_raw(slots[$i]),)*) }
        }
        impl<$($t: WasmTy),*> WasmResults for ($($t,)*) {}
    };
}

wasm_tuple!(0;);
wasm_tuple!(1; A 0);
wasm_tuple!(2; A 0, B 1);
wasm_tuple!(3; A 0, B 1, C 2);
wasm_tuple!(4; A 0, B 1, C 2, D 3);
wasm_tuple!(5; A 0, B 1, C 2, D 3, E 4);
wasm_tuple!(6; A 0, B 1, C 2, D 3, E 4, F 5);

/// The most values a `WasmParams` holds (the largest tuple above): a typed
/// call's values always fit in a buffer of this many slots on the stack.
const MAX_TYPED_VALUES: usize = 6;

/// A function whose type was checked once, called without `Val`s. It
/// belongs to the store of its `Func`: `call` with another store is an
/// `Err`.
pub struct TypedFunc<P, R> {
    func: Func,
    _marker: PhantomData<fn(P) -> R>,
}

impl<P, R> Clone for TypedFunc<P, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P, R> Copy for TypedFunc<P, R> {}

impl<P: WasmParams, R: WasmResults> TypedFunc<P, R> {
    pub fn call(&self, mut store: impl AsContextMut, params: P) -> Result<R> {
        let s = opaque_mut(&mut store);
        // `call_slots` checks the store, once.
        let mut slots = [0u128; MAX_TYPED_VALUES];
        let slots = &mut slots[..P::LEN.max(R::LEN).max(1)];
        params.store(slots);
        self.func.call_slots(s, slots)?;
        Ok(R::load(slots))
    }

    pub fn func(&self) -> &Func {
        &self.func
    }
}

// -------------------------------------------------------- host closures

/// What a host closure may return: nothing, values, or a `Result` of them.
pub trait HostResults: 'static {
    type Values: WasmResults;
    fn into_result(self) -> Result<Self::Values>;
}

impl<R: WasmResults> HostResults for R {
    type Values = R;
    fn into_result(self) -> Result<R> {
        Ok(self)
    }
}

impl<R: WasmResults> HostResults for Result<R> {
    type Values = R;
    fn into_result(self) -> Result<R> {
        self
    }
}

/// Closures that can become host functions (see `Func::wrap`).
pub trait IntoFunc<T, Params, Results>: Send + Sync + 'static {
    #[doc(hidden)]
    fn into_func(self) -> (FuncType, Box<HostFn>);
}

/// Marker for closures that take a leading `Caller`.
pub struct WithCaller<P>(PhantomData<P>);

macro_rules! into_func {
    ($($t:ident $i:tt),*) => {
        impl<T: 'static, Fun, R, $($t: WasmTy),*> IntoFunc<T, ($($t,)*), R> for Fun
        where
            Fun: Fn($($t),*) -> R + Send + Sync + 'static,
            R: HostResults,
        {
            fn into_func(self) -> (FuncType, Box<HostFn>) {
                let ty = FuncType::new(<($($t,)*) as WasmParams>::types(), R::Values::types());
                let host: Box<HostFn> = Box::new(move |_store, _vmctx, slots: &mut [u128]| {
                    #[allow(unused_variables)]
                    let args = <($($t,)*) as WasmParams>::load(slots);
                    let r = (self)($(args.$i),*).into_result()?;
                    r.store(slots);
                    Ok(())
                });
                (ty, host)
            }
        }

        impl<T: 'static, Fun, R, $($t: WasmTy),*> IntoFunc<T, WithCaller<($($t,)*)>, R> for Fun
        where
            Fun: Fn(Caller<'_, T>, $($t),*) -> R + Send + Sync + 'static,
            R: HostResults,
        {
            fn into_func(self) -> (FuncType, Box<HostFn>) {
                let ty = FuncType::new(<($($t,)*) as WasmParams>::types(), R::Values::types());
                let host: Box<HostFn> = Box::new(move |store, vmctx, slots: &mut [u128]| {
                    #[allow(unused_variables)]
                    let args = <($($t,)*) as WasmParams>::load(slots);
                    // SAFETY: see `Func::new`.
                    let caller = unsafe { Caller::<T>::from_raw(store, vmctx) };
                    let r = (self)(caller, $(args.$i),*).into_result()?;
                    r.store(slots);
                    Ok(())
                });
                (ty, host)
            }
        }
    };
}

into_func!();
into_func!(A 0);
into_func!(A 0, B 1);
into_func!(A 0, B 1, C 2);
into_func!(A 0, B 1, C 2, D 3);
into_func!(A 0, B 1, C 2, D 3, E 4);
into_func!(A 0, B 1, C 2, D 3, E 4, F 5);

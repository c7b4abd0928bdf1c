//! `Store<T>`: owns every runtime object (instances, memories, tables,
//! globals, functions, externrefs) and the host's data `T`, and is where
//! host→wasm calls enter compiled code; and the embedder's policies for
//! it (fuel, the epoch deadline and what happens there, the resource
//! limiter), which the VM reaches through `StoreHooks`.
//!
//! Objects are referred to by handles (`Func`, `Memory`, ...) that carry
//! the store's id and an index. Every access through a handle goes through
//! `StoreOpaque::get` or `StoreOpaque::try_get` (or their `_mut`
//! forms), which compare the ids, so using a handle with the wrong store is
//! never undefined behaviour nor an answer about another object: methods
//! returning `Result` get an `Err`, the others panic, both with
//! `WRONG_STORE`. Nothing is freed before the store is dropped, and ids
//! are never reused, so a handle of a dropped store is a mismatch too.

use crate::engine::Engine;
use crate::exception::{ExnRef, Tag};
use crate::externals::{Extern, Global, Memory, Table};
use crate::func::{Func, FuncData, host_func_ref};
use crate::instance::Instance;
use crate::module::Module;
use crate::trampoline::ArrayCallFn;
use crate::trap::{self, FrameInfo, Trap, TrapCode};
use crate::values::ExternRef;
use crate::vm::exception::{ExnData, TagData};
use crate::vm::signals::{self, MAX_TRACE, TrapRecord};
use crate::vm::vmctx::VMFuncRef;
use crate::vm::{
    EpochAction, GlobalData, InstanceData, LimiterUser, LinearMemory, ResourceLimiter, StoreHooks,
    StoreObjects, TableData, registry, thread_stack, trap_codes,
};
use anyhow::{Result, anyhow, bail};
use rustc_hash::FxHashMap;
use std::any::Any;
use std::ffi::c_void;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// The type-erased part of a store: everything but `T`.
pub struct StoreOpaque {
    pub(crate) id: u64,
    pub(crate) engine: Engine,
    /// Instances, memories, tables, globals: what the VM layer sees.
    pub(crate) objects: StoreObjects,
    /// The module of each instance, by instance index.
    pub(crate) modules: Vec<Module>,
    pub(crate) funcs: Vec<FuncData>,
    /// `VMFuncRef` address → index in `funcs`, for turning raw funcrefs
    /// coming out of wasm back into `Func`s. Keys are addresses the runtime
    /// made itself, so FxHash's lack of collision resistance costs nothing.
    pub(crate) func_by_ref: FxHashMap<usize, usize>,
    pub(crate) externrefs: Vec<Box<dyn Any + Send + Sync>>,
    /// Host→wasm entries currently active on the stack.
    entry_depth: u32,
    /// The error a host function returned, while wasm traps its way out
    /// with `HOST_ERROR` (builtins leave theirs in `objects.pending_error`):
    /// kept apart because only a host function's error gets the wasm
    /// backtrace attached (`trap::with_backtrace`); a builtin's (the
    /// limiter's, the epoch callback's) is returned unchanged.
    pub(crate) pending_host_error: Option<anyhow::Error>,
}

/// The store layout that host functions rely on: `StoreOpaque` first, so a
/// `*mut StoreOpaque` taken from a vmctx is also a `*mut StoreInner<T>`.
#[repr(C)]
pub struct StoreInner<T> {
    pub(crate) opaque: StoreOpaque,
    /// The embedder's resource limiter, found in its data (`Store::limiter`).
    limiter: Option<Box<LimiterFn<T>>>,
    /// What happens at the epoch deadline; `None`: the interrupt trap.
    epoch_callback: Option<Box<EpochCallback<T>>>,
    pub(crate) data: T,
}

/// `Store::limiter`'s accessor.
type LimiterFn<T> = dyn (FnMut(&mut T) -> &mut dyn ResourceLimiter) + Send + Sync;
/// `Store::epoch_deadline_callback`'s callback.
type EpochCallback<T> = dyn FnMut(StoreContextMut<'_, T>) -> Result<UpdateDeadline> + Send + Sync;

/// What to do when the epoch reaches a store's deadline, as its
/// [`Store::epoch_deadline_callback`] decides (wasmtime's type, without
/// the async variants).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpdateDeadline {
    /// Stop with a trap, `TrapCode::Interrupt`; the deadline stays.
    Interrupt,
    /// Go on, with the deadline this many ticks after the current epoch.
    Continue(u64),
}

impl<T> StoreInner<T> {
    /// The VM's way back to this store's policies.
    const HOOKS: StoreHooks = StoreHooks {
        with_limiter: with_limiter_hook::<T>,
        new_epoch: new_epoch_hook::<T>,
    };

    /// The opaque store and the resource limiter, borrowed apart (the
    /// limiter lives in the data).
    pub(crate) fn opaque_and_limiter(
        &mut self,
    ) -> (&mut StoreOpaque, Option<&mut dyn ResourceLimiter>) {
        let limiter = match &mut self.limiter {
            Some(f) => Some(f(&mut self.data)),
            None => None,
        };
        (&mut self.opaque, limiter)
    }
}

/// `StoreHooks::with_limiter` for stores of `T`.
///
/// # Safety
/// `store` must point to a live `StoreInner<T>` whose data and limiter are
/// not borrowed.
unsafe fn with_limiter_hook<T>(store: *mut u8, f: &mut LimiterUser<'_>) {
    let inner = store.cast::<StoreInner<T>>();
    // SAFETY: the caller guarantees these two fields are free; only they
    // are borrowed, by place (no reference to the whole store is made:
    // the caller may hold its `StoreOpaque`).
    let (limiter, data) = unsafe { (&mut (*inner).limiter, &mut (*inner).data) };
    match limiter {
        Some(limiter) => f(Some(limiter(data))),
        None => f(None),
    }
}

/// `StoreHooks::new_epoch` for stores of `T`: the callback, if any, else
/// the interrupt trap.
///
/// # Safety
/// `store` must point to a live `StoreInner<T>`, not borrowed at all.
unsafe fn new_epoch_hook<T>(store: *mut u8) -> Result<EpochAction> {
    // SAFETY: the caller guarantees the store is live and free.
    let inner = unsafe { &mut *store.cast::<StoreInner<T>>() };
    let Some(mut callback) = inner.epoch_callback.take() else {
        return Ok(EpochAction::Interrupt);
    };
    // The callback gets the whole store, so it is taken out while it runs
    // and put back even if it panics (the builtin turns the panic into the
    // call's error).
    let update = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        callback(StoreContextMut(&mut *inner))
    }));
    inner.epoch_callback.get_or_insert(callback);
    match update.unwrap_or_else(|panic| std::panic::resume_unwind(panic))? {
        UpdateDeadline::Continue(ticks) => {
            inner.opaque.set_epoch_deadline(ticks);
            Ok(EpochAction::Continue)
        }
        UpdateDeadline::Interrupt => Ok(EpochAction::Interrupt),
    }
}

/// A collection of wasm objects and host state `T`.
pub struct Store<T> {
    inner: Box<StoreInner<T>>,
}

impl<T> Store<T> {
    pub fn new(engine: &Engine, data: T) -> Store<T> {
        Store {
            inner: Box::new(StoreInner {
                opaque: StoreOpaque {
                    id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
                    engine: engine.clone(),
                    objects: StoreObjects::new(
                        engine.allocator().clone(),
                        StoreInner::<T>::HOOKS,
                        engine.epoch_counter(),
                        engine.epoch_stub(),
                    ),
                    modules: Vec::new(),
                    funcs: Vec::new(),
                    func_by_ref: FxHashMap::default(),
                    externrefs: Vec::new(),
                    entry_depth: 0,
                    pending_host_error: None,
                },
                limiter: None,
                epoch_callback: None,
                data,
            }),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.opaque.engine
    }

    pub fn data(&self) -> &T {
        &self.inner.data
    }

    pub fn data_mut(&mut self) -> &mut T {
        &mut self.inner.data
    }

    /// Set the fuel wasm in this store may consume (needs
    /// `Config::consume_fuel`). Fuel beyond `i64::MAX` is capped there.
    pub fn set_fuel(&mut self, fuel: u64) -> Result<()> {
        self.fuel_enabled()?;
        self.inner.opaque.objects.context.fuel = i64::try_from(fuel).unwrap_or(i64::MAX);
        Ok(())
    }

    /// The fuel left (needs `Config::consume_fuel`).
    pub fn get_fuel(&self) -> Result<u64> {
        self.fuel_enabled()?;
        // Negative after an out-of-fuel trap: the last charge overdrew it.
        Ok(self.inner.opaque.objects.context.fuel.max(0) as u64)
    }

    /// Set the epoch deadline `ticks_beyond_current` ticks after the
    /// engine's current epoch (saturating): wasm of this store stops at its
    /// first check once `Engine::increment_epoch` has been called that
    /// many times (`Config::epoch_interruption`; without it this does
    /// nothing). The deadline starts at 0, as in wasmtime: with epochs on
    /// and no deadline set, wasm stops at its first check (at the entry of
    /// any function but a leaf, or a loop header).
    pub fn set_epoch_deadline(&mut self, ticks_beyond_current: u64) {
        self.inner.opaque.set_epoch_deadline(ticks_beyond_current);
    }

    /// At the epoch deadline, trap with `TrapCode::Interrupt` (the
    /// default): undoes [`Store::epoch_deadline_callback`].
    pub fn epoch_deadline_trap(&mut self) {
        self.inner.epoch_callback = None;
    }

    /// At the epoch deadline, call `callback` with the store instead of
    /// trapping: `Ok(UpdateDeadline::Continue(ticks))` sets the deadline
    /// `ticks` after the current epoch and lets wasm go on,
    /// `Ok(UpdateDeadline::Interrupt)` traps with `TrapCode::Interrupt`,
    /// and `Err` makes the running call return that error unchanged. A
    /// panic in it is the call's error too.
    pub fn epoch_deadline_callback(
        &mut self,
        callback: impl FnMut(StoreContextMut<'_, T>) -> Result<UpdateDeadline> + Send + Sync + 'static,
    ) {
        self.inner.epoch_callback = Some(Box::new(callback));
    }

    /// Limit what wasm in this store may allocate: `limiter` finds the
    /// store's [`ResourceLimiter`] in its data (e.g. a
    /// [`StoreLimits`](crate::StoreLimits) field), which is then asked
    /// before every memory or table of the store is created or grown
    /// (`memory.grow`, `table.grow`, `Memory::grow`, `Table::grow`,
    /// instantiation, `Memory::new`, `Table::new`) and every instance is
    /// created. Growth it denies returns `-1` to wasm (an error to the
    /// host); creation it denies is an error naming what was denied, and
    /// allocates nothing.
    pub fn limiter(
        &mut self,
        limiter: impl (FnMut(&mut T) -> &mut dyn ResourceLimiter) + Send + Sync + 'static,
    ) {
        self.inner.limiter = Some(Box::new(limiter));
    }

    fn fuel_enabled(&self) -> Result<()> {
        if !self.inner.opaque.engine.config().tunables.consume_fuel {
            bail!("fuel is not enabled: use `Config::consume_fuel(true)`");
        }
        Ok(())
    }

    pub(crate) fn inner(&self) -> &StoreInner<T> {
        &self.inner
    }

    pub(crate) fn inner_mut(&mut self) -> &mut StoreInner<T> {
        &mut self.inner
    }

    /// Make `exn` the store's pending exception and return the error a
    /// host function returns to throw it into its wasm caller
    /// ([`crate::ThrownException`]); `Err` of another kind if `exn` is
    /// another store's.
    pub fn throw<R>(&mut self, exn: ExnRef) -> Result<R> {
        Err(self.inner.opaque.throw(exn)?.into())
    }

    /// The exception of the last [`crate::ThrownException`] error (an
    /// exception no wasm handler caught), taken out of the store.
    pub fn take_pending_exception(&mut self) -> Option<ExnRef> {
        self.inner.opaque.take_pending_exception()
    }

    /// Whether an exception is pending (see `take_pending_exception`).
    pub fn has_pending_exception(&self) -> bool {
        self.inner.opaque.objects.pending_exception.is_some()
    }

    pub fn into_data(self) -> T {
        self.inner.data
    }
}

/// A shared borrow of a store, as `AsContext` hands it out.
pub struct StoreContext<'a, T>(pub(crate) &'a StoreInner<T>);
/// An exclusive borrow of a store, as `AsContextMut` hands it out.
pub struct StoreContextMut<'a, T>(pub(crate) &'a mut StoreInner<T>);

impl<T> StoreContext<'_, T> {
    pub fn data(&self) -> &T {
        &self.0.data
    }
    pub fn engine(&self) -> &Engine {
        &self.0.opaque.engine
    }
}

impl<T> StoreContextMut<'_, T> {
    pub fn data(&self) -> &T {
        &self.0.data
    }
    pub fn data_mut(&mut self) -> &mut T {
        &mut self.0.data
    }
    pub fn engine(&self) -> &Engine {
        &self.0.opaque.engine
    }
    /// As [`Store::set_epoch_deadline`] (from an epoch callback or a host
    /// function too).
    pub fn set_epoch_deadline(&mut self, ticks_beyond_current: u64) {
        self.0.opaque.set_epoch_deadline(ticks_beyond_current);
    }
}

/// Anything that can lend a store: `Store<T>`, `Caller<'_, T>`, and
/// borrows of them.
pub trait AsContext {
    type Data;
    fn as_context(&self) -> StoreContext<'_, Self::Data>;
}

/// Anything that can lend a store mutably.
pub trait AsContextMut: AsContext {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, Self::Data>;
}

impl<T> AsContext for Store<T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(&self.inner)
    }
}
impl<T> AsContextMut for Store<T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(&mut self.inner)
    }
}
impl<T> AsContext for StoreContext<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}
impl<T> AsContext for StoreContextMut<'_, T> {
    type Data = T;
    fn as_context(&self) -> StoreContext<'_, T> {
        StoreContext(self.0)
    }
}
impl<T> AsContextMut for StoreContextMut<'_, T> {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, T> {
        StoreContextMut(self.0)
    }
}
impl<S: AsContext + ?Sized> AsContext for &S {
    type Data = S::Data;
    fn as_context(&self) -> StoreContext<'_, S::Data> {
        (**self).as_context()
    }
}
impl<S: AsContext + ?Sized> AsContext for &mut S {
    type Data = S::Data;
    fn as_context(&self) -> StoreContext<'_, S::Data> {
        (**self).as_context()
    }
}
impl<S: AsContextMut + ?Sized> AsContextMut for &mut S {
    fn as_context_mut(&mut self) -> StoreContextMut<'_, S::Data> {
        (**self).as_context_mut()
    }
}

/// The opaque store behind any context.
pub(crate) fn opaque<S: AsContext>(s: &S) -> &StoreOpaque {
    let ctx = s.as_context();
    // Re-borrow with the lifetime of `s`: `StoreContext` is only a wrapper.
    let inner: &StoreInner<S::Data> = ctx.0;
    // SAFETY: `inner` borrows from `s` for as long as `s` is borrowed.
    unsafe { &*(&inner.opaque as *const StoreOpaque) }
}

/// The opaque store and its resource limiter behind any mutable context,
/// borrowed apart.
pub(crate) fn opaque_and_limiter<S: AsContextMut>(
    s: &mut S,
) -> (&mut StoreOpaque, Option<&mut dyn ResourceLimiter>) {
    let inner = s.as_context_mut().0;
    inner.opaque_and_limiter()
}

/// The opaque store behind any mutable context.
pub(crate) fn opaque_mut<S: AsContextMut>(s: &mut S) -> &mut StoreOpaque {
    let ctx = s.as_context_mut();
    let inner: &mut StoreInner<S::Data> = ctx.0;
    // SAFETY: `inner` borrows from `s` for as long as `s` is borrowed.
    unsafe { &mut *(&mut inner.opaque as *mut StoreOpaque) }
}

/// The message of every store mismatch, as error and as panic (wasmtime's
/// wording).
pub(crate) const WRONG_STORE: &str = "object used with the wrong store";

#[cold]
#[inline(never)]
#[track_caller]
fn wrong_store() -> ! {
    panic!("{WRONG_STORE}")
}

/// Anything that belongs to one store: the handles, and `Extern`.
pub(crate) trait StoreOwned {
    fn store_id(&self) -> u64;
}

/// A handle: a store id and an index into one of the store's lists. Only
/// `StoreOpaque::{get, try_get}` (and `_mut`) call `lookup`, after
/// comparing the ids.
pub(crate) trait Stored: StoreOwned + Copy {
    type Data;
    fn index(&self) -> usize;
    fn lookup(s: &StoreOpaque, index: usize) -> &Self::Data;
    fn lookup_mut(s: &mut StoreOpaque, index: usize) -> &mut Self::Data;
}

macro_rules! stored {
    ($($handle:ty => $($list:ident).+: $data:ty;)*) => {$(
        impl StoreOwned for $handle {
            #[inline]
            fn store_id(&self) -> u64 {
                self.store_id
            }
        }
        impl Stored for $handle {
            type Data = $data;
            #[inline]
            fn index(&self) -> usize {
                self.index
            }
            #[inline]
            fn lookup(s: &StoreOpaque, index: usize) -> &$data {
                &s.$($list).+[index]
            }
            #[inline]
            fn lookup_mut(s: &mut StoreOpaque, index: usize) -> &mut $data {
                &mut s.$($list).+[index]
            }
        }
    )*};
}

// The list element types, boxes included: `Data` is never coerced, so a
// `&Box<dyn Any>` cannot silently become a `&dyn Any` of the box itself.
stored! {
    Func => funcs: FuncData;
    Global => objects.globals: GlobalData;
    Table => objects.tables: TableData;
    Memory => objects.memories: LinearMemory;
    Instance => objects.instances: Box<InstanceData>;
    ExternRef => externrefs: Box<dyn Any + Send + Sync>;
    Tag => objects.tags: TagData;
    ExnRef => objects.exceptions: ExnData;
}

impl StoreOwned for Extern {
    fn store_id(&self) -> u64 {
        match self {
            Extern::Func(f) => f.store_id,
            Extern::Global(g) => g.store_id,
            Extern::Table(t) => t.store_id,
            Extern::Memory(m) => m.store_id,
            Extern::Tag(t) => t.store_id,
        }
    }
}

struct CallData {
    array_call: ArrayCallFn,
    code: *const u8,
    vmctx: *mut u8,
    values: *mut u128,
}

unsafe extern "C" fn enter_wasm(data: *mut c_void) {
    // SAFETY: `data` is the `CallData` `call_raw` built for this call; no
    // value with a destructor lives in this frame.
    unsafe {
        let d = &*(data as *const CallData);
        (d.array_call)(d.code, d.vmctx, d.vmctx, d.values);
    }
}

impl StoreOpaque {
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// See `Store::set_epoch_deadline`.
    pub(crate) fn set_epoch_deadline(&mut self, ticks_beyond_current: u64) {
        let epoch = self.engine.current_epoch();
        self.objects.context.epoch_deadline = epoch.saturating_add(ticks_beyond_current);
    }

    /// `Err` unless `handle` belongs to this store: for methods that
    /// return `Result`.
    #[inline]
    pub(crate) fn check(&self, handle: &impl StoreOwned) -> Result<()> {
        if handle.store_id() != self.id {
            bail!(WRONG_STORE);
        }
        Ok(())
    }

    /// Panic unless `handle` belongs to this store: for methods that cannot
    /// return an error.
    #[inline]
    #[track_caller]
    pub(crate) fn assert_owns(&self, handle: &impl StoreOwned) {
        if handle.store_id() != self.id {
            wrong_store();
        }
    }

    /// The object behind `handle`, or `Err` if it is another store's.
    #[inline]
    pub(crate) fn try_get<H: Stored>(&self, handle: H) -> Result<&H::Data> {
        self.check(&handle)?;
        Ok(H::lookup(self, handle.index()))
    }

    /// The object behind `handle`, or `Err` if it is another store's.
    #[inline]
    pub(crate) fn try_get_mut<H: Stored>(&mut self, handle: H) -> Result<&mut H::Data> {
        self.check(&handle)?;
        Ok(H::lookup_mut(self, handle.index()))
    }

    /// The object behind `handle`; panics if it is another store's.
    #[inline]
    #[track_caller]
    pub(crate) fn get<H: Stored>(&self, handle: H) -> &H::Data {
        self.assert_owns(&handle);
        H::lookup(self, handle.index())
    }

    /// The object behind `handle`; panics if it is another store's.
    #[inline]
    #[track_caller]
    pub(crate) fn get_mut<H: Stored>(&mut self, handle: H) -> &mut H::Data {
        self.assert_owns(&handle);
        H::lookup_mut(self, handle.index())
    }

    /// The module `instance` instantiated; panics if it is another store's.
    #[track_caller]
    pub(crate) fn module_of(&self, instance: Instance) -> &Module {
        self.assert_owns(&instance);
        &self.modules[instance.index]
    }

    /// Call the wasm function behind `funcref` with arguments (and then
    /// results) in `values`, which must hold enough slots for both.
    ///
    /// An entry with the stack pointer already below the store's stack
    /// limit (a host function called from wasm near the limit calling back
    /// in) is refused with a `StackOverflow` trap: the trampolines would
    /// otherwise run in the reserve kept for the host.
    ///
    /// # Safety
    /// `funcref` must be a live function reference of this store whose type
    /// `array_call` was compiled for, and `values` must hold arguments of
    /// that type.
    pub(crate) unsafe fn call_raw(
        store: *mut StoreOpaque,
        array_call: ArrayCallFn,
        funcref: *const VMFuncRef,
        values: &mut [u128],
    ) -> Result<()> {
        // SAFETY: the caller guarantees `store` is live and borrowed by us;
        // no reference to it is held across the call into wasm, because
        // host functions called from there borrow it again.
        unsafe {
            {
                let s = &mut *store;
                let sp = thread_stack::approximate_sp();
                if s.entry_depth == 0 {
                    s.update_stack_limit(sp);
                }
                if sp <= s.objects.context.stack_limit {
                    return Err(Trap::new(TrapCode::StackOverflow, Vec::new()).into());
                }
                s.entry_depth += 1;
            }
            let mut data = CallData {
                array_call,
                code: (*funcref).code,
                vmctx: (*funcref).vmctx,
                values: values.as_mut_ptr(),
            };
            let result = signals::catch_traps(enter_wasm, (&mut data as *mut CallData).cast());
            let s = &mut *store;
            s.entry_depth -= 1;
            result.map_err(|record| s.trap_error(&record))
        }
    }

    /// The limit is "the outermost entry's stack pointer `sp` minus
    /// `max_wasm_stack`"; nested entries (host → wasm → host → wasm) share
    /// the budget. It is never below the thread's real stack end plus a
    /// reserve for host frames (`thread_stack`), so a thread with less
    /// stack than `max_wasm_stack` gets a `StackOverflow` trap, not a
    /// fault in its guard page.
    fn update_stack_limit(&mut self, sp: usize) {
        let wanted = sp.saturating_sub(self.engine.config().max_wasm_stack);
        self.objects.context.stack_limit = wanted.max(thread_stack::floor(sp));
    }

    fn trap_error(&mut self, record: &TrapRecord) -> anyhow::Error {
        let Some((info, offset)) = registry::lookup(record.pc) else {
            return anyhow!("wasm trap at unknown address {:#x}", record.pc);
        };
        let Some(ir_code) = info.trap_at(offset) else {
            return anyhow!("wasm fault at {:#x} without a trap code", record.pc);
        };
        if ir_code == trap_codes::HOST_ERROR {
            if let Some(error) = self.pending_host_error.take() {
                let (trace, omitted) = backtrace(record);
                return trap::with_backtrace(error, trace, omitted);
            }
            return self
                .objects
                .pending_error
                .take()
                .unwrap_or_else(|| anyhow!("host function failed"));
        }
        let Some(code) = TrapCode::from_ir(ir_code) else {
            return anyhow!("wasm trap with unknown code {ir_code}");
        };
        let (trace, omitted) = backtrace(record);
        Trap::new(code, trace).with_omitted_frames(omitted).into()
    }

    /// Make `ptr` (a `VMFuncRef` of this store) a `funcs` index.
    pub(crate) fn func_for_ref(&mut self, ptr: *const VMFuncRef) -> Result<usize> {
        if let Some(&i) = self.func_by_ref.get(&(ptr as usize)) {
            return Ok(i);
        }
        // SAFETY: non-null funcrefs handed to us by wasm of this store point
        // to live `VMFuncRef`s owned by the store.
        let type_id = unsafe { (*ptr).type_id };
        let trampolines = self.engine.trampolines(type_id)?;
        // SAFETY: as above.
        if let Some(own) = unsafe { host_func_ref(ptr, &trampolines) } {
            // Every host function wasm of this store can reach was added
            // to it, under its own ref.
            let &i = self
                .func_by_ref
                .get(&(own as usize))
                .ok_or_else(|| anyhow!("a host function of another store"))?;
            self.func_by_ref.insert(ptr as usize, i);
            return Ok(i);
        }
        let data = FuncData::from_ref(&self.engine, ptr, type_id, &trampolines);
        self.funcs.push(data);
        let index = self.funcs.len() - 1;
        self.func_by_ref.insert(ptr as usize, index);
        Ok(index)
    }
}

/// Wasm frames from the trap outwards (trampolines have no frame info),
/// and how many wasm frames beyond those the handler only counted.
fn backtrace(record: &TrapRecord) -> (Vec<FrameInfo>, usize) {
    // A return address points after its call; look up the call itself.
    let frame = |pc: usize| {
        let (info, offset) = registry::lookup(pc)?;
        let func_index = info.func_at(offset)?;
        Some(FrameInfo::new(
            info.module_name.clone(),
            func_index,
            info.func_names.get(&func_index).cloned(),
            info.wasm_offset_at(offset),
            info.body_start(func_index).unwrap_or(0),
        ))
    };
    let calls = record.returns[..record.num_returns]
        .iter()
        .map(|&ret| ret - 1);
    let mut trace: Vec<FrameInfo> = std::iter::once(record.pc)
        .chain(calls)
        .filter_map(frame)
        .collect();
    // The walk ends at the host→wasm entry, so of the counted frames only
    // the outermost can be a trampoline's.
    let mut omitted = record.num_omitted;
    if omitted > 0 && frame(record.outermost - 1).is_none() {
        omitted -= 1;
    }
    // The PC and every return address the record keeps can be wasm
    // frames: one more than a trace lists.
    omitted += trace.len().saturating_sub(MAX_TRACE);
    trace.truncate(MAX_TRACE);
    (trace, omitted)
}

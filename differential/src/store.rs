//! The store and its instances (spec §4.2 "Runtime Structure"): function,
//! table, memory, global, element and data instances, module instances,
//! and their allocation and growth (§4.5.3 "Allocation", §4.5.3 "Growing").
//!
//! Addresses are plain indices into the store's vectors. Nothing is ever
//! deallocated: a store lives as long as the embedder keeps it (for the
//! spec runner, one `.wast` file).

use std::sync::Arc;

use crate::error::{Error, Trap};
use crate::module::{ExternIdx, Func};
use crate::value::{
    FuncAddr, FuncType, GlobalType, HeapType, MemoryType, Ref, RefType, TableType, TypeId, ValType,
    Value,
};

pub type TableAddr = usize;
pub type MemAddr = usize;
pub type GlobalAddr = usize;
pub type ElemAddr = usize;
pub type DataAddr = usize;
pub type ModuleAddr = usize;
pub type TagAddr = usize;

/// A tag instance (exception handling): its type, whose parameters are
/// the payload of its exceptions. Tags are identities: two tags of equal
/// types are still different tags.
#[derive(Clone, Debug)]
pub struct TagInst {
    pub ty: FuncType,
    /// The type's identity (tags match only equal types).
    pub id: TypeId,
}

/// An exception instance: its tag and payload values.
#[derive(Clone, Debug)]
pub struct ExnInst {
    pub tag: TagAddr,
    pub fields: Vec<Value>,
}

/// Bytes in one linear-memory page, unless the memory's type says
/// otherwise (custom-page-sizes).
pub const PAGE_SIZE: usize = 65536;

/// A host function: receives the arguments, returns the results or traps.
pub type HostFunc = Arc<dyn Fn(&[Value]) -> Result<Vec<Value>, Trap> + Send + Sync>;

/// An external value (§4.2.11): what imports and exports refer to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ExternVal {
    Func(FuncAddr),
    Table(TableAddr),
    Memory(MemAddr),
    Global(GlobalAddr),
    Tag(TagAddr),
}

/// §4.2.6 function instances.
#[derive(Clone)]
pub enum FuncInst {
    Wasm {
        ty: FuncType,
        /// The type's identity: its module's type id.
        id: TypeId,
        module: ModuleAddr,
        code: Arc<Func>,
    },
    Host {
        ty: FuncType,
        /// The type's identity: final, alone in its rec group.
        id: TypeId,
        func: HostFunc,
    },
}

impl FuncInst {
    pub fn ty(&self) -> &FuncType {
        match self {
            FuncInst::Wasm { ty, .. } | FuncInst::Host { ty, .. } => ty,
        }
    }

    /// The identity of the function's type, for subtyping checks.
    pub fn type_id(&self) -> TypeId {
        match self {
            FuncInst::Wasm { id, .. } | FuncInst::Host { id, .. } => *id,
        }
    }
}

/// §4.2.7 table instances.
#[derive(Clone, Debug)]
pub struct TableInst {
    pub ty: TableType,
    pub elem: Vec<Ref>,
}

/// §4.2.8 memory instances.
#[derive(Clone, Debug)]
pub struct MemInst {
    pub ty: MemoryType,
    pub data: Vec<u8>,
}

impl MemInst {
    /// The current size in pages.
    pub fn pages(&self) -> u64 {
        self.data.len() as u64 / self.ty.page_size.max(1)
    }
}

/// `pages` of `ty` in bytes, if the host can address that many.
fn byte_len(ty: &MemoryType, pages: u64) -> Option<usize> {
    usize::try_from(pages.checked_mul(ty.page_size)?).ok()
}

/// §4.2.9 global instances.
#[derive(Clone, Debug)]
pub struct GlobalInst {
    pub ty: GlobalType,
    pub value: Value,
}

/// §4.2.10 element instances; `elem.drop` empties `elem`.
#[derive(Clone, Debug)]
pub struct ElemInst {
    pub ty: RefType,
    pub elem: Vec<Ref>,
}

/// §4.2.10 data instances; `data.drop` empties `data`.
#[derive(Clone, Debug)]
pub struct DataInst {
    pub data: Vec<u8>,
}

/// §4.2.5 module instances.
#[derive(Clone, Debug, Default)]
pub struct ModuleInst {
    pub types: Vec<FuncType>,
    /// The identity of each type, by type index.
    pub type_ids: Vec<TypeId>,
    pub funcaddrs: Vec<FuncAddr>,
    pub tableaddrs: Vec<TableAddr>,
    pub memaddrs: Vec<MemAddr>,
    pub globaladdrs: Vec<GlobalAddr>,
    pub elemaddrs: Vec<ElemAddr>,
    pub dataaddrs: Vec<DataAddr>,
    pub tagaddrs: Vec<TagAddr>,
    pub exports: Vec<(String, ExternVal)>,
}

/// Look up `idx` in one of a module instance's address lists. Validation
/// guarantees static indices are in range; the check only turns a broken
/// invariant into an error instead of a panic.
pub(crate) fn addr(list: &[usize], idx: u32, what: &str) -> Result<usize, Error> {
    list.get(idx as usize)
        .copied()
        .ok_or_else(|| Error::Invalid(format!("{what} index {idx} out of range")))
}

impl ModuleInst {
    /// The export named `name`, if any.
    pub fn export(&self, name: &str) -> Option<ExternVal> {
        self.exports
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    pub(crate) fn resolve(&self, idx: ExternIdx) -> Result<ExternVal, Error> {
        Ok(match idx {
            ExternIdx::Func(i) => ExternVal::Func(addr(&self.funcaddrs, i, "function")?),
            ExternIdx::Table(i) => ExternVal::Table(addr(&self.tableaddrs, i, "table")?),
            ExternIdx::Memory(i) => ExternVal::Memory(addr(&self.memaddrs, i, "memory")?),
            ExternIdx::Global(i) => ExternVal::Global(addr(&self.globaladdrs, i, "global")?),
            ExternIdx::Tag(i) => ExternVal::Tag(addr(&self.tagaddrs, i, "tag")?),
        })
    }
}

/// Resource limits of the interpreter (the spec's implementation limits
/// and the embedder's budget).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Instructions one `invoke` (or instantiation, for the start
    /// function) may execute; `None` is unbounded.
    pub fuel: Option<u64>,
    /// Maximum number of nested Wasm activations; exceeding it traps with
    /// "call stack exhausted".
    pub max_call_depth: usize,
    /// Maximum number of locals alive across all activations; exceeding it
    /// also traps with "call stack exhausted" (bounds memory when functions
    /// have many locals).
    pub max_locals: usize,
    /// Implementation limit on a table's size, in elements: `table.grow`
    /// beyond it fails (returns -1), as the spec permits.
    pub max_table_elems: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            // A few seconds of interpretation: far beyond any spec test,
            // short enough that a runaway loop fails fast.
            fuel: Some(1 << 28),
            max_call_depth: 20_000,
            max_locals: 4 << 20,
            max_table_elems: 10_000_000,
        }
    }
}

/// The store: every instance ever allocated, plus the configuration that
/// bounds execution.
#[derive(Default)]
pub struct Store {
    pub config: Config,
    pub funcs: Vec<FuncInst>,
    pub tables: Vec<TableInst>,
    pub mems: Vec<MemInst>,
    pub globals: Vec<GlobalInst>,
    pub elems: Vec<ElemInst>,
    pub datas: Vec<DataInst>,
    pub modules: Vec<ModuleInst>,
    pub tags: Vec<TagInst>,
    pub exns: Vec<ExnInst>,
}

fn missing(what: &str, a: usize) -> Error {
    Error::Invalid(format!("no {what} at address {a}"))
}

impl Store {
    pub fn new(config: Config) -> Store {
        Store {
            config,
            ..Store::default()
        }
    }

    pub fn module(&self, a: ModuleAddr) -> Result<&ModuleInst, Error> {
        self.modules.get(a).ok_or_else(|| missing("module", a))
    }
    pub fn tag(&self, a: TagAddr) -> Result<&TagInst, Error> {
        self.tags.get(a).ok_or_else(|| missing("tag", a))
    }
    pub fn exn(&self, a: crate::value::ExnAddr) -> Result<&ExnInst, Error> {
        self.exns.get(a).ok_or_else(|| missing("exception", a))
    }
    pub fn func(&self, a: FuncAddr) -> Result<&FuncInst, Error> {
        self.funcs.get(a).ok_or_else(|| missing("function", a))
    }
    pub fn table(&self, a: TableAddr) -> Result<&TableInst, Error> {
        self.tables.get(a).ok_or_else(|| missing("table", a))
    }
    pub fn table_mut(&mut self, a: TableAddr) -> Result<&mut TableInst, Error> {
        self.tables.get_mut(a).ok_or_else(|| missing("table", a))
    }
    pub fn mem(&self, a: MemAddr) -> Result<&MemInst, Error> {
        self.mems.get(a).ok_or_else(|| missing("memory", a))
    }
    pub fn mem_mut(&mut self, a: MemAddr) -> Result<&mut MemInst, Error> {
        self.mems.get_mut(a).ok_or_else(|| missing("memory", a))
    }
    pub fn global(&self, a: GlobalAddr) -> Result<&GlobalInst, Error> {
        self.globals.get(a).ok_or_else(|| missing("global", a))
    }
    pub fn global_mut(&mut self, a: GlobalAddr) -> Result<&mut GlobalInst, Error> {
        self.globals.get_mut(a).ok_or_else(|| missing("global", a))
    }
    pub fn elem_mut(&mut self, a: ElemAddr) -> Result<&mut ElemInst, Error> {
        self.elems
            .get_mut(a)
            .ok_or_else(|| missing("element segment", a))
    }
    pub fn data_mut(&mut self, a: DataAddr) -> Result<&mut DataInst, Error> {
        self.datas
            .get_mut(a)
            .ok_or_else(|| missing("data segment", a))
    }

    /// allochostfunc.
    pub fn alloc_host_func(&mut self, ty: FuncType, func: HostFunc) -> FuncAddr {
        let id = TypeId::of(&ty);
        self.funcs.push(FuncInst::Host { ty, id, func });
        self.funcs.len() - 1
    }

    /// alloctable: `min` elements of `init`. Fails (rather than aborting)
    /// if the host cannot provide the memory.
    pub fn alloc_table(&mut self, ty: TableType, init: Ref) -> Result<TableAddr, Error> {
        if ty.limits.min > self.config.max_table_elems {
            return Err(Error::Invalid(format!(
                "table of {} elements exceeds the implementation limit",
                ty.limits.min
            )));
        }
        let mut elem = Vec::new();
        let n = ty.limits.min as usize;
        elem.try_reserve_exact(n)
            .map_err(|e| Error::Invalid(format!("cannot allocate table: {e}")))?;
        elem.resize(n, init);
        self.tables.push(TableInst { ty, elem });
        Ok(self.tables.len() - 1)
    }

    /// allocmem: `min` zeroed pages.
    pub fn alloc_mem(&mut self, ty: MemoryType) -> Result<MemAddr, Error> {
        let bytes = byte_len(&ty, ty.limits.min)
            .ok_or_else(|| Error::Invalid(format!("memory of {} pages", ty.limits.min)))?;
        let mut data = Vec::new();
        data.try_reserve_exact(bytes)
            .map_err(|e| Error::Invalid(format!("cannot allocate memory: {e}")))?;
        data.resize(bytes, 0);
        self.mems.push(MemInst { ty, data });
        Ok(self.mems.len() - 1)
    }

    /// allocglobal.
    pub fn alloc_global(&mut self, ty: GlobalType, value: Value) -> GlobalAddr {
        self.globals.push(GlobalInst { ty, value });
        self.globals.len() - 1
    }

    /// Register a module instance built by the embedder (host modules such
    /// as `spectest`).
    pub fn add_module(&mut self, inst: ModuleInst) -> ModuleAddr {
        self.modules.push(inst);
        self.modules.len() - 1
    }

    /// growtable: returns the old size, or `None` if growing by `n` would
    /// exceed the table's maximum, the implementation limit, or the host's
    /// memory (the spec allows growth to fail for any reason).
    pub fn grow_table(&mut self, a: TableAddr, n: u64, init: Ref) -> Result<Option<u64>, Error> {
        let limit = self.config.max_table_elems;
        let t = self.table_mut(a)?;
        let old = t.elem.len() as u64;
        let Some(new) = old.checked_add(n) else {
            return Ok(None);
        };
        if new > t.ty.limits.max.unwrap_or(u64::MAX).min(t.ty.max_elems()) || new > limit {
            return Ok(None);
        }
        if t.elem.try_reserve_exact(n as usize).is_err() {
            return Ok(None);
        }
        t.elem.resize(new as usize, init);
        Ok(Some(old))
    }

    /// growmem: returns the old size in pages, or `None` on failure.
    pub fn grow_mem(&mut self, a: MemAddr, n: u64) -> Result<Option<u64>, Error> {
        let m = self.mem_mut(a)?;
        let old = m.pages();
        let Some(new) = old.checked_add(n) else {
            return Ok(None);
        };
        if new > m.ty.limits.max.unwrap_or(u64::MAX).min(m.ty.max_pages()) {
            return Ok(None);
        }
        let Some(bytes) = byte_len(&m.ty, new) else {
            return Ok(None);
        };
        if m.data.try_reserve_exact(bytes - m.data.len()).is_err() {
            return Ok(None);
        }
        m.data.resize(bytes, 0);
        Ok(Some(old))
    }

    /// The current value of global `a`.
    pub fn global_value(&self, a: GlobalAddr) -> Result<Value, Error> {
        Ok(self.global(a)?.value)
    }

    /// The bytes of memory `a`.
    pub fn memory_data(&self, a: MemAddr) -> Result<&[u8], Error> {
        Ok(&self.mem(a)?.data)
    }

    /// The export `name` of module instance `m`.
    pub fn export(&self, m: ModuleAddr, name: &str) -> Result<ExternVal, Error> {
        self.module(m)?
            .export(name)
            .ok_or_else(|| Error::Invalid(format!("no export named {name:?}")))
    }

    /// Check host-supplied arguments against a function's parameter types.
    pub(crate) fn check_args(&self, ty: &FuncType, args: &[Value]) -> Result<(), Error> {
        let ok = ty.params.len() == args.len()
            && ty
                .params
                .iter()
                .zip(args)
                .all(|(t, v)| self.value_has_type(*v, *t));
        if ok {
            Ok(())
        } else {
            Err(Error::Invalid(format!(
                "arguments {args:?} do not match parameters {:?}",
                ty.params
            )))
        }
    }

    /// Whether `v` is a value of type `t` (§7.1 "Values" typing, for the
    /// embedding interface): a function reference is of a concrete type
    /// only if the function has that type or declares it a supertype
    /// (directly or not), null only of a nullable type.
    pub fn value_has_type(&self, v: Value, t: ValType) -> bool {
        match (v, t) {
            (Value::Ref(r), ValType::Ref(rt)) => match r {
                Ref::Null(kind) => rt.nullable && rt.heap.kind() == kind,
                Ref::Extern(_) => rt.heap == HeapType::Extern,
                Ref::Exn(_) => rt.heap == HeapType::Exn,
                Ref::Func(f) => match rt.heap {
                    HeapType::Func => true,
                    HeapType::Concrete(id) => self.func(f).is_ok_and(|f| f.type_id().matches(id)),
                    HeapType::Extern | HeapType::Exn => false,
                },
            },
            (v, t) => v.ty() == t,
        }
    }
}

//! Instantiation: building an instance's vmctx from a module and its
//! imports, running segment initialisation and the start function; and
//! `Instance`, the handle to the result.

use crate::externals::{Extern, Global, Memory, Table, TableData};
use crate::func::Func;
use crate::info::{ConstExpr, DataMode, ElemMode, EntityIndex};
use crate::memory::LinearMemory;
use crate::module::{Module, entity_type};
use crate::store::{AsContextMut, StoreOpaque, opaque, opaque_mut};
use crate::trap::{Trap, TrapCode};
use crate::types::ExternType;
use crate::vmctx::{self, VMFuncRef, VMFunctionImport, VMOffsets};
use anyhow::{Result, bail};

/// What the store keeps per instance. Boxed in the store, so the vmctx's
/// back pointer (`INSTANCE_OFFSET`) stays valid.
pub(crate) struct InstanceData {
    pub module: Module,
    /// The vmctx block (16-byte aligned).
    vmctx: Box<[u128]>,
    pub index: usize,
    /// Store indices of this instance's memories, tables and globals, by
    /// module index.
    pub memories: Vec<usize>,
    pub tables: Vec<usize>,
    pub globals: Vec<usize>,
    pub dropped_elems: Vec<bool>,
    pub dropped_datas: Vec<bool>,
}

impl InstanceData {
    pub fn vmctx_ptr(&self) -> *mut u8 {
        self.vmctx.as_ptr() as *mut u8
    }

    fn offsets(&self) -> &VMOffsets {
        &self.module.inner().offsets
    }

    /// # Safety
    /// `offset` must be a field of type `V` in the vmctx layout.
    unsafe fn write<V>(&mut self, offset: u32, value: V) {
        // SAFETY: the block is `VMOffsets::size()` bytes and the caller
        // names a properly aligned field inside it.
        unsafe {
            (self.vmctx.as_mut_ptr() as *mut u8)
                .add(offset as usize)
                .cast::<V>()
                .write(value)
        }
    }

    /// The `VMFuncRef` of function `index` inside this vmctx.
    pub fn func_ref(&self, index: u32) -> *const VMFuncRef {
        // SAFETY: `func_ref` offsets lie inside the block.
        unsafe {
            self.vmctx_ptr()
                .add(self.offsets().func_ref(index) as usize) as *const VMFuncRef
        }
    }

    /// The raw value of a constant expression in this instance.
    pub fn eval(&self, store: &StoreOpaque, expr: &ConstExpr) -> u128 {
        match *expr {
            ConstExpr::I32(v) => u128::from(v as u32),
            ConstExpr::I64(v) => u128::from(v as u64),
            ConstExpr::F32(v) => u128::from(v),
            ConstExpr::F64(v) => u128::from(v),
            ConstExpr::V128(v) => v,
            ConstExpr::RefNull(_) => 0,
            ConstExpr::RefFunc(f) => self.func_ref(f) as usize as u128,
            ConstExpr::GlobalGet(g) => store.globals[self.globals[g as usize]].slot.bits,
        }
    }
}

/// An instantiated module in a store.
///
/// It belongs to the store it was instantiated in: with another store,
/// `get_typed_func` returns `Err` and the other methods panic ("object used
/// with the wrong store"). Imports from another store make `new` return
/// `Err`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instance {
    pub(crate) store_id: u64,
    pub(crate) index: usize,
}

fn link_error(what: &str, module: &str, name: &str, detail: String) -> anyhow::Error {
    anyhow::anyhow!("incompatible import type for `{module}::{name}`: {what} {detail}")
}

fn limits_match(actual_min: u64, actual_max: Option<u64>, min: u64, max: Option<u64>) -> bool {
    actual_min >= min
        && match max {
            None => true,
            Some(max) => actual_max.is_some_and(|a| a <= max),
        }
}

impl Instance {
    /// Instantiate `module` with `imports`, given in the order of
    /// `module.imports()`.
    pub fn new(
        mut store: impl AsContextMut,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance> {
        let s = opaque_mut(&mut store);
        Instance::instantiate(s, module, imports)
    }

    pub(crate) fn instantiate(
        s: &mut StoreOpaque,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance> {
        let m = module.inner().clone();
        if !crate::Engine::same(&m.engine, &s.engine) {
            bail!("cross-engine instantiation is not supported");
        }
        let info = &m.info;
        if imports.len() != info.imports.len() {
            bail!(
                "expected {} imports, found {}",
                info.imports.len(),
                imports.len()
            );
        }
        let offsets = &m.offsets;
        let words = (offsets.size() as usize).div_ceil(16);
        let mut inst = Box::new(InstanceData {
            module: module.clone(),
            vmctx: vec![0u128; words].into_boxed_slice(),
            index: s.instances.len(),
            memories: Vec::new(),
            tables: Vec::new(),
            globals: Vec::new(),
            dropped_elems: vec![false; info.elems.len()],
            dropped_datas: vec![false; info.datas.len()],
        });
        let store_ptr: *mut StoreOpaque = s;
        let inst_ptr: *mut InstanceData = &mut *inst;
        // SAFETY (all writes below): each offset comes from `VMOffsets`
        // for a field of the written type.
        unsafe {
            inst.write(vmctx::MAGIC_OFFSET, vmctx::VMCTX_MAGIC);
            inst.write(
                vmctx::STORE_CONTEXT_OFFSET,
                &mut *s.context as *mut vmctx::VMStoreContext,
            );
            inst.write(
                vmctx::BUILTINS_OFFSET,
                &crate::libcalls::BUILTINS as *const _,
            );
            inst.write(vmctx::STORE_OFFSET, store_ptr);
            inst.write(vmctx::INSTANCE_OFFSET, inst_ptr);
            for (i, &id) in m.type_ids.iter().enumerate() {
                inst.write(offsets.type_id(i as u32), id);
            }
        }

        // Imports, checked against the declared types.
        for (import, ext) in info.imports.iter().zip(imports) {
            s.check(ext)?;
            // Functions, the common import, check by interned type id (one
            // engine, so equal ids are equal types); a mismatch falls
            // through to the general check, which explains it.
            if let (EntityIndex::Func(i), Extern::Func(f)) = (import.index, ext) {
                // SAFETY: `funcref` is a live funcref of this store.
                let r = unsafe { *s.get(*f).funcref };
                if r.type_id == m.type_ids[info.funcs[i as usize] as usize] {
                    // SAFETY: offsets from `VMOffsets` for these fields.
                    unsafe {
                        inst.write(
                            offsets.imported_func(i),
                            VMFunctionImport {
                                code: r.code,
                                vmctx: r.vmctx,
                            },
                        );
                        inst.write(offsets.func_ref(i), r);
                    }
                    continue;
                }
            }
            let expected = entity_type(info, import.index);
            let actual = ext.ty_in(s);
            let (module_name, name) = (&import.module, &import.name);
            match (import.index, ext, &expected, &actual) {
                (
                    EntityIndex::Func(_),
                    Extern::Func(_),
                    ExternType::Func(e),
                    ExternType::Func(a),
                ) => {
                    // Functions of the expected type took the path above.
                    debug_assert_ne!(e, a);
                    return Err(link_error(
                        "function",
                        module_name,
                        name,
                        format!("expected {e}, found {a}"),
                    ));
                }
                (
                    EntityIndex::Global(i),
                    Extern::Global(g),
                    ExternType::Global(e),
                    ExternType::Global(a),
                ) => {
                    if e != a {
                        return Err(link_error(
                            "global",
                            module_name,
                            name,
                            format!("expected {e:?}, found {a:?}"),
                        ));
                    }
                    inst.globals.push(g.index);
                    let ptr: *mut crate::vmctx::VMGlobal = &mut s.get_mut(*g).slot;
                    unsafe { inst.write(offsets.global_ptr(i), ptr) };
                }
                (
                    EntityIndex::Table(i),
                    Extern::Table(t),
                    ExternType::Table(e),
                    ExternType::Table(a),
                ) => {
                    let ok = e.element == a.element
                        && limits_match(
                            a.minimum.into(),
                            a.maximum.map(Into::into),
                            e.minimum.into(),
                            e.maximum.map(Into::into),
                        );
                    if !ok {
                        return Err(link_error(
                            "table",
                            module_name,
                            name,
                            format!("expected {e:?}, found {a:?}"),
                        ));
                    }
                    inst.tables.push(t.index);
                    let ptr: *mut crate::vmctx::VMTableDefinition = &mut *s.get_mut(*t).def;
                    unsafe { inst.write(offsets.table_ptr(i), ptr) };
                }
                (
                    EntityIndex::Memory(i),
                    Extern::Memory(mem),
                    ExternType::Memory(e),
                    ExternType::Memory(a),
                ) => {
                    if !limits_match(a.minimum, a.maximum, e.minimum, e.maximum) {
                        return Err(link_error(
                            "memory",
                            module_name,
                            name,
                            format!("expected {e:?}, found {a:?}"),
                        ));
                    }
                    inst.memories.push(mem.index);
                    let ptr: *mut crate::vmctx::VMMemoryDefinition = &mut *s.get_mut(*mem).def;
                    unsafe { inst.write(offsets.memory_ptr(i), ptr) };
                }
                _ => {
                    return Err(link_error(
                        "",
                        module_name,
                        name,
                        format!("expected {expected}, found {actual}"),
                    ));
                }
            }
        }

        // Defined entities.
        let mode = s.engine.config().tunables.bounds_checks;
        for (i, ty) in info
            .memories
            .iter()
            .enumerate()
            .skip(info.num_imported_memories as usize)
        {
            s.memories.push(LinearMemory::new(*ty, mode)?);
            let index = s.memories.len() - 1;
            inst.memories.push(index);
            let ptr: *mut crate::vmctx::VMMemoryDefinition = &mut *s.memories[index].def;
            unsafe { inst.write(offsets.memory_ptr(i as u32), ptr) };
        }
        for (i, ty) in info
            .tables
            .iter()
            .enumerate()
            .skip(info.num_imported_tables as usize)
        {
            s.tables.push(TableData::new(*ty, 0)?);
            let index = s.tables.len() - 1;
            inst.tables.push(index);
            let ptr: *mut crate::vmctx::VMTableDefinition = &mut *s.tables[index].def;
            unsafe { inst.write(offsets.table_ptr(i as u32), ptr) };
        }
        for defined in 0..info.num_defined_funcs() {
            let index = info.num_imported_funcs + defined;
            let r = VMFuncRef {
                code: m.code.func_ptr(defined as usize),
                type_id: m.type_ids[info.funcs[index as usize] as usize],
                _pad: 0,
                vmctx: inst.vmctx_ptr(),
            };
            unsafe { inst.write(offsets.func_ref(index), r) };
        }
        for (i, g) in info
            .globals
            .iter()
            .enumerate()
            .skip(info.num_imported_globals as usize)
        {
            let init = g.init.as_ref().expect("defined globals have initialisers");
            let bits = inst.eval(s, init);
            let global = Global::push(s, g.ty, bits);
            inst.globals.push(global.index);
            let ptr: *mut crate::vmctx::VMGlobal = &mut s.get_mut(global).slot;
            unsafe { inst.write(offsets.global_ptr(i as u32), ptr) };
        }

        // From here on the instance is observable (its functions may sit in
        // imported tables even if a later step traps), so the store keeps it.
        let index = inst.index;
        s.instances.push(inst);
        let handle = Instance {
            store_id: s.id(),
            index,
        };

        // Element segments, then data segments, in order (Wasm 2.0).
        for (e, seg) in info.elems.iter().enumerate() {
            match &seg.mode {
                ElemMode::Passive => continue,
                ElemMode::Declared => {}
                ElemMode::Active { table, offset } => {
                    let inst = &s.instances[index];
                    let dst = inst.eval(s, offset) as u32 as usize;
                    let items: Vec<usize> =
                        seg.items.iter().map(|x| inst.eval(s, x) as usize).collect();
                    let table = &mut s.tables[inst.tables[*table as usize]];
                    match dst
                        .checked_add(items.len())
                        .filter(|&end| end <= table.elements.len())
                    {
                        Some(end) => table.elements[dst..end].copy_from_slice(&items),
                        None => {
                            return Err(Trap::new(TrapCode::TableOutOfBounds, Vec::new()).into());
                        }
                    }
                }
            }
            s.instances[index].dropped_elems[e] = true;
        }
        if let Some(image) = &m.memory_image {
            // The image is exactly the active segments applied in order to
            // memory 0, defined by this instance and untouched so far (the
            // start function has not run), and none of them can trap.
            let memory = s.instances[index].memories[0];
            s.memories[memory].map_image(image)?;
        }
        for (d, seg) in info.datas.iter().enumerate() {
            let DataMode::Active { memory, offset } = &seg.mode else {
                continue;
            };
            if m.memory_image.is_some() {
                s.instances[index].dropped_datas[d] = true;
                continue;
            }
            let inst = &s.instances[index];
            let dst = inst.eval(s, offset) as u32 as usize;
            let bytes = info.data(d as u32);
            let mem = s.memories[inst.memories[*memory as usize]].data_mut();
            match dst.checked_add(bytes.len()).filter(|&end| end <= mem.len()) {
                Some(end) => mem[dst..end].copy_from_slice(bytes),
                None => return Err(Trap::new(TrapCode::MemoryOutOfBounds, Vec::new()).into()),
            }
            s.instances[index].dropped_datas[d] = true;
        }

        if let Some(start) = info.start {
            let r = s.instances[index].func_ref(start);
            let f = s.func_for_ref(r)?;
            Func {
                store_id: s.id(),
                index: f,
            }
            .call_slots(s, &mut [0u128; 1])?;
        }
        Ok(handle)
    }

    /// The instance whose vmctx is `vmctx` (a vmctx of an instance of `s`,
    /// as wasm of `s` passes to host functions).
    pub(crate) fn from_vmctx(s: &StoreOpaque, vmctx: *mut u8) -> Option<Instance> {
        // SAFETY: every vmctx of `s` holds its `InstanceData` at
        // `INSTANCE_OFFSET`, boxed and owned by `s` for `s`'s lifetime.
        let index = unsafe {
            let data = *(vmctx.add(vmctx::INSTANCE_OFFSET as usize) as *const *const InstanceData);
            (*data).index
        };
        debug_assert!(std::ptr::eq(s.instances[index].vmctx_ptr(), vmctx));
        Some(Instance {
            store_id: s.id(),
            index,
        })
    }

    /// The export `name`, or `None` if there is none.
    ///
    /// # Panics
    /// If `store` does not own this instance.
    pub fn get_export(&self, mut store: impl AsContextMut, name: &str) -> Option<Extern> {
        let s = opaque_mut(&mut store);
        let module = s.get(*self).module.clone();
        let export = module
            .inner()
            .info
            .exports
            .iter()
            .find(|e| e.name == name)?;
        Some(self.entity(s, export.index))
    }

    fn entity(&self, s: &mut StoreOpaque, index: EntityIndex) -> Extern {
        let inst = s.get(*self);
        let store_id = s.id();
        match index {
            EntityIndex::Func(f) => {
                let r = inst.func_ref(f);
                let index = s
                    .func_for_ref(r)
                    .expect("instance functions have interned types");
                Extern::Func(Func { store_id, index })
            }
            EntityIndex::Global(g) => Extern::Global(Global {
                store_id,
                index: inst.globals[g as usize],
            }),
            EntityIndex::Table(t) => Extern::Table(Table {
                store_id,
                index: inst.tables[t as usize],
            }),
            EntityIndex::Memory(m) => Extern::Memory(Memory {
                store_id,
                index: inst.memories[m as usize],
            }),
        }
    }

    /// All exports, in declaration order.
    ///
    /// # Panics
    /// If `store` does not own this instance.
    pub fn exports(&self, mut store: impl AsContextMut) -> Vec<(String, Extern)> {
        let s = opaque_mut(&mut store);
        let module = s.get(*self).module.clone();
        module
            .inner()
            .info
            .exports
            .iter()
            .map(|e| (e.name.clone(), self.entity(s, e.index)))
            .collect()
    }

    /// # Panics
    /// If `store` does not own this instance.
    pub fn get_func(&self, store: impl AsContextMut, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    pub fn get_typed_func<P: crate::func::WasmParams, R: crate::func::WasmResults>(
        &self,
        mut store: impl AsContextMut,
        name: &str,
    ) -> Result<crate::func::TypedFunc<P, R>> {
        opaque_mut(&mut store).check(self)?;
        let Some(f) = self.get_func(&mut store, name) else {
            bail!("no exported function named `{name}`");
        };
        f.typed(&store)
    }

    /// # Panics
    /// If `store` does not own this instance.
    pub fn get_memory(&self, store: impl AsContextMut, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    /// # Panics
    /// If `store` does not own this instance.
    pub fn get_table(&self, store: impl AsContextMut, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }

    /// # Panics
    /// If `store` does not own this instance.
    pub fn get_global(&self, store: impl AsContextMut, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    /// # Panics
    /// If `store` does not own this instance.
    pub fn module<'a>(&self, store: &'a impl crate::store::AsContext) -> &'a Module {
        &opaque(store).get(*self).module
    }
}

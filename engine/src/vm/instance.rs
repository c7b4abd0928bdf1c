//! An instance as the VM sees it (`InstanceData`): its vmctx block and the
//! store objects it uses, by module index; and the VM's steps of
//! instantiation, in the order they run:
//!
//! 1. type-check the imports (the API, which knows the handles);
//! 2. [`StoreObjects::allocate_instance`]: the vmctx block and the memories
//!    and tables the module defines, from the store's allocator;
//! 3. [`StoreObjects::init_vmctx`]: the header, type ids, imports, the
//!    pointers to every memory, table and global, the function references,
//!    and the defined globals' initial values;
//! 4. [`StoreObjects::publish`], then [`StoreObjects::apply_segments`]:
//!    element segments, then the memory image or the data segments;
//! 5. run the start function (the API, which knows how to call).

use super::allocator::{FuncRefs, VmctxBlock};
use super::global::GlobalData;
use super::limits::{self, Creation, ResourceLimiter};
use super::memory_image::MemoryImage;
use super::objects::StoreObjects;
use super::vmctx::{self, FuncRefTemplate, VMFuncRef, VMFunctionImport, VMGlobal, VMOffsets};
use crate::info::{ConstExpr, ConstOp, DataMode, ElemMode, ModuleInfo};
use crate::tunables::Tunables;
use anyhow::Result;
use cranelift_codegen::ir;
use std::sync::Arc;

/// What an instance needs of its compiled module at run time. The API's
/// module implements it; the VM never sees more of a module than this.
pub trait ModuleRuntime: Send + Sync {
    /// Unique among the process's modules, never reused: a pooled vmctx
    /// slot keeps the function references of the module with this id
    /// (see `VmctxBlock`), valid for no other.
    fn id(&self) -> u64;
    fn info(&self) -> &ModuleInfo;
    fn offsets(&self) -> &VMOffsets;
    /// Engine-wide id of each entry of the type section.
    fn type_ids(&self) -> &[u32];
    /// The `VMFuncRef` contents of each defined function whose reference
    /// can be taken (`ModuleInfo::referenced_funcs`); the other records of
    /// the block are never read.
    fn defined_func_refs(&self) -> &[FuncRefTemplate];
    /// The defined globals' initial values (by defined index) where their
    /// initialisers are constants; zero where they need the instance (a
    /// global's value, a function's reference), for those listed in
    /// `instance_globals`, in order.
    fn global_image(&self) -> &[VMGlobal];
    fn instance_globals(&self) -> &[u32];
    /// For active element segment `elem` whose items are all `ref.func`,
    /// the vmctx offset of each item's `VMFuncRef`; `None` otherwise.
    fn elem_func_refs(&self, elem: usize) -> Option<&[u32]>;
    /// Whether engine-wide type id `sub` is `sup` or declares it a
    /// supertype, directly or not.
    fn is_subtype(&self, sub: u32, sup: u32) -> bool;
    /// Memory 0's initial contents, when an image stands in for the data
    /// segments (see `memory_image.rs`).
    fn memory_image(&self) -> Option<&MemoryImage>;
}

/// What the store keeps per instance. Boxed in the store, so the vmctx's
/// back pointer (`INSTANCE_OFFSET`) stays valid.
pub struct InstanceData {
    module: Arc<dyn ModuleRuntime>,
    vmctx: VmctxBlock,
    /// This instance's index in `StoreObjects::instances`.
    pub index: usize,
    /// Store indices of this instance's memories and tables, by module
    /// index (imports first, as in the module).
    pub memories: Vec<usize>,
    pub tables: Vec<usize>,
    /// Store indices of this instance's globals, by module index; a
    /// defined global's is [`NO_RECORD`] until its store record is made
    /// (see [`StoreObjects::instance_global`]).
    globals: Vec<usize>,
    /// Store tag indices of this instance's tags, by module index.
    pub tags: Vec<usize>,
    /// Which element segments, then which data segments, are dropped
    /// (one allocation for both: see `elem_dropped`, `data_dropped`).
    dropped: Vec<bool>,
    /// Where the data segments start in `dropped` (the number of element
    /// segments), kept here so marking one dropped asks the module nothing.
    datas_start: usize,
}

/// In [`InstanceData::globals`], a defined global with no store record
/// yet.
const NO_RECORD: usize = usize::MAX;

/// An import resolved to the store object it is, checked against its
/// declared type (by the API, step 1).
#[derive(Clone, Copy, Debug)]
pub enum Import {
    Func(VMFuncRef),
    Table(usize),
    Memory(usize),
    Global(usize),
    Tag(usize),
}

/// Why applying segments stopped.
#[derive(Debug)]
pub enum SegmentError {
    /// A segment did not fit: the spec's trap (`HEAP_OUT_OF_BOUNDS` or
    /// `trap_codes::TABLE_OUT_OF_BOUNDS`).
    Trap(ir::TrapCode),
    /// The host failed (mapping the memory image).
    Host(anyhow::Error),
}

impl InstanceData {
    pub fn vmctx_ptr(&self) -> *mut u8 {
        self.vmctx.as_ptr()
    }

    pub fn module(&self) -> &dyn ModuleRuntime {
        &*self.module
    }

    /// The vmctx block, for the allocator to take back.
    pub fn into_vmctx(self) -> VmctxBlock {
        self.vmctx
    }

    /// # Safety
    /// `offset` must be a field of type `V` in this module's vmctx layout.
    unsafe fn write<V>(&mut self, offset: u32, value: V) {
        // SAFETY: the block is `VMOffsets::size()` bytes and the caller
        // names a properly aligned field inside it.
        unsafe {
            self.vmctx
                .as_mut_ptr()
                .add(offset as usize)
                .cast::<V>()
                .write(value)
        }
    }

    /// Whether element segment `elem` is dropped (`elem.drop`, or applied).
    pub fn elem_dropped(&self, elem: u32) -> bool {
        self.dropped[elem as usize]
    }

    pub fn drop_elem(&mut self, elem: u32) {
        self.dropped[elem as usize] = true;
    }

    /// Whether data segment `data` is dropped (`data.drop`, or applied).
    pub fn data_dropped(&self, data: u32) -> bool {
        self.dropped[self.datas_start + data as usize]
    }

    pub fn drop_data(&mut self, data: u32) {
        self.dropped[self.datas_start + data as usize] = true;
    }

    /// The `VMFuncRef` of function `index` inside this vmctx.
    pub fn func_ref(&self, index: u32) -> *const VMFuncRef {
        // An address only: `func_ref` offsets lie inside the block.
        let offset = self.module.offsets().func_ref(index);
        self.vmctx_ptr().wrapping_add(offset as usize) as *const VMFuncRef
    }

    /// The slot of global `g`, where compiled code reads it: inline in the
    /// vmctx if this instance defines it, else behind the imported
    /// global's pointer. Valid once `init_vmctx` has written the pointers
    /// to imported globals (defined ones are read only after their own
    /// initialisation: validation orders the initialisers).
    fn global_slot(&self, g: u32) -> *const VMGlobal {
        let imported = self.module.info().num_imported_globals;
        let offsets = self.module.offsets();
        if g < imported {
            let field = self
                .vmctx_ptr()
                .wrapping_add(offsets.imported_global(g) as usize);
            // SAFETY: a `VMOffsets` offset of a `*mut VMGlobal` field of
            // this block, written before any evaluation (`init_vmctx`).
            unsafe { *field.cast::<*const VMGlobal>() }
        } else {
            let offset = offsets.defined_global(g - imported) as usize;
            self.vmctx_ptr().wrapping_add(offset).cast::<VMGlobal>()
        }
    }

    /// The raw value of global `g`.
    fn global_bits(&self, g: u32) -> u128 {
        // SAFETY: a valid, aligned, initialised slot (`global_slot`); the
        // host reads it only while no compiled code of the store runs.
        unsafe { self.global_slot(g).read().bits }
    }

    /// The raw value of a constant expression in this instance.
    pub fn eval(&self, expr: &ConstExpr) -> u128 {
        match *expr {
            ConstExpr::RefFunc(f) => self.func_ref(f) as usize as u128,
            ConstExpr::GlobalGet(g) => self.global_bits(g),
            ConstExpr::Extended(ref ops) => ConstOp::eval(ops, |g| self.global_bits(g)),
            _ => expr
                .constant_bits()
                .expect("the other expressions are constant"),
        }
    }

    /// The index of the instance whose vmctx is `vmctx`.
    ///
    /// # Safety
    /// `vmctx` must be the vmctx of a live instance.
    pub unsafe fn index_of(vmctx: *mut u8) -> usize {
        // SAFETY: every vmctx holds its `InstanceData` at `INSTANCE_OFFSET`,
        // boxed and owned by its store for the store's lifetime; only the
        // field is read, no reference to the whole is made.
        unsafe {
            let data = *(vmctx.add(vmctx::INSTANCE_OFFSET as usize) as *const *const InstanceData);
            (*data).index
        }
    }
}

/// A segment's offset (the raw value of its constant expression) into a
/// memory or table indexed by `i64` (`is64`) or `i32`. An offset no host
/// slice can reach is `usize::MAX`, out of bounds like it.
fn segment_offset(bits: u128, is64: bool) -> usize {
    let offset = if is64 {
        bits as u64
    } else {
        u64::from(bits as u32)
    };
    usize::try_from(offset).unwrap_or(usize::MAX)
}

impl StoreObjects {
    /// Step 2: the vmctx block of an instance of `module` and the memories
    /// and tables it defines, once `limiter` (the store's, if it has one)
    /// and the allocator (its limits on modules) admit them: a refusal
    /// allocates nothing. The memories and tables
    /// join the store at once (a later failure leaves them unused until
    /// the store is dropped); the instance joins it at `publish`. Imported
    /// entries of the index lists are filled in by `init_vmctx`.
    pub fn allocate_instance(
        &mut self,
        module: Arc<dyn ModuleRuntime>,
        tunables: &Tunables,
        limiter: Option<&mut dyn ResourceLimiter>,
    ) -> Result<Box<InstanceData>> {
        let info = module.info();
        if let Some(limiter) = limiter {
            let new = Creation {
                instance: true,
                memories: &info.memories[info.num_imported_memories as usize..],
                tables: &info.tables[info.num_imported_tables as usize..],
            };
            limits::admit(limiter, self.counts(), new)?;
        }
        self.allocator.validate_module(info, module.offsets())?;
        // Memory 0's image goes to the allocator only when nothing can see
        // the memory before the data segments' turn (`MemoryImage::early`).
        let image = module.memory_image().filter(|image| image.early);
        let mut memories = vec![usize::MAX; info.num_imported_memories as usize];
        for (i, ty) in info.memories[info.num_imported_memories as usize..]
            .iter()
            .enumerate()
        {
            // An image exists only when memory 0 is defined: defined index 0.
            let image = if i == 0 { image } else { None };
            let memory = self.allocator.allocate_memory(*ty, tunables, image)?;
            memories.push(self.push_memory(memory));
        }
        let mut tables = vec![usize::MAX; info.num_imported_tables as usize];
        for ty in &info.tables[info.num_imported_tables as usize..] {
            let table = self.allocator.allocate_table(ty.clone(), 0)?;
            tables.push(self.push_table(table));
        }
        // Last: nothing after it can fail, so the block is never dropped
        // outside the store (see `InstanceAllocator`).
        let vmctx = self
            .allocator
            .allocate_vmctx(module.offsets(), module.id())?;
        Ok(Box::new(InstanceData {
            vmctx,
            index: self.instances.len(),
            memories,
            tables,
            globals: Vec::with_capacity(info.globals.len()),
            tags: Vec::with_capacity(info.tags.len()),
            dropped: vec![false; info.elems.len() + info.datas.len()],
            datas_start: info.elems.len(),
            module,
        }))
    }

    /// Step 3: fill `inst`'s vmctx. `module` is `inst`'s module (passed
    /// in so that no reference count moves); `store` is the embedding's
    /// store, opaque here (host functions called from this instance get it
    /// back); `imports` are the module's imports in order.
    pub fn init_vmctx(
        &mut self,
        inst: &mut InstanceData,
        module: &dyn ModuleRuntime,
        store: *mut u8,
        imports: &[Import],
    ) {
        debug_assert!(std::ptr::addr_eq(module, &*inst.module));
        let (info, offsets) = (module.info(), module.offsets());
        let objects: *mut StoreObjects = self;
        let inst_ptr: *mut InstanceData = inst;
        // SAFETY: each offset comes from this module's `VMOffsets` (the
        // layout `inst`'s block was allocated for) and names a field of the
        // written type; so do the offsets of every write below.
        unsafe {
            inst.write(vmctx::MAGIC_OFFSET, vmctx::VMCTX_MAGIC);
            let context: *mut vmctx::VMStoreContext = &mut self.context;
            inst.write(vmctx::STORE_CONTEXT_OFFSET, context);
            inst.write(
                vmctx::BUILTINS_OFFSET,
                &super::libcalls::BUILTINS as *const _,
            );
            inst.write(vmctx::STORE_OFFSET, store);
            inst.write(vmctx::OBJECTS_OFFSET, objects);
            inst.write(vmctx::INSTANCE_OFFSET, inst_ptr);
            for (i, &id) in module.type_ids().iter().enumerate() {
                inst.write(offsets.type_id(i as u32), id);
            }
        }

        let (mut funcs, mut tables, mut memories) = (0, 0, 0);
        for import in imports {
            match *import {
                Import::Func(r) => {
                    let import = VMFunctionImport {
                        code: r.code,
                        vmctx: r.vmctx,
                    };
                    // SAFETY: `VMOffsets` offsets for fields of these types.
                    unsafe {
                        inst.write(offsets.imported_func(funcs), import);
                        if offsets.has_func_ref(funcs) {
                            inst.write(offsets.func_ref(funcs), r);
                        }
                    }
                    funcs += 1;
                }
                Import::Table(t) => {
                    inst.tables[tables] = t;
                    tables += 1;
                }
                Import::Memory(m) => {
                    inst.memories[memories] = m;
                    memories += 1;
                }
                Import::Global(g) => inst.globals.push(g),
                Import::Tag(t) => inst.tags.push(t),
            }
        }
        // Each defined tag is a new tag of the store.
        for &ty in &info.tags[info.num_imported_tags as usize..] {
            self.tags.push(super::exception::TagData {
                ty: info.types[ty as usize].clone(),
            });
            inst.tags.push(self.tags.len() - 1);
        }

        for i in 0..inst.memories.len() {
            let m = inst.memories[i];
            let ptr: *mut vmctx::VMMemoryDefinition = &mut *self.memories[m].def;
            // SAFETY: a `VMOffsets` offset for a field of this type.
            unsafe { inst.write(offsets.memory_ptr(i as u32), ptr) };
        }
        for i in 0..inst.tables.len() {
            let m = inst.tables[i];
            let ptr: *mut vmctx::VMTableDefinition = &mut *self.tables[m].def;
            // SAFETY: a `VMOffsets` offset for a field of this type.
            unsafe { inst.write(offsets.table_ptr(i as u32), ptr) };
        }
        // The one loop over functions: keep it to a store per field, and
        // skip it in a pooled block that holds these records already.
        if !inst.vmctx.func_refs_kept(module.id()) {
            let vmctx = inst.vmctx_ptr();
            for f in module.defined_func_refs() {
                let r = VMFuncRef {
                    code: f.code as *const u8,
                    type_id: f.type_id,
                    _pad: 0,
                    vmctx,
                };
                // SAFETY: a `VMOffsets` offset for a field of this type.
                unsafe { inst.write(f.offset, r) };
            }
            inst.vmctx.set_func_refs(FuncRefs {
                module: module.id(),
                start: offsets.func_refs_start(),
            });
        }
        for i in 0..info.num_imported_globals {
            let ptr = self.globals[inst.globals[i as usize]].slot();
            // SAFETY: a `VMOffsets` offset for a field of this type.
            unsafe { inst.write(offsets.imported_global(i), ptr) };
        }
        // Defined globals last: their initialisers may read imported
        // globals and earlier defined ones, and take references to any
        // function. Each lives in this vmctx (see `global.rs`), and gets a
        // store record only when the API asks for it (`instance_global`):
        // most are never exported. Constant ones are copied from the
        // module's image, the others evaluated after, in order (those
        // read only earlier globals: copied, or evaluated already).
        let image = module.global_image();
        if !image.is_empty() {
            let first = inst
                .vmctx_ptr()
                .wrapping_add(offsets.defined_global(0) as usize);
            // SAFETY: the defined globals are `image.len()` consecutive
            // `VMGlobal` slots from the first one's `VMOffsets` offset,
            // inside the block and aligned; the image is a separate
            // allocation.
            unsafe {
                let first = first.cast::<VMGlobal>();
                first.copy_from_nonoverlapping(image.as_ptr(), image.len());
            }
        }
        let defined = &info.globals[info.num_imported_globals as usize..];
        for &i in module.instance_globals() {
            let init = defined[i as usize].init.as_ref();
            let bits = inst.eval(init.expect("defined globals have initialisers"));
            // SAFETY: a `VMOffsets` offset for a field of this type.
            unsafe { inst.write(offsets.defined_global(i), VMGlobal { bits }) };
        }
        inst.globals.resize(info.globals.len(), NO_RECORD);
        // A table with an initialiser (typed function references) starts
        // out filled with its value, which may read globals and take any
        // function's reference: so after both, before any segment.
        let defined_tables = &inst.tables[info.num_imported_tables as usize..];
        for (defined, &table) in defined_tables.iter().enumerate() {
            if let Some(init) = info.table_init(defined) {
                let value = inst.eval(init) as usize;
                self.tables[table].elements_mut().fill(value);
            }
        }
    }

    /// The store index of global `g` of instance `index`. A defined
    /// global's store record is made here, on first use, and kept: only
    /// the API needs one (for a `Global` handle), so instantiation makes
    /// none.
    pub fn instance_global(&mut self, index: usize, g: u32) -> usize {
        let inst = &self.instances[index];
        let known = inst.globals[g as usize];
        if known != NO_RECORD {
            return known;
        }
        let ty = inst.module.info().globals[g as usize].ty.clone();
        let slot = inst.global_slot(g).cast_mut();
        // SAFETY: a defined global's slot, inline in the instance's block
        // (valid, aligned, initialised by `init_vmctx`), which lives as
        // long as the store.
        let record = self.push_global(unsafe { GlobalData::in_vmctx(ty, slot) });
        self.instances[index].globals[g as usize] = record;
        record
    }

    /// Step 4a: the instance joins the store; from here on it is observable
    /// (its functions may sit in imported tables even if a segment traps).
    pub fn publish(&mut self, inst: Box<InstanceData>) -> usize {
        debug_assert_eq!(inst.index, self.instances.len());
        self.instances.push(inst);
        self.instances.len() - 1
    }

    /// Step 4b: element segments, then data segments, in order (Wasm 2.0),
    /// or the memory image in place of the data segments. `module` is the
    /// instance's module.
    pub fn apply_segments(
        &mut self,
        index: usize,
        module: &dyn ModuleRuntime,
    ) -> Result<(), SegmentError> {
        debug_assert!(std::ptr::addr_eq(module, &*self.instances[index].module));
        let info = module.info();
        for (e, seg) in info.elems.iter().enumerate() {
            match &seg.mode {
                ElemMode::Passive => continue,
                ElemMode::Declared => {}
                ElemMode::Active { table, offset } => {
                    let inst = &self.instances[index];
                    let is64 = info.tables[*table as usize].table64;
                    let dst = segment_offset(inst.eval(offset), is64);
                    let table = &mut self.tables[inst.tables[*table as usize]];
                    match dst
                        .checked_add(seg.items.len())
                        .filter(|&end| end <= table.elements().len())
                    {
                        Some(end) => {
                            // Evaluated straight into the table: items are
                            // constants, so none reads the table. Most
                            // segments are all `ref.func`, whose values are
                            // the vmctx plus an offset the module computed.
                            let slots = &mut table.elements_mut()[dst..end];
                            if let Some(refs) = module.elem_func_refs(e) {
                                let vmctx = inst.vmctx_ptr() as usize;
                                for (slot, &offset) in slots.iter_mut().zip(refs) {
                                    *slot = vmctx + offset as usize;
                                }
                            } else {
                                for (slot, item) in slots.iter_mut().zip(&seg.items) {
                                    *slot = inst.eval(item) as usize;
                                }
                            }
                        }
                        None => {
                            return Err(SegmentError::Trap(super::trap_codes::TABLE_OUT_OF_BOUNDS));
                        }
                    }
                }
            }
            self.instances[index].drop_elem(e as u32);
        }
        let image = module.memory_image();
        if let Some(image) = image {
            // The image is exactly the active segments applied in order to
            // memory 0, defined by this instance and untouched so far (the
            // start function has not run), and none of them can trap.
            let memory = self.instances[index].memories[0];
            self.memories[memory]
                .map_image(image)
                .map_err(SegmentError::Host)?;
        }
        for (d, seg) in info.datas.iter().enumerate() {
            let DataMode::Active { memory, offset } = &seg.mode else {
                continue;
            };
            if image.is_none() {
                let inst = &self.instances[index];
                let is64 = info.memories[*memory as usize].memory64;
                let dst = segment_offset(inst.eval(offset), is64);
                let bytes = info.data(d as u32);
                let mem = self.memories[inst.memories[*memory as usize]].data_mut();
                match dst.checked_add(bytes.len()).filter(|&end| end <= mem.len()) {
                    Some(end) => mem[dst..end].copy_from_slice(bytes),
                    None => return Err(SegmentError::Trap(ir::TrapCode::HEAP_OUT_OF_BOUNDS)),
                }
            }
            self.instances[index].drop_data(d as u32);
        }
        Ok(())
    }
}

//! `Instance`, the handle to an instantiated module, and instantiation as
//! the API runs it: the imports are type-checked and resolved here (step
//! 1), the VM builds the instance (steps 2–4, `vm/instance.rs`), and the
//! start function runs here (step 5).

use crate::externals::{Extern, Global, Memory, Table};
use crate::func::Func;
use crate::info::EntityIndex;
use crate::module::{Module, entity_type};
use crate::store::{AsContextMut, StoreOpaque, opaque, opaque_and_limiter, opaque_mut};
use crate::trap::{Trap, TrapCode};
use crate::types::{ExternType, Mutability};
use crate::vm::{Import, InstanceData, ModuleRuntime, ResourceLimiter, SegmentError};
use anyhow::{Result, bail};
use std::sync::Arc;

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

fn limits_match(actual_min: u64, actual_max: Option<u64>, min: u64, max: Option<u64>) -> bool {
    actual_min >= min
        && match max {
            None => true,
            Some(max) => actual_max.is_some_and(|a| a <= max),
        }
}

/// Step 1 of instantiation: each import, as `provide` gives it by its
/// position, checked against the type the module declares for it and
/// resolved to the store object it is.
fn typecheck_imports(
    s: &mut StoreOpaque,
    module: &Module,
    mut provide: impl FnMut(&mut StoreOpaque, usize) -> Result<Extern>,
) -> Result<Vec<Import>> {
    let m = module.inner();
    let info = &m.info;
    let mut resolved = Vec::with_capacity(info.imports.len());
    for (i, import) in info.imports.iter().enumerate() {
        let ext = &provide(s, i)?;
        let s = &*s;
        s.check(ext)?;
        // Functions, the common import, check by interned type id (one
        // engine, so equal ids are equal types), then by the chain of
        // declared supertypes; a mismatch falls through to the general
        // check, which explains it.
        if let (EntityIndex::Func(i), Extern::Func(f)) = (import.index, ext) {
            // SAFETY: `funcref` is a live funcref of this store.
            let r = unsafe { *s.get(*f).funcref };
            let expected = m.type_ids[info.funcs[i as usize] as usize];
            if r.type_id == expected || m.engine.is_subtype(r.type_id, expected) {
                resolved.push(Import::Func(r));
                continue;
            }
        }
        let expected = entity_type(info, import.index);
        let actual = ext.ty_in(s);
        let mismatch = || {
            let (module, name) = (&import.module, &import.name);
            anyhow::anyhow!(
                "incompatible import type for `{module}::{name}`: expected {expected}, found {actual}"
            )
        };
        resolved.push(match (ext, &expected, &actual) {
            // Functions: one of the expected type took the path above; any
            // other falls to the last arm, as a wrong kind does.
            (Extern::Global(g), ExternType::Global(e), ExternType::Global(a)) => {
                // An immutable global may hold a subtype of the expected
                // content; a mutable one must be exactly of its type.
                let ok = e.mutability == a.mutability
                    && match e.mutability {
                        Mutability::Const => a.content.matches(&e.content),
                        Mutability::Var => a.content == e.content,
                    };
                if !ok {
                    return Err(mismatch());
                }
                Import::Global(g.index)
            }
            (Extern::Table(t), ExternType::Table(e), ExternType::Table(a)) => {
                let ok = e.element == a.element
                    && e.table64 == a.table64
                    && limits_match(a.minimum, a.maximum, e.minimum, e.maximum);
                if !ok {
                    return Err(mismatch());
                }
                Import::Table(t.index)
            }
            (Extern::Memory(mem), ExternType::Memory(e), ExternType::Memory(a)) => {
                let ok = e.memory64 == a.memory64
                    && e.page_size_log2 == a.page_size_log2
                    && limits_match(a.minimum, a.maximum, e.minimum, e.maximum);
                if !ok {
                    return Err(mismatch());
                }
                Import::Memory(mem.index)
            }
            (Extern::Tag(t), ExternType::Tag(e), ExternType::Tag(a)) => {
                // Tag types match only equal ones (a tag's type is used
                // both ways: to throw and to catch), iso-recursively.
                if e != a {
                    return Err(mismatch());
                }
                Import::Tag(t.index)
            }
            _ => return Err(mismatch()),
        });
    }
    Ok(resolved)
}

impl Instance {
    /// Instantiate `module` with `imports`, given in the order of
    /// `module.imports()`. With a resource limiter on the store
    /// (`Store::limiter`), the instance and the memories and tables it
    /// defines (counts and initial sizes) must be admitted by it first.
    pub fn new(
        mut store: impl AsContextMut,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance> {
        let (s, limiter) = opaque_and_limiter(&mut store);
        Instance::instantiate(s, limiter, module, imports)
    }

    /// Instantiation in `s`, whose resource limiter (if any) is `limiter`.
    pub(crate) fn instantiate(
        s: &mut StoreOpaque,
        limiter: Option<&mut dyn ResourceLimiter>,
        module: &Module,
        imports: &[Extern],
    ) -> Result<Instance> {
        let expected = module.inner().info.imports.len();
        if imports.len() != expected {
            bail!("expected {expected} imports, found {}", imports.len());
        }
        Instance::instantiate_with(s, limiter, module, |_, i| Ok(imports[i]))
    }

    /// Instantiate `module` with the imports `provide` gives by position
    /// (a linker looks each up as it is needed, without a list of them).
    pub(crate) fn instantiate_with(
        s: &mut StoreOpaque,
        limiter: Option<&mut dyn ResourceLimiter>,
        module: &Module,
        provide: impl FnMut(&mut StoreOpaque, usize) -> Result<Extern>,
    ) -> Result<Instance> {
        let m = module.inner();
        if !crate::Engine::same(&m.engine, &s.engine) {
            bail!("cross-engine instantiation is not supported");
        }
        let resolved = typecheck_imports(s, module, provide)?;
        let runtime: Arc<dyn ModuleRuntime> = m.clone();
        let mut inst =
            s.objects
                .allocate_instance(runtime, &s.engine.config().tunables, limiter)?;
        let store: *mut StoreOpaque = s;
        s.objects
            .init_vmctx(&mut inst, &**m, store.cast(), &resolved);
        let index = s.objects.publish(inst);
        debug_assert_eq!(s.modules.len(), index);
        s.modules.push(module.clone());
        let handle = Instance {
            store_id: s.id(),
            index,
        };
        s.objects.apply_segments(index, &**m).map_err(|e| match e {
            SegmentError::Trap(code) => {
                let code = TrapCode::from_ir(code).expect("segment traps have API codes");
                Trap::new(code, Vec::new()).into()
            }
            SegmentError::Host(e) => e,
        })?;
        if let Some(start) = m.info.start {
            let r = s.objects.instances[index].func_ref(start);
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
        // SAFETY: wasm of `s` passes only vmctx blocks of `s`'s instances,
        // which live as long as `s`.
        let index = unsafe { InstanceData::index_of(vmctx) };
        debug_assert!(std::ptr::eq(s.objects.instances[index].vmctx_ptr(), vmctx));
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
        let module = s.module_of(*self).clone();
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
                index: s.objects.instance_global(self.index, g),
            }),
            EntityIndex::Table(t) => Extern::Table(Table {
                store_id,
                index: inst.tables[t as usize],
            }),
            EntityIndex::Memory(m) => Extern::Memory(Memory {
                store_id,
                index: inst.memories[m as usize],
            }),
            EntityIndex::Tag(t) => Extern::Tag(crate::exception::Tag {
                store_id,
                index: inst.tags[t as usize],
            }),
        }
    }

    /// All exports, in declaration order.
    ///
    /// # Panics
    /// If `store` does not own this instance.
    pub fn exports(&self, mut store: impl AsContextMut) -> Vec<(String, Extern)> {
        let s = opaque_mut(&mut store);
        let module = s.module_of(*self).clone();
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
        opaque(store).module_of(*self)
    }
}

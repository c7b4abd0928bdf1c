//! `Linker<T>`: resolves a module's imports by `(module, name)` from
//! definitions and registered instances, then instantiates; and
//! `InstancePre<T>`, a module with its imports resolved once, to
//! instantiate many times (from many threads) without looking names up.
//!
//! Host functions are per engine and usable with any of its stores; a
//! defined store object (`define`, `instance`) only with its own store:
//! `instantiate` (and `module`) with another store returns `Err`, `get`
//! panics, as every method does that cannot return an error.

use crate::engine::Engine;
use crate::externals::Extern;
use crate::func::{Caller, HostFunc, IntoFunc, val_host_fn};
use crate::info::EntityIndex;
use crate::instance::Instance;
use crate::module::Module;
use crate::store::{AsContextMut, StoreOpaque, opaque_and_limiter, opaque_mut};
use crate::types::FuncType;
use crate::values::Val;
use anyhow::{Result, bail};
use rustc_hash::FxHashMap;
use std::marker::PhantomData;
use std::sync::Arc;

#[derive(Clone)]
enum Definition {
    /// A store object (only usable with the store it belongs to).
    Extern(Extern),
    /// A host function, resolved against the linker's engine when defined
    /// and added to each store it is imported into.
    Host(Arc<HostFunc>),
}

impl Definition {
    /// What this defines in `s`: a host function is added to it.
    fn to_extern(&self, s: &mut StoreOpaque) -> Result<Extern> {
        Ok(match self {
            Definition::Extern(e) => *e,
            Definition::Host(host) => Extern::Func(host.add_to_store(s)?),
        })
    }
}

pub struct Linker<T> {
    engine: Engine,
    /// Module name, then field name: lookups by `&str` allocate nothing.
    /// FxHash, not SipHash: it is on the instantiation path, and a module
    /// bounds how many names it imports, so colliding names cost lookups
    /// proportional to the definitions, not more.
    defs: FxHashMap<String, FxHashMap<String, Definition>>,
    allow_shadowing: bool,
    /// Host definitions are closures over stores of `T`.
    _marker: PhantomData<fn() -> T>,
}

impl<T: 'static> Linker<T> {
    pub fn new(engine: &Engine) -> Linker<T> {
        Linker {
            engine: engine.clone(),
            defs: FxHashMap::default(),
            allow_shadowing: false,
            _marker: PhantomData,
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Let later definitions replace earlier ones of the same name.
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.allow_shadowing = allow;
        self
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition) -> Result<()> {
        let fields = self.defs.entry(module.to_string()).or_default();
        if !self.allow_shadowing && fields.contains_key(name) {
            bail!("`{module}::{name}` is already defined");
        }
        fields.insert(name.to_string(), def);
        Ok(())
    }

    pub fn define(
        &mut self,
        module: &str,
        name: &str,
        item: impl Into<Extern>,
    ) -> Result<&mut Self> {
        self.insert(module, name, Definition::Extern(item.into()))?;
        Ok(self)
    }

    /// Define a host function from a closure (see `Func::wrap`).
    pub fn func_wrap<Params, Results>(
        &mut self,
        module: &str,
        name: &str,
        func: impl IntoFunc<T, Params, Results>,
    ) -> Result<&mut Self> {
        let (ty, host) = func.into_func();
        let host = HostFunc::new(&self.engine, ty, host)?;
        self.insert(module, name, Definition::Host(Arc::new(host)))?;
        Ok(self)
    }

    /// Define a host function of type `ty` over `Val`s (see `Func::new`).
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + 'static,
    ) -> Result<&mut Self> {
        let host = HostFunc::new(&self.engine, ty.clone(), val_host_fn(ty, func))?;
        self.insert(module, name, Definition::Host(Arc::new(host)))?;
        Ok(self)
    }

    /// Make every export of `instance` importable under `module`.
    pub fn instance(
        &mut self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        instance: Instance,
    ) -> Result<&mut Self> {
        opaque_mut(&mut store).check(&instance)?;
        for (name, ext) in instance.exports(&mut store) {
            self.insert(module, &name, Definition::Extern(ext))?;
        }
        Ok(self)
    }

    /// Instantiate `module` in `store` and register its exports under `name`.
    pub fn module(
        &mut self,
        mut store: impl AsContextMut<Data = T>,
        name: &str,
        module: &Module,
    ) -> Result<&mut Self> {
        let instance = self.instantiate(&mut store, module)?;
        self.instance(store, name, instance)
    }

    /// The definition of `module::name` in `store`: a host function is
    /// added to the store (so `None` too when `store` belongs to another
    /// engine than the linker).
    ///
    /// # Panics
    /// If the definition is a store object that `store` does not own.
    pub fn get(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        name: &str,
    ) -> Option<Extern> {
        let s = opaque_mut(&mut store);
        let ext = self.resolve(s, module, name).ok()??;
        s.assert_owns(&ext);
        Some(ext)
    }

    fn resolve(&self, s: &mut StoreOpaque, module: &str, name: &str) -> Result<Option<Extern>> {
        let Some(def) = self.defs.get(module).and_then(|fields| fields.get(name)) else {
            return Ok(None);
        };
        def.to_extern(s).map(Some)
    }

    /// Resolve `module`'s imports once, for instantiating it many times
    /// with [`InstancePre::instantiate`]. An import no definition provides,
    /// or a host function of the wrong type, is an error now; store objects
    /// (`define`, `instance`) are checked against the store at
    /// instantiation, as they only exist in theirs.
    pub fn instantiate_pre(&self, module: &Module) -> Result<InstancePre<T>> {
        let m = module.inner();
        if !Engine::same(&self.engine, &m.engine) {
            bail!(
                "cross-engine instantiation: the linker and the module belong to different engines"
            );
        }
        let info = &m.info;
        let defs = info
            .imports
            .iter()
            .map(|import| {
                let (module, name) = (&import.module, &import.name);
                let def = self
                    .defs
                    .get(module.as_str())
                    .and_then(|fields| fields.get(name.as_str()))
                    .ok_or_else(|| {
                        anyhow::anyhow!("unknown import: `{module}::{name}` has not been defined")
                    })?;
                if let (Definition::Host(host), EntityIndex::Func(f)) = (def, import.index) {
                    let expected = m.type_ids[info.funcs[f as usize] as usize];
                    if !self.engine.is_subtype(host.type_id(), expected) {
                        bail!(
                            "incompatible import type for `{module}::{name}`: expected func {}, found func {}",
                            self.engine.lookup_type(expected),
                            host.ty()
                        );
                    }
                }
                Ok(def.clone())
            })
            .collect::<Result<_>>()?;
        Ok(InstancePre {
            module: module.clone(),
            defs,
            _marker: PhantomData,
        })
    }

    /// Resolve `module`'s imports and instantiate it.
    pub fn instantiate(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<Instance> {
        let (s, limiter) = opaque_and_limiter(&mut store);
        if !Engine::same(&self.engine, &s.engine) {
            bail!(
                "cross-engine instantiation: the linker and the store belong to different engines"
            );
        }
        let info = &module.inner().info;
        // Each host function import adds a function record and its index
        // entry: grown once here, not rehashed import by import.
        s.funcs.reserve(info.imports.len());
        s.func_by_ref.reserve(info.imports.len());
        Instance::instantiate_with(s, limiter, module, |s, i| {
            let import = &info.imports[i];
            self.resolve(s, &import.module, &import.name)?
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "unknown import: `{}::{}` has not been defined",
                        import.module,
                        import.name
                    )
                })
        })
    }
}

/// A module with its imports resolved by a [`Linker`]
/// ([`Linker::instantiate_pre`]): instantiating it looks no name up. Cheap
/// to clone and `Send + Sync`, so one can serve every thread of an
/// embedder, each instantiating into its own stores.
pub struct InstancePre<T> {
    module: Module,
    /// One definition per import of `module`, in import order.
    defs: Arc<[Definition]>,
    _marker: PhantomData<fn() -> T>,
}

impl<T> Clone for InstancePre<T> {
    fn clone(&self) -> Self {
        InstancePre {
            module: self.module.clone(),
            defs: self.defs.clone(),
            _marker: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for InstancePre<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstancePre")
            .field("module", &self.module.name())
            .field("imports", &self.defs.len())
            .finish()
    }
}

impl<T: 'static> InstancePre<T> {
    /// The module this instantiates.
    pub fn module(&self) -> &Module {
        &self.module
    }

    /// Instantiate the module in `store`, with the resolved imports: host
    /// functions are added to the store; store objects must be `store`'s.
    pub fn instantiate(&self, mut store: impl AsContextMut<Data = T>) -> Result<Instance> {
        let (s, limiter) = opaque_and_limiter(&mut store);
        if !Engine::same(&self.module.inner().engine, &s.engine) {
            bail!(
                "cross-engine instantiation: the module and the store belong to different engines"
            );
        }
        s.funcs.reserve(self.defs.len());
        s.func_by_ref.reserve(self.defs.len());
        Instance::instantiate_with(s, limiter, &self.module, |s, i| self.defs[i].to_extern(s))
    }
}

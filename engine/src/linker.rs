//! `Linker<T>`: resolves a module's imports by `(module, name)` from
//! definitions and registered instances, then instantiates.

use crate::externals::Extern;
use crate::func::{Caller, Func, IntoFunc};
use crate::instance::Instance;
use crate::module::Module;
use crate::store::{AsContextMut, opaque_mut};
use crate::types::FuncType;
use crate::values::Val;
use anyhow::{Result, bail};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

type HostDefinition<T> =
    Arc<dyn Fn(&mut crate::store::StoreContextMut<'_, T>) -> Func + Send + Sync>;

enum Definition<T> {
    /// A store object (only usable with the store it belongs to).
    Extern(Extern),
    /// A host function, instantiated into each store on first use.
    Host(HostDefinition<T>),
}

impl<T> Clone for Definition<T> {
    fn clone(&self) -> Self {
        match self {
            Definition::Extern(e) => Definition::Extern(*e),
            Definition::Host(h) => Definition::Host(h.clone()),
        }
    }
}

pub struct Linker<T> {
    defs: HashMap<(String, String), Definition<T>>,
    allow_shadowing: bool,
    _marker: PhantomData<fn() -> T>,
}

impl<T> Default for Linker<T> {
    fn default() -> Self {
        Linker {
            defs: HashMap::new(),
            allow_shadowing: false,
            _marker: PhantomData,
        }
    }
}

impl<T: 'static> Linker<T> {
    pub fn new(_engine: &crate::Engine) -> Linker<T> {
        Linker::default()
    }

    /// Let later definitions replace earlier ones of the same name.
    pub fn allow_shadowing(&mut self, allow: bool) -> &mut Self {
        self.allow_shadowing = allow;
        self
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition<T>) -> Result<()> {
        let key = (module.to_string(), name.to_string());
        if !self.allow_shadowing && self.defs.contains_key(&key) {
            bail!("`{module}::{name}` is already defined");
        }
        self.defs.insert(key, def);
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
        func: impl IntoFunc<T, Params, Results> + Clone,
    ) -> Result<&mut Self> {
        let make: HostDefinition<T> = Arc::new(move |store| Func::wrap(store, func.clone()));
        self.insert(module, name, Definition::Host(make))?;
        Ok(self)
    }

    /// Define a host function of type `ty` over `Val`s (see `Func::new`).
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        func: impl Fn(Caller<'_, T>, &[Val], &mut [Val]) -> Result<()> + Send + Sync + Clone + 'static,
    ) -> Result<&mut Self> {
        let make: HostDefinition<T> =
            Arc::new(move |store| Func::new(store, ty.clone(), func.clone()));
        self.insert(module, name, Definition::Host(make))?;
        Ok(self)
    }

    /// Make every export of `instance` importable under `module`.
    pub fn instance(
        &mut self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        instance: Instance,
    ) -> Result<&mut Self> {
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

    pub fn get(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &str,
        name: &str,
    ) -> Option<Extern> {
        let def = self.defs.get(&(module.to_string(), name.to_string()))?;
        Some(match def {
            Definition::Extern(e) => *e,
            Definition::Host(make) => Extern::Func(make(&mut store.as_context_mut())),
        })
    }

    /// Resolve `module`'s imports and instantiate it.
    pub fn instantiate(
        &self,
        mut store: impl AsContextMut<Data = T>,
        module: &Module,
    ) -> Result<Instance> {
        let mut imports = Vec::with_capacity(module.imports().len());
        for import in module.imports() {
            match self.get(&mut store, import.module(), import.name()) {
                Some(e) => imports.push(e),
                None => bail!(
                    "unknown import: `{}::{}` has not been defined",
                    import.module(),
                    import.name()
                ),
            }
        }
        Instance::instantiate(opaque_mut(&mut store), module, &imports)
    }
}

//! Instantiation (spec §4.5.4 "Instantiation", Wasm 2.0 edition):
//! import matching, allocation of the module instance, then initialisation
//! in the spec's order — active element segments (`table.init` +
//! `elem.drop`), declarative segments dropped, active data segments
//! (`memory.init` + `data.drop`), then the start function.
//!
//! A trap during initialisation leaves everything already allocated and
//! written in the store (so writes to imported tables and memories by
//! earlier segments remain visible), and is returned as the error.

use std::sync::Arc;

use crate::error::Error;
use crate::exec;
use crate::module::{
    ArithOp, ConstExpr, ConstInstr, DataMode, ElemMode, ImportDesc, IntWidth, Module,
};
use crate::store::{DataInst, ElemInst, ExternVal, FuncInst, ModuleAddr, ModuleInst, Store, addr};
use crate::value::{FuncAddr, Limits, MemoryType, Ref, TableType, Value};

fn link_err(msg: String) -> Error {
    Error::Link(msg)
}

impl Store {
    /// Check that `ext` matches the import `desc` (§4.5.2 "Import
    /// Matching"): a function of the expected type or a declared subtype,
    /// a tag of an equal type, global types matching as values (covariant
    /// if immutable), equal table element types, and limits subtyping for
    /// tables and memories, where the
    /// provided limits' minimum is the instance's *current* size.
    fn check_import(
        &self,
        module: &Module,
        desc: &ImportDesc,
        ext: ExternVal,
    ) -> Result<(), String> {
        match (desc, ext) {
            (ImportDesc::Tag(t), ExternVal::Tag(a)) => {
                // Equal types only: a tag's type is used both ways.
                let want = *module.type_ids.get(*t as usize).ok_or("bad type index")?;
                let have = self.tag(a).map_err(|e| e.to_string())?.id;
                if have != want {
                    return Err(format!(
                        "tag type mismatch: expected {:?}, got {:?}",
                        want.func_type(),
                        have.func_type()
                    ));
                }
            }
            (ImportDesc::Func(t), ExternVal::Func(a)) => {
                // The function's type or a declared subtype of it.
                let want = *module.type_ids.get(*t as usize).ok_or("bad type index")?;
                let have = self.func(a).map_err(|e| e.to_string())?.type_id();
                if !have.matches(want) {
                    return Err(format!(
                        "function type mismatch: expected {:?}, got {:?}",
                        want.func_type(),
                        have.func_type()
                    ));
                }
            }
            (ImportDesc::Table(want), ExternVal::Table(a)) => {
                let t = self.table(a).map_err(|e| e.to_string())?;
                let have = TableType {
                    limits: Limits {
                        min: t.elem.len() as u64,
                        ..t.ty.limits
                    },
                    ..t.ty
                };
                if have.elem != want.elem
                    || have.is64 != want.is64
                    || !have.limits.matches(&want.limits)
                {
                    return Err(format!(
                        "table type mismatch: expected {want:?}, got {have:?}"
                    ));
                }
            }
            (ImportDesc::Memory(want), ExternVal::Memory(a)) => {
                let m = self.mem(a).map_err(|e| e.to_string())?;
                let have = MemoryType {
                    limits: Limits {
                        min: m.pages(),
                        ..m.ty.limits
                    },
                    ..m.ty
                };
                if have.is64 != want.is64
                    || have.page_size != want.page_size
                    || !have.limits.matches(&want.limits)
                {
                    return Err(format!(
                        "memory type mismatch: expected {want:?}, got {have:?}"
                    ));
                }
            }
            (ImportDesc::Global(want), ExternVal::Global(a)) => {
                let have = self.global(a).map_err(|e| e.to_string())?.ty;
                // An immutable global may hold a subtype of the expected
                // content (§4.5.2, Wasm 3.0); a mutable one is invariant.
                let ok = have.mutable == want.mutable
                    && match want.mutable {
                        false => have.content.matches(want.content),
                        true => have.content == want.content,
                    };
                if !ok {
                    return Err(format!(
                        "global type mismatch: expected {want:?}, got {have:?}"
                    ));
                }
            }
            (desc, ext) => {
                return Err(format!(
                    "incompatible import type: expected {desc:?}, got {ext:?}"
                ));
            }
        }
        Ok(())
    }

    /// Evaluate a constant expression in the context of the (possibly
    /// partial) module instance `inst`.
    fn eval_const(&self, inst: &ModuleInst, e: &ConstExpr) -> Result<Value, Error> {
        Ok(match e {
            ConstExpr::Const(v) => *v,
            ConstExpr::RefNull(t) => Value::Ref(Ref::Null(*t)),
            ConstExpr::RefFunc(f) => Value::Ref(Ref::Func(addr(&inst.funcaddrs, *f, "function")?)),
            ConstExpr::GlobalGet(g) => self.global_value(addr(&inst.globaladdrs, *g, "global")?)?,
            ConstExpr::Seq(seq) => {
                let mut stack = Vec::new();
                for instr in seq {
                    let v = match instr {
                        ConstInstr::Leaf(c) => self.eval_const(inst, c)?,
                        ConstInstr::Arith(width, op) => {
                            let (b, a) = (stack.pop(), stack.pop());
                            const_arith(*width, *op, a, b).ok_or_else(|| {
                                Error::Link(format!("ill-typed constant expression {seq:?}"))
                            })?
                        }
                    };
                    stack.push(v);
                }
                match (stack.pop(), stack.is_empty()) {
                    (Some(v), true) => v,
                    _ => {
                        return Err(Error::Link(format!(
                            "ill-typed constant expression {seq:?}"
                        )));
                    }
                }
            }
        })
    }

    /// Instantiate `module` with `imports` (one external value per import,
    /// in order) and return the new module instance's address.
    pub fn instantiate(
        &mut self,
        module: &Module,
        imports: &[ExternVal],
    ) -> Result<ModuleAddr, Error> {
        // Import matching.
        if imports.len() != module.imports.len() {
            return Err(link_err(format!(
                "expected {} imports, got {}",
                module.imports.len(),
                imports.len()
            )));
        }
        for (imp, ext) in module.imports.iter().zip(imports) {
            self.check_import(module, &imp.desc, *ext)
                .map_err(|m| link_err(format!("{}.{}: {m}", imp.module, imp.name)))?;
        }

        // The instance under construction; its address is known in advance.
        let modaddr = self.modules.len();
        let mut inst = ModuleInst {
            types: module.types.clone(),
            type_ids: module.type_ids.clone(),
            ..ModuleInst::default()
        };
        for ext in imports {
            match *ext {
                ExternVal::Func(a) => inst.funcaddrs.push(a),
                ExternVal::Table(a) => inst.tableaddrs.push(a),
                ExternVal::Memory(a) => inst.memaddrs.push(a),
                ExternVal::Global(a) => inst.globaladdrs.push(a),
                ExternVal::Tag(a) => inst.tagaddrs.push(a),
            }
        }
        // alloctag for every defined tag: a new identity each.
        for &t in &module.tags {
            let bad = || Error::Invalid("bad tag type index".into());
            let ty = module.types.get(t as usize).cloned().ok_or_else(bad)?;
            let id = *module.type_ids.get(t as usize).ok_or_else(bad)?;
            self.tags.push(crate::store::TagInst { ty, id });
            inst.tagaddrs.push(self.tags.len() - 1);
        }

        // allocfunc for every defined function. Functions are allocated
        // first so that `ref.func` in initialisers can see them, like the
        // spec's auxiliary module instance.
        for f in &module.funcs {
            let bad = || Error::Invalid("bad function type index".into());
            let ty = module
                .types
                .get(f.type_idx as usize)
                .cloned()
                .ok_or_else(bad)?;
            let id = *module.type_ids.get(f.type_idx as usize).ok_or_else(bad)?;
            self.funcs.push(FuncInst::Wasm {
                ty,
                id,
                module: modaddr,
                code: Arc::clone(f),
            });
            inst.funcaddrs.push(self.funcs.len() - 1);
        }

        // A global's initialiser sees the imported globals and (GC, Wasm
        // 3.0) the globals defined before it: each is allocated as soon as
        // its value is known, so `inst` holds exactly those.
        for g in &module.globals {
            let v = self.eval_const(&inst, &g.init)?;
            let a = self.alloc_global(g.ty, v);
            inst.globaladdrs.push(a);
        }
        let mut elem_vals: Vec<Vec<Ref>> = Vec::with_capacity(module.elems.len());
        for seg in &module.elems {
            let mut refs = Vec::with_capacity(seg.init.len());
            for e in &seg.init {
                match self.eval_const(&inst, e)? {
                    Value::Ref(r) => refs.push(r),
                    v => return Err(Error::Invalid(format!("element initialiser produced {v}"))),
                }
            }
            elem_vals.push(refs);
        }

        // A table's initialiser (typed function references) sees the
        // imported globals and every function, like a global's.
        let mut table_inits = Vec::with_capacity(module.tables.len());
        for (i, t) in module.tables.iter().enumerate() {
            table_inits.push(match module.table_inits.get(i).and_then(Option::as_ref) {
                None => Ref::Null(t.elem.heap.kind()),
                Some(e) => match self.eval_const(&inst, e)? {
                    Value::Ref(r) => r,
                    v => return Err(Error::Invalid(format!("table initialiser produced {v}"))),
                },
            });
        }
        for (t, init) in module.tables.iter().zip(table_inits) {
            let a = self.alloc_table(*t, init)?;
            inst.tableaddrs.push(a);
        }
        for m in &module.memories {
            let a = self.alloc_mem(*m)?;
            inst.memaddrs.push(a);
        }
        for (seg, refs) in module.elems.iter().zip(elem_vals) {
            self.elems.push(ElemInst {
                ty: seg.ty,
                elem: refs,
            });
            inst.elemaddrs.push(self.elems.len() - 1);
        }
        for seg in &module.datas {
            self.datas.push(DataInst {
                data: seg.init.clone(),
            });
            inst.dataaddrs.push(self.datas.len() - 1);
        }
        for e in &module.exports {
            let v = inst.resolve(e.desc)?;
            inst.exports.push((e.name.clone(), v));
        }
        // Nothing else allocates module instances in between, so this is
        // `modaddr`, the address the function instances already refer to.
        self.add_module(inst);

        self.initialise(module, modaddr)?;
        Ok(modaddr)
    }

    /// The initialisation steps after allocation; may trap.
    fn initialise(&mut self, module: &Module, modaddr: ModuleAddr) -> Result<(), Error> {
        let inst = self.module(modaddr)?.clone();
        for (i, seg) in module.elems.iter().enumerate() {
            let elemaddr = addr(&inst.elemaddrs, i as u32, "element segment")?;
            match &seg.mode {
                ElemMode::Active { table, offset } => {
                    let d = self.offset_value(&inst, offset)?;
                    let n = seg.init.len() as u32;
                    let tableaddr = addr(&inst.tableaddrs, *table, "table")?;
                    self.table_init(tableaddr, elemaddr, d, 0, n)?;
                    self.elem_drop(elemaddr)?;
                }
                ElemMode::Declarative => self.elem_drop(elemaddr)?,
                ElemMode::Passive => {}
            }
        }
        for (i, seg) in module.datas.iter().enumerate() {
            if let DataMode::Active { memory, offset } = &seg.mode {
                let dataaddr = addr(&inst.dataaddrs, i as u32, "data segment")?;
                let d = self.offset_value(&inst, offset)?;
                let n = seg.init.len() as u32;
                let memaddr = addr(&inst.memaddrs, *memory, "memory")?;
                self.mem_init(memaddr, dataaddr, d, 0, n)?;
                self.data_drop(dataaddr)?;
            }
        }
        if let Some(start) = module.start {
            let f: FuncAddr = addr(&inst.funcaddrs, start, "function")?;
            exec::invoke(self, f, &[])?;
        }
        Ok(())
    }

    /// A segment offset (an `i32`, or an `i64` for a 64-bit memory or
    /// table), as the unsigned address it denotes.
    fn offset_value(&self, inst: &ModuleInst, e: &ConstExpr) -> Result<u64, Error> {
        match self.eval_const(inst, e)? {
            Value::I32(v) => Ok(u64::from(v as u32)),
            Value::I64(v) => Ok(v as u64),
            v => Err(Error::Invalid(format!(
                "segment offset {v} is not an integer"
            ))),
        }
    }
}

/// `a op b` at `width`, wrapping; `None` unless both are of that width.
fn const_arith(width: IntWidth, op: ArithOp, a: Option<Value>, b: Option<Value>) -> Option<Value> {
    Some(match (width, a?, b?) {
        (IntWidth::I32, Value::I32(a), Value::I32(b)) => Value::I32(match op {
            ArithOp::Add => a.wrapping_add(b),
            ArithOp::Sub => a.wrapping_sub(b),
            ArithOp::Mul => a.wrapping_mul(b),
        }),
        (IntWidth::I64, Value::I64(a), Value::I64(b)) => Value::I64(match op {
            ArithOp::Add => a.wrapping_add(b),
            ArithOp::Sub => a.wrapping_sub(b),
            ArithOp::Mul => a.wrapping_mul(b),
        }),
        _ => return None,
    })
}

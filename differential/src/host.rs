//! The `spectest` host module the reference testsuite imports from:
//! printing functions (no-ops here), four globals holding 666 / 666.6,
//! funcref tables of 10..20 elements (`table`, and `table64` indexed by
//! `i64`) and a memory of 1..2 pages.

use std::sync::Arc;

use crate::error::Error;
use crate::store::{ExternVal, ModuleAddr, ModuleInst, Store};
use crate::value::{
    FuncType, GlobalType, HeapType, Limits, MemoryType, RefKind, RefType, TableType, ValType, Value,
};

/// Allocate the `spectest` instance in `store` and return its address.
pub fn spectest(store: &mut Store) -> Result<ModuleAddr, Error> {
    use ValType::*;
    let mut inst = ModuleInst::default();
    let prints: [(&str, &[ValType]); 7] = [
        ("print", &[]),
        ("print_i32", &[I32]),
        ("print_i64", &[I64]),
        ("print_f32", &[F32]),
        ("print_f64", &[F64]),
        ("print_i32_f32", &[I32, F32]),
        ("print_f64_f64", &[F64, F64]),
    ];
    for (name, params) in prints {
        let ty = FuncType {
            params: params.to_vec(),
            results: vec![],
        };
        // Output is irrelevant to the tests and would only be noise.
        let f = store.alloc_host_func(ty, Arc::new(|_| Ok(Vec::new())));
        inst.exports.push((name.to_string(), ExternVal::Func(f)));
    }
    let globals = [
        ("global_i32", I32, Value::I32(666)),
        ("global_i64", I64, Value::I64(666)),
        ("global_f32", F32, Value::F32(666.6f32.to_bits())),
        ("global_f64", F64, Value::F64(666.6f64.to_bits())),
    ];
    for (name, content, value) in globals {
        let g = store.alloc_global(
            GlobalType {
                mutable: false,
                content,
            },
            value,
        );
        inst.exports.push((name.to_string(), ExternVal::Global(g)));
    }
    for (name, is64) in [("table", false), ("table64", true)] {
        let table = store.alloc_table(
            TableType {
                limits: Limits {
                    min: 10,
                    max: Some(20),
                },
                elem: RefType {
                    nullable: true,
                    heap: HeapType::Func,
                },
                is64,
            },
            crate::value::Ref::Null(RefKind::Func),
        )?;
        inst.exports
            .push((name.to_string(), ExternVal::Table(table)));
    }
    let memory = store.alloc_mem(MemoryType {
        limits: Limits {
            min: 1,
            max: Some(2),
        },
        is64: false,
        page_size: crate::store::PAGE_SIZE as u64,
    })?;
    inst.exports
        .push(("memory".to_string(), ExternVal::Memory(memory)));
    Ok(store.add_module(inst))
}

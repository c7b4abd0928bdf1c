//! The pooling instance allocator seen from the embedder
//! (`InstanceAllocationStrategy::Pooling`): slots reused with their
//! contents reset (memories with and without images, tables, after
//! growth, with and without keep-resident bytes, in both bounds-check
//! modes; and the on-demand allocator's reused reservations), exhaustion
//! and recovery, the pool's limits at instantiation and
//! growth, and many threads sharing one pool.

use kiln::*;

/// A pool of `n` slots of each kind, otherwise wasmtime's defaults.
fn pool(n: u32) -> PoolingAllocationConfig {
    let mut config = PoolingAllocationConfig::new();
    config
        .total_core_instances(n)
        .total_memories(n)
        .total_tables(n);
    config
}

fn engine(pool: &PoolingAllocationConfig, mode: BoundsChecks) -> Engine {
    engine_with(pool.clone().into(), mode)
}

fn engine_with(strategy: InstanceAllocationStrategy, mode: BoundsChecks) -> Engine {
    let mut config = Config::new();
    config.allocation_strategy(strategy).bounds_checks(mode);
    Engine::new(&config).unwrap()
}

// Each module below exports `run`, which returns 0 when it finds its
// instance in its initial state (a distinct code for each thing that is
// not), then leaves as much behind as it can: bytes written, memory and
// tables grown, elements set. An export `oob`, if any, must trap on a
// fresh instance (an access just past the initial size).

/// A memory without data: zero everywhere, one page, also after the last
/// instance grew it (pages grown are zero, and past the size faults).
const MEMORY: &str = r#"(module
    (memory 1 8)
    (func (export "run") (result i32)
        (if (i32.ne (memory.size) (i32.const 1)) (then (return (i32.const 1))))
        (if (i32.load (i32.const 0)) (then (return (i32.const 2))))
        (if (i32.load (i32.const 40000)) (then (return (i32.const 3))))
        (if (i32.load (i32.const 65532)) (then (return (i32.const 4))))
        (i32.store (i32.const 0) (i32.const -1))
        (i32.store (i32.const 40000) (i32.const -1))
        (i32.store (i32.const 65532) (i32.const -1))
        (if (i32.ne (memory.grow (i32.const 2)) (i32.const 1)) (then (return (i32.const 5))))
        (if (i32.load (i32.const 131072)) (then (return (i32.const 6))))
        (if (i32.load (i32.const 196604)) (then (return (i32.const 7))))
        (i32.store (i32.const 131072) (i32.const -1))
        (i32.store (i32.const 196604) (i32.const -1))
        (i32.const 0))
    (func (export "oob") (result i32) (i32.load (i32.const 65536))))"#;

/// Memory with data segments (a memory image in guard-page mode): the
/// segments' bytes, zeros elsewhere.
const IMAGE_KILN: &str = r#"(module
    (memory 2 8)
    (data (i32.const 16) "kiln")
    (data (i32.const 70000) "pool")
    (func (export "run") (result i32)
        (if (i32.ne (i32.load (i32.const 16)) (i32.const 0x6e6c696b)) (then (return (i32.const 1))))
        (if (i32.ne (i32.load (i32.const 70000)) (i32.const 0x6c6f6f70)) (then (return (i32.const 2))))
        (if (i32.load (i32.const 0)) (then (return (i32.const 3))))
        (if (i32.load (i32.const 8192)) (then (return (i32.const 4))))
        (if (i32.load (i32.const 131068)) (then (return (i32.const 5))))
        (i32.store (i32.const 16) (i32.const -1))
        (i32.store (i32.const 70000) (i32.const -1))
        (i32.store (i32.const 0) (i32.const -1))
        (i32.store (i32.const 8192) (i32.const -1))
        (i32.store (i32.const 131068) (i32.const -1))
        (drop (memory.grow (i32.const 1)))
        (if (i32.load (i32.const 131072)) (then (return (i32.const 6))))
        (i32.store (i32.const 131072) (i32.const -1))
        (i32.const 0))
    (func (export "oob") (result i32) (i32.load (i32.const 131072))))"#;

/// Another image at the same offset, so that a slot holding the other
/// one must not be taken as it is.
const IMAGE_WASM: &str = r#"(module
    (memory 2 8)
    (data (i32.const 16) "wasm")
    (func (export "run") (result i32)
        (if (i32.ne (i32.load (i32.const 16)) (i32.const 0x6d736177)) (then (return (i32.const 1))))
        (if (i32.load (i32.const 70000)) (then (return (i32.const 2))))
        (i32.store (i32.const 16) (i32.const -1))
        (i32.store (i32.const 70000) (i32.const -1))
        (i32.const 0)))"#;

/// A table: its element segment, nulls elsewhere, its initial size.
const TABLE: &str = r#"(module
    (table 2 10 funcref)
    (func $f)
    (elem (i32.const 0) $f)
    (func (export "run") (result i32)
        (if (i32.ne (table.size) (i32.const 2)) (then (return (i32.const 1))))
        (if (ref.is_null (table.get (i32.const 0))) (then (return (i32.const 2))))
        (if (i32.eqz (ref.is_null (table.get (i32.const 1)))) (then (return (i32.const 3))))
        (table.set (i32.const 1) (ref.func $f))
        (if (i32.ne (table.grow (ref.null func) (i32.const 3)) (i32.const 2)) (then (return (i32.const 4))))
        (if (i32.eqz (ref.is_null (table.get (i32.const 4)))) (then (return (i32.const 5))))
        (table.fill (i32.const 2) (ref.func $f) (i32.const 3))
        (i32.const 0))
    (func (export "oob") (result funcref) (table.get (i32.const 2))))"#;

/// Function references (in a table, through a global): each calls its
/// own function. `FUNCS_B` lays its references out where `FUNCS_A` does,
/// so a slot keeping one module's references (for that module's next
/// instance) must not pass them to the other.
const FUNCS_A: &str = r#"(module
    (type $t (func (result i32)))
    (table 3 funcref)
    (func $a (result i32) (i32.const 11))
    (func $b (result i32) (i32.const 22))
    (elem (i32.const 0) $a $b)
    (global $g funcref (ref.func $b))
    (func (export "run") (result i32)
        (if (i32.ne (call_indirect (type $t) (i32.const 0)) (i32.const 11)) (then (return (i32.const 1))))
        (if (i32.ne (call_indirect (type $t) (i32.const 1)) (i32.const 22)) (then (return (i32.const 2))))
        (table.set (i32.const 2) (global.get $g))
        (if (i32.ne (call_indirect (type $t) (i32.const 2)) (i32.const 22)) (then (return (i32.const 3))))
        (i32.const 0)))"#;

const FUNCS_B: &str = r#"(module
    (type $t (func (result i32)))
    (table 3 funcref)
    (func $a (result i32) (i32.const 33))
    (func $b (result i32) (i32.const 44))
    (elem (i32.const 0) $a $b)
    (global $g funcref (ref.func $b))
    (func (export "run") (result i32)
        (if (i32.ne (call_indirect (type $t) (i32.const 0)) (i32.const 33)) (then (return (i32.const 1))))
        (if (i32.ne (call_indirect (type $t) (i32.const 1)) (i32.const 44)) (then (return (i32.const 2))))
        (table.set (i32.const 2) (global.get $g))
        (if (i32.ne (call_indirect (type $t) (i32.const 2)) (i32.const 44)) (then (return (i32.const 3))))
        (i32.const 0)))"#;

/// A 64-bit memory: explicitly checked, at the start of its slot.
const MEMORY64: &str = r#"(module
    (memory i64 1 8)
    (func (export "run") (result i32)
        (if (i64.ne (memory.size) (i64.const 1)) (then (return (i32.const 1))))
        (if (i32.load (i64.const 0)) (then (return (i32.const 2))))
        (if (i32.load (i64.const 65532)) (then (return (i32.const 3))))
        (i32.store (i64.const 0) (i32.const -1))
        (i32.store (i64.const 65532) (i32.const -1))
        (if (i64.ne (memory.grow (i64.const 2)) (i64.const 1)) (then (return (i32.const 4))))
        (if (i32.load (i64.const 131072)) (then (return (i32.const 5))))
        (i32.store (i64.const 131072) (i32.const -1))
        (i32.const 0))
    (func (export "oob") (result i32) (i32.load (i64.const 65536))))"#;

/// 1-byte pages: a size that does not end on a host page.
const BYTE_PAGES: &str = r#"(module
    (memory 100 100000 (pagesize 1))
    (func (export "run") (result i32)
        (if (i32.ne (memory.size) (i32.const 100)) (then (return (i32.const 1))))
        (if (i32.load (i32.const 96)) (then (return (i32.const 2))))
        (i32.store (i32.const 96) (i32.const -1))
        (if (i32.ne (memory.grow (i32.const 5000)) (i32.const 100)) (then (return (i32.const 3))))
        (if (i32.load (i32.const 100)) (then (return (i32.const 4))))
        (if (i32.load (i32.const 5096)) (then (return (i32.const 5))))
        (i32.store (i32.const 100) (i32.const -1))
        (i32.store (i32.const 5096) (i32.const -1))
        (i32.const 0))
    (func (export "oob") (result i32) (i32.load (i32.const 97))))"#;

/// Instantiate `wats` in turn (a new store each time), `iterations` times
/// in all, in an engine with `strategy` and `mode`, and check that each
/// instance starts in its initial state (see above).
fn check(
    strategy: impl Into<InstanceAllocationStrategy>,
    mode: BoundsChecks,
    wats: &[&str],
    iterations: usize,
) {
    let engine = engine_with(strategy.into(), mode);
    let modules: Vec<Module> = wats
        .iter()
        .map(|wat| Module::new(&engine, wat).unwrap())
        .collect();
    for i in 0..iterations {
        let which = i % modules.len();
        let mut store = Store::new(&engine, ());
        let instance = Instance::new(&mut store, &modules[which], &[])
            .unwrap_or_else(|e| panic!("{mode:?}, module {which}, iteration {i}: {e:#}"));
        // Past the initial size first (`run` grows it).
        if let Some(oob) = instance.get_func(&mut store, "oob") {
            let mut result = vec![Val::I32(0); oob.ty(&store).results().len()];
            let trapped = oob.call(&mut store, &[], &mut result);
            assert!(
                trapped.is_err(),
                "{mode:?}, module {which}, iteration {i}: no trap past the end"
            );
        }
        let run = instance
            .get_typed_func::<(), i32>(&mut store, "run")
            .unwrap();
        let found = run.call(&mut store, ()).unwrap();
        assert_eq!(
            found, 0,
            "{mode:?}, module {which}, iteration {i}: what the last instance left (code {found})"
        );
    }
}

#[test]
fn slots_are_reused_with_their_contents_reset() {
    // One slot of each kind: every instance takes the last one's.
    let one = pool(1);
    let mut resident = pool(1);
    resident
        .linear_memory_keep_resident(3 * 65536)
        .table_keep_resident(4096);
    let guard = BoundsChecks::GuardPages;
    let explicit = BoundsChecks::Explicit;
    let sets: [&[&str]; 8] = [
        &[MEMORY],
        &[IMAGE_KILN],
        &[TABLE],
        &[MEMORY64],
        &[BYTE_PAGES],
        // Images of two modules and none in turn through one slot.
        &[IMAGE_KILN, IMAGE_WASM, MEMORY],
        &[IMAGE_KILN, IMAGE_KILN, IMAGE_WASM],
        // Function references kept for the same module, and not for the
        // other.
        &[FUNCS_A, FUNCS_B, FUNCS_A, FUNCS_A],
    ];
    for wats in sets {
        check(one.clone(), guard, wats, 10_000);
        check(resident.clone(), guard, wats, 500);
        check(one.clone(), explicit, wats, 500);
        check(resident.clone(), explicit, wats, 500);
    }
}

/// A free memory slot goes back to the module whose image it holds, so
/// that module's next instance maps nothing: with two modules' slots
/// free, each module's instance lands in its own, in either order.
#[test]
fn slots_go_back_to_the_module_whose_image_they_hold() {
    let engine = engine(&pool(2), BoundsChecks::GuardPages);
    let module = |byte: &str| {
        let wat = format!(r#"(module (memory (export "m") 1) (data (i32.const 0) "{byte}"))"#);
        Module::new(&engine, wat).unwrap()
    };
    let (a, b) = (module("a"), module("b"));
    // Where an instance of `module` in `store` has its memory.
    let slot = |store: &mut Store<()>, module: &Module| {
        let instance = Instance::new(&mut *store, module, &[]).unwrap();
        let memory = instance.get_memory(&mut *store, "m").unwrap();
        memory.data(&*store).as_ptr() as usize
    };
    let (mut first, mut second) = (Store::new(&engine, ()), Store::new(&engine, ()));
    let (slot_a, slot_b) = (slot(&mut first, &a), slot(&mut second, &b));
    assert_ne!(slot_a, slot_b);
    drop((first, second));
    for (m, n, slot_m, slot_n) in [(&a, &b, slot_a, slot_b), (&b, &a, slot_b, slot_a)] {
        let (mut first, mut second) = (Store::new(&engine, ()), Store::new(&engine, ()));
        assert_eq!(slot(&mut first, m), slot_m);
        assert_eq!(slot(&mut second, n), slot_n);
    }
}

/// The on-demand allocator reuses the guard reservations of dropped
/// memories (pages dropped, protection set to the new size): the same
/// checks, including growth past the old size and the trap just past the
/// new one after a bigger memory used the reservation.
#[test]
fn on_demand_reservations_are_reused_with_their_contents_reset() {
    let on_demand = InstanceAllocationStrategy::OnDemand;
    for wats in [
        &[MEMORY][..],
        &[IMAGE_KILN, IMAGE_WASM, MEMORY],
        &[IMAGE_KILN, MEMORY, BYTE_PAGES, MEMORY64],
    ] {
        check(on_demand.clone(), BoundsChecks::GuardPages, wats, 2_000);
    }
}

/// Where a store gets a slot from in [`exhaustion_is_an_error_until_a_store_drops`].
#[derive(Clone, Copy, Debug)]
enum Taker {
    /// Instantiating this module.
    Wasm(&'static str),
    HostMemory,
    HostTable,
}

fn take(store: &mut Store<()>, module: Option<&Module>, taker: Taker) -> Result<()> {
    match taker {
        Taker::Wasm(_) => Instance::new(store, module.unwrap(), &[]).map(|_| ()),
        Taker::HostMemory => Memory::new(store, MemoryType::new(1, None)).map(|_| ()),
        Taker::HostTable => Table::new(
            store,
            TableType::new(RefType::FUNCREF, 1, None),
            Val::FuncRef(None),
        )
        .map(|_| ()),
    }
}

/// With every slot of a kind in use, taking one more is an error naming
/// the limit, and works again once a store holding slots is dropped.
#[test]
fn exhaustion_is_an_error_until_a_store_drops() {
    let many = 100;
    let cases: [(PoolingAllocationConfig, Taker, &str); 6] = [
        (
            pool(many).total_core_instances(2).clone(),
            Taker::Wasm("(module (func))"),
            "all 2 instance slots of the pooling allocator are in use (total_core_instances)",
        ),
        (
            pool(many).total_memories(2).clone(),
            Taker::Wasm("(module (memory 1))"),
            "all 2 memory slots of the pooling allocator are in use (total_memories)",
        ),
        (
            pool(many).total_tables(2).clone(),
            Taker::Wasm("(module (table 1 funcref))"),
            "all 2 table slots of the pooling allocator are in use (total_tables)",
        ),
        (
            pool(many).total_memories(2).clone(),
            Taker::HostMemory,
            "all 2 memory slots of the pooling allocator are in use (total_memories)",
        ),
        (
            pool(many).total_tables(2).clone(),
            Taker::HostTable,
            "all 2 table slots of the pooling allocator are in use (total_tables)",
        ),
        // A failure after the memory slots were taken (no table slot
        // left) must not keep them once its store is dropped.
        (
            pool(many).total_tables(2).clone(),
            Taker::Wasm("(module (memory 1) (table 1 funcref))"),
            "all 2 table slots of the pooling allocator are in use (total_tables)",
        ),
    ];
    for (config, taker, error) in cases {
        let engine = engine(&config, BoundsChecks::GuardPages);
        let module = match taker {
            Taker::Wasm(wat) => Some(Module::new(&engine, wat).unwrap()),
            _ => None,
        };
        let module = module.as_ref();
        for _ in 0..3 {
            let mut full = Store::new(&engine, ());
            take(&mut full, module, taker).unwrap();
            take(&mut full, module, taker).unwrap();
            let mut other = Store::new(&engine, ());
            for _ in 0..2 {
                let e = take(&mut other, module, taker).unwrap_err();
                assert_eq!(format!("{e:#}"), error, "{taker:?}");
            }
            drop(other);
            drop(full);
            let mut next = Store::new(&engine, ());
            take(&mut next, module, taker).unwrap_or_else(|e| panic!("{taker:?}: {e:#}"));
        }
    }
}

/// A module beyond the pool's limits fails to instantiate with an error
/// naming the limit.
#[test]
fn modules_beyond_the_limits_fail_to_instantiate() {
    let mut limits = pool(4);
    limits
        .max_memory_size(2 * 65536)
        .table_elements(10)
        .max_core_instance_size(4096)
        .max_memories_per_module(2)
        .max_tables_per_module(2);
    let many_funcs = many_funcs();
    let cases: [(&str, Result<(), &str>); 14] = [
        ("(module (memory 2))", Ok(())),
        ("(module (memory 2 100))", Ok(())),
        (
            "(module (memory 3))",
            Err(
                "memory minimum of 196608 bytes exceeds the pooling allocator's max_memory_size of 131072 bytes",
            ),
        ),
        ("(module (memory i64 2))", Ok(())),
        (
            "(module (memory i64 3))",
            Err(
                "memory minimum of 196608 bytes exceeds the pooling allocator's max_memory_size of 131072 bytes",
            ),
        ),
        ("(module (memory 131072 (pagesize 1)))", Ok(())),
        (
            "(module (memory 131073 (pagesize 1)))",
            Err(
                "memory minimum of 131073 bytes exceeds the pooling allocator's max_memory_size of 131072 bytes",
            ),
        ),
        ("(module (table 10 funcref))", Ok(())),
        (
            "(module (table 11 funcref))",
            Err(
                "table minimum of 11 elements exceeds the pooling allocator's table_elements of 10",
            ),
        ),
        (
            "(module (memory 1) (memory 1) (memory 0))",
            Err(
                "module defines 3 memories, more than the pooling allocator's max_memories_per_module of 2",
            ),
        ),
        (
            "(module (table 1 funcref) (table 1 funcref) (table 1 funcref))",
            Err(
                "module defines 3 tables, more than the pooling allocator's max_tables_per_module of 2",
            ),
        ),
        // Imports take no slot, so they count against no limit.
        (
            r#"(module (import "" "m" (memory 1)) (import "" "t" (table 1 funcref)) (memory 1) (memory 1))"#,
            Ok(()),
        ),
        (
            // 300 functions' references (24 bytes each) need more than
            // 4096 bytes of VM context.
            &many_funcs,
            Err("more than the pooling allocator's max_core_instance_size of 4096"),
        ),
        ("(module (func) (func))", Ok(())),
    ];
    let engine = engine(&limits, BoundsChecks::GuardPages);
    for (wat, expected) in cases {
        let module = Module::new(&engine, wat).unwrap();
        let mut store = Store::new(&engine, ());
        let imports: Vec<Extern> = module
            .imports()
            .map(|import| match import.ty() {
                ExternType::Memory(_) => Memory::new(&mut store, MemoryType::new(1, None))
                    .unwrap()
                    .into(),
                ExternType::Table(_) => Table::new(
                    &mut store,
                    TableType::new(RefType::FUNCREF, 1, None),
                    Val::FuncRef(None),
                )
                .unwrap()
                .into(),
                other => panic!("{wat}: unexpected import {other:?}"),
            })
            .collect();
        let got = Instance::new(&mut store, &module, &imports).map(|_| ());
        match (got, expected) {
            (Ok(()), Ok(())) => {}
            (Err(e), Err(msg)) => assert!(format!("{e:#}").contains(msg), "{wat}: {e:#}"),
            (got, want) => panic!("{wat}: got {got:?}, want {want:?}"),
        }
        drop(store);
    }
}

/// `max_core_instance_size` is the largest vmctx that fits: a module
/// whose vmctx is exactly that size instantiates, one byte less does not.
#[test]
fn a_vmctx_of_exactly_the_limit_fits() {
    let module_with = |size: usize| {
        let mut limits = pool(1);
        limits.max_core_instance_size(size);
        let engine = engine(&limits, BoundsChecks::GuardPages);
        let module = Module::new(&engine, many_funcs()).unwrap();
        let mut store = Store::new(&engine, ());
        Instance::new(&mut store, &module, &[]).map(|_| ())
    };
    // The error names the size the module needs.
    let err = format!("{:#}", module_with(4096).unwrap_err());
    let needs: usize = err
        .split("needs ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no size in {err}"));
    assert!(module_with(needs).is_ok());
    let err = format!("{:#}", module_with(needs - 1).unwrap_err());
    assert!(err.contains(&format!("needs {needs} bytes")), "{err}");
}

/// A module of 300 functions, each referenced by an element segment.
fn many_funcs() -> String {
    let mut wat = String::from("(module (table 1 funcref) (elem declare func");
    for i in 0..300 {
        wat.push_str(&format!(" $f{i}"));
    }
    wat.push(')');
    for i in 0..300 {
        wat.push_str(&format!(" (func $f{i})"));
    }
    wat.push(')');
    wat
}

/// Host-made memories and tables obey the same limits.
#[test]
fn host_memories_and_tables_obey_the_limits() {
    let mut limits = pool(4);
    limits.max_memory_size(2 * 65536).table_elements(10);
    let engine = engine(&limits, BoundsChecks::GuardPages);
    let mut store = Store::new(&engine, ());
    let null = Val::FuncRef(None);
    let table = |n| TableType::new(RefType::FUNCREF, n, None);
    let mut memory_error = |n| {
        let e = Memory::new(&mut store, MemoryType::new(n, None)).map(|_| ());
        e.map_err(|e| format!("{e:#}"))
    };
    assert_eq!(memory_error(2), Ok(()));
    assert_eq!(
        memory_error(3),
        Err("memory minimum of 196608 bytes exceeds the pooling allocator's max_memory_size of 131072 bytes".into())
    );
    assert!(Table::new(&mut store, table(10), null).is_ok());
    let e = Table::new(&mut store, table(11), null).unwrap_err();
    assert_eq!(
        format!("{e:#}"),
        "table minimum of 11 elements exceeds the pooling allocator's table_elements of 10"
    );
    // Growth from the host stops at the limit too.
    let memory = Memory::new(&mut store, MemoryType::new(1, None)).unwrap();
    assert_eq!(memory.grow(&mut store, 1).unwrap(), 1);
    assert!(memory.grow(&mut store, 1).is_err());
    let table = Table::new(&mut store, table(8), null).unwrap();
    assert_eq!(table.grow(&mut store, 2, null).unwrap(), 8);
    assert!(table.grow(&mut store, 1, null).is_err());
    assert_eq!(table.size(&store), 10);
}

/// Growth up to `max_memory_size` / `table_elements` succeeds (and the
/// last byte is usable); past it `memory.grow` / `table.grow` return -1
/// and the size stays.
#[test]
fn growth_stops_at_the_pool_limits() {
    // `grow` takes a delta and returns the old size or -1; after a
    // success it writes the memory's last 4 bytes.
    let cases: [(&str, &[(i64, i64)]); 4] = [
        (
            r#"(module (memory 1 10)
                (func (export "grow") (param i64) (result i64) (local $r i32)
                    (local.set $r (memory.grow (i32.wrap_i64 (local.get 0))))
                    (if (i32.ge_s (local.get $r) (i32.const 0))
                        (then (i32.store (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)) (i32.const 1))))
                    (i64.extend_i32_s (local.get $r))))"#,
            &[(2, 1), (1, -1), (0, 3), (1, -1)],
        ),
        (
            r#"(module (memory i64 1)
                (func (export "grow") (param i64) (result i64) (local $r i64)
                    (local.set $r (memory.grow (local.get 0)))
                    (if (i64.ge_s (local.get $r) (i64.const 0))
                        (then (i32.store (i64.sub (i64.mul (memory.size) (i64.const 65536)) (i64.const 4)) (i32.const 1))))
                    (local.get $r)))"#,
            &[(1, 1), (2, -1), (1, 2), (1, -1)],
        ),
        (
            r#"(module (memory 1000 (pagesize 1))
                (func (export "grow") (param i64) (result i64) (local $r i32)
                    (local.set $r (memory.grow (i32.wrap_i64 (local.get 0))))
                    (if (i32.ge_s (local.get $r) (i32.const 0))
                        (then (i32.store (i32.sub (memory.size) (i32.const 4)) (i32.const 1))))
                    (i64.extend_i32_s (local.get $r))))"#,
            &[(195608, 1000), (1, -1), (0, 196608)],
        ),
        (
            r#"(module (table 1 funcref)
                (func (export "grow") (param i64) (result i64)
                    (i64.extend_i32_s (table.grow (ref.null func) (i32.wrap_i64 (local.get 0))))))"#,
            &[(3, 1), (1, -1), (0, 4)],
        ),
    ];
    let mut limits = pool(2);
    limits.max_memory_size(3 * 65536).table_elements(4);
    for mode in [BoundsChecks::GuardPages, BoundsChecks::Explicit] {
        let engine = engine(&limits, mode);
        for (wat, calls) in cases {
            let module = Module::new(&engine, wat).unwrap();
            let mut store = Store::new(&engine, ());
            let instance = Instance::new(&mut store, &module, &[]).unwrap();
            let grow = instance
                .get_typed_func::<i64, i64>(&mut store, "grow")
                .unwrap();
            for &(delta, expected) in calls {
                let got = grow.call(&mut store, delta).unwrap();
                assert_eq!(got, expected, "{mode:?} {wat}: grow({delta})");
            }
        }
    }
}

/// An element segment that traps stops instantiation before the data
/// segments, so memory stays zero — even when the slot last held this
/// very module's image (which the pool may keep mapped only for modules
/// whose element segments cannot trap). The function the first segment
/// put in the host's table sees the memory.
#[test]
fn an_element_trap_leaves_memory_zero_in_a_reused_slot() {
    let wat = r#"(module
        (import "host" "table" (table 2 funcref))
        (import "host" "offset" (global i32))
        (memory 1)
        (func $read (result i32) (i32.load (i32.const 0)))
        (elem (i32.const 0) $read)
        (elem (global.get 0) $read)
        (data (i32.const 0) "\2a"))"#;
    let engine = engine(&pool(1), BoundsChecks::GuardPages);
    let module = Module::new(&engine, wat).unwrap();
    // (offset of the second segment, what `$read` then reads)
    for (offset, expected) in [
        (1, 42),
        (100, 0),
        (1, 42),
        (1, 42),
        (100, 0),
        (100, 0),
        (1, 42),
    ] {
        let mut store = Store::new(&engine, ());
        let table = Table::new(
            &mut store,
            TableType::new(RefType::FUNCREF, 2, None),
            Val::FuncRef(None),
        )
        .unwrap();
        let global = Global::new(
            &mut store,
            GlobalType::new(ValType::I32, Mutability::Const),
            Val::I32(offset),
        )
        .unwrap();
        let result = Instance::new(&mut store, &module, &[table.into(), global.into()]);
        assert_eq!(result.is_ok(), offset == 1, "offset {offset}");
        let Some(Val::FuncRef(Some(read))) = table.get(&mut store, 0) else {
            panic!("the first segment ran");
        };
        let read = read.typed::<(), i32>(&store).unwrap();
        assert_eq!(
            read.call(&mut store, ()).unwrap(),
            expected,
            "offset {offset}"
        );
    }
}

/// Threads instantiating from one pool at once each get their own slots,
/// reset: as many slots as threads, so none ever waits for one.
#[test]
fn threads_share_one_pool() {
    let threads = 4;
    let engine = engine(&pool(threads), BoundsChecks::GuardPages);
    let modules: Vec<Module> = [MEMORY, IMAGE_KILN]
        .iter()
        .map(|wat| Module::new(&engine, wat).unwrap())
        .collect();
    std::thread::scope(|scope| {
        for t in 0..threads as usize {
            let (engine, module) = (&engine, &modules[t % modules.len()]);
            scope.spawn(move || {
                for i in 0..1000 {
                    let mut store = Store::new(engine, ());
                    let instance = Instance::new(&mut store, module, &[])
                        .unwrap_or_else(|e| panic!("thread {t}, iteration {i}: {e:#}"));
                    let run = instance
                        .get_typed_func::<(), i32>(&mut store, "run")
                        .unwrap();
                    assert_eq!(
                        run.call(&mut store, ()).unwrap(),
                        0,
                        "thread {t}, iteration {i}"
                    );
                }
            });
        }
    });
}

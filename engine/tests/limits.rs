//! Resource limits seen from the embedder (`Store::limiter`,
//! `StoreLimits`): growth from wasm and from the host, instantiation and
//! host-made memories and tables, each asking the store's limiter, which
//! here records every question it is asked.

use kiln::*;

/// `StoreLimits` with a record of the questions it was asked.
struct Recorder {
    limits: StoreLimits,
    /// The growth requests, as `memory 65536->131072 (max 655360)`, and
    /// failures, as `memory failed`.
    log: Vec<String>,
    /// Fail every memory request with this error instead.
    fail_with: Option<&'static str>,
    /// Allow every memory request, maximum or not.
    allow_all: bool,
}

fn max_str(maximum: Option<usize>) -> String {
    maximum.map_or("none".to_string(), |m| m.to_string())
}

impl ResourceLimiter for Recorder {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool> {
        let max = max_str(maximum);
        self.log
            .push(format!("memory {current}->{desired} (max {max})"));
        if let Some(e) = self.fail_with {
            return Err(anyhow::anyhow!(e));
        }
        if self.allow_all {
            return Ok(true);
        }
        self.limits.memory_growing(current, desired, maximum)
    }
    fn memory_grow_failed(&mut self, error: Error) -> Result<()> {
        self.log.push("memory failed".into());
        self.limits.memory_grow_failed(error)
    }
    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool> {
        let max = max_str(maximum);
        self.log
            .push(format!("table {current}->{desired} (max {max})"));
        self.limits.table_growing(current, desired, maximum)
    }
    fn table_grow_failed(&mut self, error: Error) -> Result<()> {
        self.log.push("table failed".into());
        self.limits.table_grow_failed(error)
    }
    fn instances(&self) -> usize {
        self.limits.instances()
    }
    fn tables(&self) -> usize {
        self.limits.tables()
    }
    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// One 32-bit memory of 1 to 10 pages, one table of 1 to 10 elements, one
/// 64-bit memory of 1 page and one 64-bit table of 1 element, both without
/// a maximum; every export takes and returns an `i64` (32-bit results
/// sign-extended).
const MODULE: &str = r#"(module
    (memory $m (export "memory") 1 10)
    (memory $m64 (export "memory64") i64 1)
    (table $t (export "table") 1 10 funcref)
    (table $t64 i64 1 funcref)
    (func (export "grow") (param i64) (result i64)
        (i64.extend_i32_s (memory.grow $m (i32.wrap_i64 (local.get 0)))))
    (func (export "size") (param i64) (result i64)
        (i64.extend_i32_s (memory.size $m)))
    (func (export "grow64") (param i64) (result i64)
        (memory.grow $m64 (local.get 0)))
    (func (export "table_grow") (param i64) (result i64)
        (i64.extend_i32_s (table.grow $t (ref.null func) (i32.wrap_i64 (local.get 0)))))
    (func (export "table_grow64") (param i64) (result i64)
        (table.grow $t64 (ref.null func) (local.get 0)))
    (func (export "table_size") (param i64) (result i64)
        (i64.extend_i32_s (table.size $t))))"#;

const PAGE: usize = 65536;

/// A growth by the host, of the memory or the table.
type HostGrow = fn(&mut Store<Recorder>, Memory, Table) -> Result<u64>;
/// A memory or table made by the host.
type HostMake = fn(&mut Store<Recorder>) -> Result<()>;

fn store(engine: &Engine, limits: StoreLimits, fail_with: Option<&'static str>) -> Store<Recorder> {
    let mut store = Store::new(
        engine,
        Recorder {
            limits,
            log: Vec::new(),
            fail_with,
            allow_all: false,
        },
    );
    store.limiter(|r: &mut Recorder| r);
    store
}

/// What happened: `= value` or `error: message`, then the limiter's log.
fn outcome<T>(store: &mut Store<Recorder>, result: Result<T>) -> String
where
    T: std::fmt::Display,
{
    let what = match result {
        Ok(v) => format!("= {v}"),
        Err(e) => match e.downcast_ref::<Trap>() {
            Some(t) => format!("trap: {}", t.code()),
            None => format!("error: {e}"),
        },
    };
    let log = std::mem::take(&mut store.data_mut().log);
    std::iter::once(what)
        .chain(log)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Instantiates `MODULE` under `limits`, calls `export(arg)`, then each
/// export of `after` with 0 (to see the sizes afterwards), and compares
/// every outcome with `expected` (one per call, `|`-separated).
#[track_caller]
fn check(limits: StoreLimits, export: &str, arg: i64, after: &[&str], expected: &str) {
    let engine = Engine::default();
    let module = Module::new(&engine, MODULE).unwrap();
    let mut store = store(&engine, limits, None);
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    store.data_mut().log.clear();
    let mut got = Vec::new();
    for (name, arg) in std::iter::once((export, arg)).chain(after.iter().map(|&a| (a, 0))) {
        let f = instance
            .get_typed_func::<i64, i64>(&mut store, name)
            .unwrap();
        let result = f.call(&mut store, arg);
        got.push(outcome(&mut store, result));
    }
    assert_eq!(got.join(" | "), expected, "{export}({arg})");
}

fn cap_memory(bytes: usize) -> StoreLimits {
    StoreLimitsBuilder::new().memory_size(bytes).build()
}

fn cap_table(elements: usize) -> StoreLimits {
    StoreLimitsBuilder::new().table_elements(elements).build()
}

#[test]
fn memory_grow_from_wasm() {
    // Within the cap: allowed.
    check(
        cap_memory(3 * PAGE),
        "grow",
        2,
        &["size"],
        "= 1; memory 65536->196608 (max 655360) | = 3",
    );
    // Past it: -1, and the memory is unchanged.
    check(
        cap_memory(2 * PAGE),
        "grow",
        2,
        &["size"],
        "= -1; memory 65536->196608 (max 655360) | = 1",
    );
    // Past the memory's own maximum: denied by `StoreLimits` too.
    check(
        StoreLimits::default(),
        "grow",
        10,
        &["size"],
        "= -1; memory 65536->720896 (max 655360) | = 1",
    );
    // Trapping instead: the limiter's error ends the call.
    let trap = StoreLimitsBuilder::new()
        .memory_size(PAGE)
        .trap_on_grow_failure(true)
        .build();
    check(
        trap,
        "grow",
        1,
        &["size"],
        "error: forcing a trap when growing a memory (bytes) to 131072; memory 65536->131072 (max 655360) | = 1",
    );
}

#[test]
fn table_grow_from_wasm() {
    check(
        cap_table(5),
        "table_grow",
        4,
        &["table_size"],
        "= 1; table 1->5 (max 10) | = 5",
    );
    check(
        cap_table(4),
        "table_grow",
        4,
        &["table_size"],
        "= -1; table 1->5 (max 10) | = 1",
    );
    let trap = StoreLimitsBuilder::new()
        .table_elements(1)
        .trap_on_grow_failure(true)
        .build();
    check(
        trap,
        "table_grow",
        1,
        &["table_size"],
        "error: forcing a trap when growing a table (elements) to 2; table 1->2 (max 10) | = 1",
    );
    // Growth the limiter allowed but no table can hold (past the engine's
    // element limit; past `u64::MAX`): `*_grow_failed` decides.
    let trap = || StoreLimitsBuilder::new().trap_on_grow_failure(true).build();
    check(
        StoreLimits::default(),
        "table_grow64",
        1 << 40,
        &[],
        "= -1; table 1->1099511627777 (max none); table failed",
    );
    check(
        trap(),
        "table_grow64",
        1 << 40,
        &[],
        "error: table maximum size exceeded; table 1->1099511627777 (max none); table failed",
    );
    check(
        trap(),
        "table_grow64",
        -1,
        &[],
        "error: table size overflows 18446744073709551615 elements past 1; table failed",
    );
}

#[test]
fn memory64_sizes_are_bytes_beyond_4_gib() {
    // 1 page + 70,000 pages is 4.27 GiB: the limiter sees the byte size.
    check(
        cap_memory(1 << 30),
        "grow64",
        70_000,
        &[],
        "= -1; memory 65536->4587585536 (max none)",
    );
    check(
        cap_memory(1 << 33),
        "grow64",
        70_000,
        &[],
        "= 1; memory 65536->4587585536 (max none)",
    );
}

#[test]
fn a_limiter_error_is_the_call_error() {
    let engine = Engine::default();
    let module = Module::new(&engine, MODULE).unwrap();
    let mut store = store(&engine, StoreLimits::default(), None);
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    store.data_mut().log.clear();
    store.data_mut().fail_with = Some("no more memory for you");
    let grow = instance
        .get_typed_func::<i64, i64>(&mut store, "grow")
        .unwrap();
    let result = grow.call(&mut store, 1);
    assert_eq!(
        outcome(&mut store, result),
        "error: no more memory for you; memory 65536->131072 (max 655360)"
    );
    // The store goes on.
    store.data_mut().fail_with = None;
    let result = grow.call(&mut store, 1);
    assert_eq!(
        outcome(&mut store, result),
        "= 1; memory 65536->131072 (max 655360)"
    );
    // Growth the limiter allows can still fail (past the maximum): it is
    // told, and `memory.grow` returns -1.
    store.data_mut().allow_all = true;
    let result = grow.call(&mut store, 9);
    assert_eq!(
        outcome(&mut store, result),
        "= -1; memory 131072->720896 (max 655360); memory failed"
    );
}

#[test]
fn host_grow_asks_the_limiter_too() {
    let engine = Engine::default();
    let module = Module::new(&engine, MODULE).unwrap();
    let limits = StoreLimitsBuilder::new()
        .memory_size(2 * PAGE)
        .table_elements(2)
        .build();
    let mut store = store(&engine, limits, None);
    let instance = Instance::new(&mut store, &module, &[]).unwrap();
    store.data_mut().log.clear();
    let memory = instance.get_memory(&mut store, "memory").unwrap();
    let table = instance.get_table(&mut store, "table").unwrap();
    let cases: [(&str, HostGrow, &str); 4] = [
        (
            "memory within",
            |s, m, _| m.grow(s, 1),
            "= 1; memory 65536->131072 (max 655360)",
        ),
        (
            "memory past",
            |s, m, _| m.grow(s, 1),
            "error: failed to grow memory by 1 pages; memory 131072->196608 (max 655360)",
        ),
        (
            "table within",
            |s, _, t| t.grow(s, 1, Val::FuncRef(None)),
            "= 1; table 1->2 (max 10)",
        ),
        (
            "table past",
            |s, _, t| t.grow(s, 1, Val::FuncRef(None)),
            "error: failed to grow table by 1; table 2->3 (max 10)",
        ),
    ];
    for (what, grow, expected) in cases {
        let result = grow(&mut store, memory, table);
        assert_eq!(outcome(&mut store, result), expected, "{what}");
    }
    assert_eq!(memory.size(&store), 2);
    assert_eq!(table.size(&store), 2);
}

/// Instantiates each of `modules` in turn in one store under `limits`;
/// the outcome of each (`= ok` or the error, and the limiter's log),
/// `|`-separated.
#[track_caller]
fn check_instantiation(limits: StoreLimits, modules: &[&str], expected: &str) {
    let engine = Engine::default();
    let mut store = store(&engine, limits, None);
    let got: Vec<String> = modules
        .iter()
        .map(|wat| {
            let module = Module::new(&engine, wat).unwrap();
            let result = Instance::new(&mut store, &module, &[]).map(|_| "ok");
            outcome(&mut store, result)
        })
        .collect();
    assert_eq!(got.join(" | "), expected);
}

const EMPTY: &str = "(module)";
const ONE_MEMORY: &str = "(module (memory 2))";
const ONE_TABLE: &str = "(module (table 3 funcref))";
const BOTH: &str = "(module (memory 2) (table 3 funcref))";

#[test]
fn instantiation_is_admitted_by_count() {
    let two = StoreLimitsBuilder::new().instances(2).build();
    check_instantiation(
        two,
        &[EMPTY, EMPTY, EMPTY],
        "= ok | = ok | error: resource limit exceeded: instance count of 3 is over the limit of 2",
    );
    let one_memory = StoreLimitsBuilder::new().memories(1).build();
    check_instantiation(
        one_memory,
        &[ONE_MEMORY, ONE_TABLE, ONE_MEMORY],
        "= ok; memory 0->131072 (max none) | = ok; table 0->3 (max none) \
         | error: resource limit exceeded: memory count of 2 is over the limit of 1",
    );
    let one_table = StoreLimitsBuilder::new().tables(1).build();
    check_instantiation(
        one_table,
        &[BOTH, ONE_TABLE],
        "= ok; memory 0->131072 (max none); table 0->3 (max none) \
         | error: resource limit exceeded: table count of 2 is over the limit of 1",
    );
}

#[test]
fn instantiation_is_admitted_by_initial_size() {
    // A denied instantiation adds nothing to the store: the memory the
    // first attempt would have made does not count against the second.
    let limits = StoreLimitsBuilder::new()
        .memories(1)
        .table_elements(2)
        .build();
    check_instantiation(
        limits,
        &[BOTH, ONE_MEMORY],
        "error: table minimum size of 3 elements exceeds table limits; \
         memory 0->131072 (max none); table 0->3 (max none) \
         | = ok; memory 0->131072 (max none)",
    );
    check_instantiation(
        cap_memory(PAGE),
        &[ONE_MEMORY, EMPTY],
        "error: memory minimum size of 2 pages (131072 bytes) exceeds memory limits; \
         memory 0->131072 (max none) | = ok",
    );
}

#[test]
fn imports_are_the_exporters_to_count() {
    // The one memory the store may hold is the exporter's; the importer
    // adds none, and its import is not asked about again.
    let engine = Engine::default();
    let limits = StoreLimitsBuilder::new().memories(1).build();
    let mut store = store(&engine, limits, None);
    let exporter = Module::new(&engine, r#"(module (memory (export "m") 2))"#).unwrap();
    let importer = Module::new(&engine, r#"(module (import "e" "m" (memory 1)))"#).unwrap();
    let result = Instance::new(&mut store, &exporter, &[]);
    let memory = result
        .as_ref()
        .unwrap()
        .get_memory(&mut store, "m")
        .unwrap();
    assert_eq!(
        outcome(&mut store, result.map(|_| "ok")),
        "= ok; memory 0->131072 (max none)"
    );
    let result = Instance::new(&mut store, &importer, &[memory.into()]).map(|_| "ok");
    assert_eq!(outcome(&mut store, result), "= ok");
    let result = Instance::new(&mut store, &exporter, &[]).map(|_| "ok");
    assert_eq!(
        outcome(&mut store, result),
        "error: resource limit exceeded: memory count of 2 is over the limit of 1"
    );
}

#[test]
fn host_made_memories_and_tables_are_admitted_too() {
    let engine = Engine::default();
    let limits = StoreLimitsBuilder::new()
        .memory_size(PAGE)
        .memories(1)
        .tables(0)
        .build();
    let mut store = store(&engine, limits, None);
    let cases: [(HostMake, &str); 4] = [
        (
            |s| Memory::new(s, MemoryType::new(2, None)).map(drop),
            "error: memory minimum size of 2 pages (131072 bytes) exceeds memory limits; \
             memory 0->131072 (max none)",
        ),
        (
            |s| Memory::new(s, MemoryType::new(1, Some(3))).map(drop),
            "= (); memory 0->65536 (max 196608)",
        ),
        (
            |s| Memory::new(s, MemoryType::new(0, None)).map(drop),
            "error: resource limit exceeded: memory count of 2 is over the limit of 1",
        ),
        (
            |s| {
                Table::new(
                    s,
                    TableType::new(RefType::FUNCREF, 0, None),
                    Val::FuncRef(None),
                )
                .map(drop)
            },
            "error: resource limit exceeded: table count of 1 is over the limit of 0",
        ),
    ];
    let got: Vec<String> = cases
        .iter()
        .map(|(make, _)| {
            let result = make(&mut store);
            outcome(&mut store, result.map(|()| "()"))
        })
        .collect();
    let expected: Vec<&str> = cases.iter().map(|(_, e)| *e).collect();
    assert_eq!(got, expected);
}

/// A limiter that answers only for sizes (everything allowed).
struct SizesOnly;

impl ResourceLimiter for SizesOnly {
    fn memory_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> Result<bool> {
        Ok(true)
    }
    fn table_growing(&mut self, _: usize, _: usize, _: Option<usize>) -> Result<bool> {
        Ok(true)
    }
}

/// A limiter that leaves the counts alone gets the documented defaults:
/// the store admits instances, memories and tables up to them.
#[test]
fn counts_default_to_the_documented_limits() {
    let limiter = SizesOnly;
    assert_eq!(limiter.instances(), DEFAULT_INSTANCE_LIMIT);
    assert_eq!(limiter.memories(), DEFAULT_MEMORY_LIMIT);
    assert_eq!(limiter.tables(), DEFAULT_TABLE_LIMIT);
    let engine = Engine::default();
    let module = Module::new(&engine, MODULE).unwrap();
    let mut store = Store::new(&engine, SizesOnly);
    store.limiter(|s| s);
    for _ in 0..3 {
        Instance::new(&mut store, &module, &[]).unwrap();
    }
}

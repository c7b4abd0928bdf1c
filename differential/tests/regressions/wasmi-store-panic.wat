;; wasmi 2.0.0 panics translating this valid module: `unreachable!()` in
;; `FuncTranslator::encode_store` (translator/func/mod.rs:2583), for a
;; store whose address and value are the same value (`local.tee` then
;; `local.get` of it) and whose offset needs more than 16 bits. Found by the three-way campaign of 2026-11-30
;; (seed 20261130, module seed 13719665544869973059, after 147,000
;; modules: the panic ended the campaign), reduced by hand. The engine,
;; the interpreter and wasmtime agree. Not fixed here: wasmi is
;; third-party, so the oracle's wasmi side compiles eagerly under
;; `catch_unwind` and sits out a module it panics on
;; (`src/oracle/sides/wasmi.rs`); this file keeps the other sides honest
;; on the module and `tests/oracle.rs::wasmi_sits_out_what_it_cannot_translate`
;; checks the sitting out.
(module
  (memory 2)
  (func (export "f") (param i32) (local i32)
    local.get 0
    i32.load offset=100 align=2
    local.tee 1
    local.get 1
    i32.store8 offset=96990))

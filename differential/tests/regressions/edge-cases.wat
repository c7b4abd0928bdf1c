;; Not a found bug: a hand-written guard for the comparison rules, so this
;; directory is never empty. Exercises NaN payloads passed through
;; (bitwise, must be preserved), float→int traps, table and memory bounds,
;; and multi-value results.
(module
  (memory (export "mem") 1 2)
  (table (export "tab") 4 8 funcref)
  (global $g (export "g") (mut f64) (f64.const 0))
  (elem (i32.const 0) $id)
  (func $id (export "id") (param f32) (result f32) local.get 0)
  (func (export "store_f64") (param f64 i32)
    (f64.store (local.get 1) (local.get 0))
    (global.set $g (local.get 0)))
  (func (export "trunc") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))
  (func (export "trunc_sat") (param f64) (result i64) (i64.trunc_sat_f64_u (local.get 0)))
  (func (export "div") (param i32 i32) (result i32 i32)
    (i32.div_s (local.get 0) (local.get 1))
    (i32.rem_u (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "tgrow") (param funcref i32) (result i32) (table.grow (local.get 0) (local.get 1)))
  (func (export "icall") (param f32 i32) (result f32)
    (call_indirect (param f32) (result f32) (local.get 0) (local.get 1))))

;; Signed division's overflow check fires on exactly one operand pair,
;; `MIN / -1`. The official i32.wast and i64.wast test that pair, but not
;; its neighbours: a dividend of 1 by -1, or MIN by 1, which a check on
;; the wrong operand would also trap.

(module
  (func (export "i32.div_s") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  (func (export "i64.div_s") (param i64 i64) (result i64)
    (i64.div_s (local.get 0) (local.get 1)))
  (func (export "i32.rem_s") (param i32 i32) (result i32)
    (i32.rem_s (local.get 0) (local.get 1)))
  (func (export "i64.rem_s") (param i64 i64) (result i64)
    (i64.rem_s (local.get 0) (local.get 1)))
)

(assert_return (invoke "i32.div_s" (i32.const 1) (i32.const -1)) (i32.const -1))
(assert_return (invoke "i32.div_s" (i32.const 0x80000000) (i32.const 1)) (i32.const 0x80000000))
(assert_return (invoke "i32.div_s" (i32.const 0x80000001) (i32.const -1)) (i32.const 0x7fffffff))
(assert_trap (invoke "i32.div_s" (i32.const 0x80000000) (i32.const -1)) "integer overflow")
(assert_return (invoke "i64.div_s" (i64.const 1) (i64.const -1)) (i64.const -1))
(assert_return (invoke "i64.div_s" (i64.const 0x8000000000000000) (i64.const 1)) (i64.const 0x8000000000000000))
(assert_return (invoke "i64.div_s" (i64.const 0x8000000000000001) (i64.const -1)) (i64.const 0x7fffffffffffffff))
(assert_trap (invoke "i64.div_s" (i64.const 0x8000000000000000) (i64.const -1)) "integer overflow")
(assert_return (invoke "i32.rem_s" (i32.const 0x80000000) (i32.const 1)) (i32.const 0))
(assert_return (invoke "i32.rem_s" (i32.const 0x80000001) (i32.const -1)) (i32.const 0))
(assert_return (invoke "i64.rem_s" (i64.const 0x8000000000000000) (i64.const 1)) (i64.const 0))
(assert_return (invoke "i64.rem_s" (i64.const 0x8000000000000001) (i64.const -1)) (i64.const 0))

;; Extended constant expressions (Wasm 3.0): `i32`/`i64` `add`, `sub`, `mul`
;; and `global.get` of imported immutable globals, in global initialisers
;; and segment offsets. The official suite's scripts for them (data.wast,
;; global.wast) also read globals the module defines itself, which comes
;; with GC; these cases do not.

(module
  (import "spectest" "global_i32" (global $g32 i32))  ;; 666
  (import "spectest" "global_i64" (global $g64 i64))  ;; 666
  (global (export "add") i32 (i32.add (global.get $g32) (i32.const 1)))
  (global (export "sub") i32 (i32.sub (i32.const 0) (global.get $g32)))
  (global (export "mul") i64 (i64.mul (global.get $g64) (i64.const 3)))
  (global (export "nested") i64
    (i64.sub (i64.mul (global.get $g64) (global.get $g64)) (i64.add (i64.const 6) (i64.const 60))))
  ;; Wrapping, as the instructions do at run time.
  (global (export "wrap32") i32 (i32.add (i32.const 0x7fffffff) (i32.const 1)))
  (global (export "wrap64") i64 (i64.mul (i64.const 0x4000000000000000) (i64.const 4)))
  (global (export "folded") i32 (i32.mul (i32.sub (i32.const 10) (i32.const 3)) (i32.const 6)))
  (memory 1)
  ;; 666 * 2 - 1300 = 32.
  (data (i32.sub (i32.mul (global.get $g32) (i32.const 2)) (i32.const 1300)) "\2a\2b")
  ;; 8 * 2 = 16, known at compile time.
  (data (i32.mul (i32.const 8) (i32.const 2)) "\07")
  ;; Products that wrap past 2^32 to a small offset: 3 * 0x55555556 = 2
  ;; and 666 * 0x67663f0a = 4 (mod 2^32), as constants and with a global.
  (data (i32.mul (i32.const 3) (i32.const 0x55555556)) "\2c")
  (data (i32.mul (global.get $g32) (i32.const 0x67663f0a)) "\2d")
  (table 10 funcref)
  (elem (i32.sub (global.get $g32) (i32.const 663)) $seven)
  (func $seven (result i32) (i32.const 7))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))
)

(assert_return (get "add") (i32.const 667))
(assert_return (get "sub") (i32.const -666))
(assert_return (get "mul") (i64.const 1998))
(assert_return (get "nested") (i64.const 443490))
(assert_return (get "wrap32") (i32.const 0x80000000))
(assert_return (get "wrap64") (i64.const 0))
(assert_return (get "folded") (i32.const 42))
(assert_return (invoke "load8" (i32.const 32)) (i32.const 0x2a))
(assert_return (invoke "load8" (i32.const 33)) (i32.const 0x2b))
(assert_return (invoke "load8" (i32.const 16)) (i32.const 7))
(assert_return (invoke "load8" (i32.const 2)) (i32.const 0x2c))
(assert_return (invoke "load8" (i32.const 4)) (i32.const 0x2d))
(assert_return (invoke "call" (i32.const 3)) (i32.const 7))
(assert_trap (invoke "call" (i32.const 4)) "uninitialized element")

;; An offset computed out of bounds traps at instantiation, as a constant
;; one does.
(assert_trap
  (module
    (import "spectest" "global_i32" (global $g i32))
    (memory 1)
    (data (i32.mul (global.get $g) (i32.const 100)) "x"))
  "out of bounds memory access")
(assert_trap
  (module
    (table 1 funcref)
    (elem (i32.add (i32.const 1) (i32.const 0)) $f)
    (func $f))
  "out of bounds table access")

;; Only these instructions, and only on constant operands.
(assert_invalid
  (module (global i32 (i32.div_s (i32.const 1) (i32.const 1))))
  "constant expression required")
(assert_invalid
  (module (global i64 (i64.and (i64.const 1) (i64.const 1))))
  "constant expression required")
(assert_invalid
  (module (global $m (import "spectest" "global_i32") (mut i32))
          (global i32 (i32.add (global.get $m) (i32.const 1))))
  "constant expression required")
(assert_invalid
  (module (global i32 (i32.add (i64.const 1) (i32.const 1))))
  "type mismatch")
(assert_invalid
  (module (global i32 (i32.add (i32.const 1))))
  "type mismatch")
(assert_invalid
  (module (memory 1) (data (i64.add (i64.const 0) (i64.const 0)) ""))
  "type mismatch")

;; Typed function references (Wasm 3.0) across instances and in loops,
;; which the official scripts (call_ref.wast, return_call_ref.wast,
;; table.wast, ...) each test within one module.

(module $A
  (type $ii (func (param i32) (result i32)))
  (func $double (export "double") (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (global (export "g-double") (ref $ii) (ref.func $double))
  ;; A non-nullable table filled by its initialiser.
  (table (export "t") 3 (ref $ii) (ref.func $double))
)
(register "A" $A)

(module $B
  (type $ii (func (param i32) (result i32)))
  (import "A" "g-double" (global $g (ref $ii)))
  (import "A" "t" (table $t 3 (ref $ii)))
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (elem $incs (ref $ii) (ref.func $inc) (ref.func $inc))
  ;; A table initialised from an imported global: another instance's
  ;; function.
  (table $own 2 (ref $ii) (global.get $g))

  (func (export "call-global") (param i32) (result i32)
    (call_ref $ii (local.get 0) (global.get $g)))
  (func (export "call-imported-table") (param i32 i32) (result i32)
    (call_ref $ii (local.get 0) (table.get $t (local.get 1))))
  (func (export "call-own-table") (param i32 i32) (result i32)
    (call_ref $ii (local.get 0) (table.get $own (local.get 1))))
  ;; Writes this instance's `$inc` into A's table.
  (func (export "init-imported") (table.init $t $incs (i32.const 1) (i32.const 0) (i32.const 2)))

  ;; Counts down through `return_call_ref` of itself: constant stack.
  (func $count (export "count") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 42))
      (else (return_call_ref $ii (i32.sub (local.get 0) (i32.const 1)) (ref.func $count)))))

  ;; A non-nullable local set in a loop, and `br_on_non_null` out of it.
  (func (export "apply-n") (param $f (ref null $ii)) (param $n i32) (param $x i32) (result i32)
    (local $g (ref $ii))
    (local.set $g
      (block $found (result (ref $ii))
        (br_on_non_null $found (local.get $f))
        (ref.func $inc)))
    (loop $l
      (if (local.get $n)
        (then
          (local.set $x (call_ref $ii (local.get $x) (local.get $g)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $l))))
    (local.get $x))
  (func (export "get-double") (result (ref $ii)) (global.get $g))
)

(assert_return (invoke "call-global" (i32.const 21)) (i32.const 42))
(assert_return (invoke "call-imported-table" (i32.const 5) (i32.const 2)) (i32.const 10))
(assert_return (invoke "call-own-table" (i32.const 5) (i32.const 1)) (i32.const 10))
(assert_trap (invoke "call-own-table" (i32.const 5) (i32.const 2)) "out of bounds table access")
(assert_return (invoke "init-imported"))
(assert_return (invoke "call-imported-table" (i32.const 5) (i32.const 0)) (i32.const 10))
(assert_return (invoke "call-imported-table" (i32.const 5) (i32.const 1)) (i32.const 6))
(assert_return (invoke "call-imported-table" (i32.const 5) (i32.const 2)) (i32.const 6))
(assert_return (invoke "count" (i32.const 100000)) (i32.const 42))
(assert_return (invoke "apply-n" (ref.null func) (i32.const 10) (i32.const 0)) (i32.const 10))
(assert_return (invoke "get-double") (ref.func))

;; A typed reference from one instance called by another.
(module $C
  (type $ii (func (param i32) (result i32)))
  (import "A" "double" (func $double (type $ii)))
  (elem declare func $double)
  (func (export "via-import") (param i32) (result i32)
    (call_ref $ii (local.get 0) (ref.func $double)))
  (func (export "null") (param i32) (result i32)
    (call_ref $ii (local.get 0) (ref.null $ii)))
  (func (export "null-tail") (param i32) (result i32)
    (return_call_ref $ii (local.get 0) (ref.null $ii)))
)
(assert_return (invoke "via-import" (i32.const 4)) (i32.const 8))
(assert_trap (invoke "null" (i32.const 1)) "null function reference")
(assert_trap (invoke "null-tail" (i32.const 1)) "null function reference")

;; A table of another element type, or a mutable global of a supertype,
;; does not satisfy the import.
(assert_unlinkable
  (module (import "A" "t" (table 3 funcref)))
  "incompatible import type"
)
(assert_unlinkable
  (module (type $t (func)) (import "A" "g-double" (global (ref $t))))
  "incompatible import type"
)
(module (import "A" "g-double" (global funcref)))

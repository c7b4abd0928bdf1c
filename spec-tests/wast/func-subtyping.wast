;; Declared function subtypes (Wasm 3.0): a function's type matches its
;; declared supertypes at `call_indirect`, within a rec group and across
;; modules, and nothing else that merely has the same shape. The official
;; type-subtyping.wast tests this too, but among GC struct and array
;; types, which neither backend supports yet.

(module $M
  ;; A type before the rec group, so its members' ids do not start at 0,
  ;; and one before `$base` in it, so the supertype is not its first.
  (type $other (func (param i64)))
  (rec
    (type $pad (func))
    (type $base (sub (func (result i32))))
    (type $derived (sub $base (func (result i32)))))
  (type $same-shape (sub (func (result i32))))
  (func $d (export "d") (type $derived) (i32.const 7))
  (func $s (type $same-shape) (i32.const 8))
  (table (export "t") funcref (elem $d $s))
  (func (export "as-base") (param i32) (result i32)
    (call_indirect (type $base) (local.get 0)))
  (func (export "as-derived") (param i32) (result i32)
    (call_indirect (type $derived) (local.get 0)))
  (func (export "as-same-shape") (param i32) (result i32)
    (call_indirect (type $same-shape) (local.get 0)))
)

(assert_return (invoke "as-base" (i32.const 0)) (i32.const 7))
(assert_return (invoke "as-derived" (i32.const 0)) (i32.const 7))
(assert_trap (invoke "as-same-shape" (i32.const 0)) "indirect call type mismatch")
(assert_trap (invoke "as-base" (i32.const 1)) "indirect call type mismatch")
(assert_trap (invoke "as-derived" (i32.const 1)) "indirect call type mismatch")
(assert_return (invoke "as-same-shape" (i32.const 1)) (i32.const 8))

(register "M" $M)

;; Another module's identical rec group is the same types, so `$d` is a
;; `$base` there too, through an imported table and an imported function.
(module
  (rec
    (type $pad (func))
    (type $base (sub (func (result i32))))
    (type $derived (sub $base (func (result i32)))))
  (import "M" "t" (table $t 2 funcref))
  (import "M" "d" (func $d (type $derived)))
  (table $own funcref (elem $d))
  (func (export "imported-table") (param i32) (result i32)
    (call_indirect $t (type $base) (local.get 0)))
  (func (export "own-table") (result i32)
    (call_indirect $own (type $base) (i32.const 0)))
)

(assert_return (invoke "imported-table" (i32.const 0)) (i32.const 7))
(assert_trap (invoke "imported-table" (i32.const 1)) "indirect call type mismatch")
(assert_return (invoke "own-table" ) (i32.const 7))

;; A function imported at its supertype is accepted; at a subtype it is not.
(module
  (rec
    (type $pad (func))
    (type $base (sub (func (result i32))))
    (type $derived (sub $base (func (result i32)))))
  (import "M" "d" (func (type $base)))
)
(assert_unlinkable
  (module
    (rec
      (type $pad (func))
      (type $base (sub (func (result i32))))
      (type $derived (sub $base (func (result i32)))))
    (type $sub (sub $derived (func (result i32))))
    (import "M" "d" (func (type $sub))))
  "incompatible import type")

;; A supertype in an earlier rec group, not its first member: the subtype's
;; own group refers to it across groups.
(module
  (type $other (func (param i64)))
  (rec
    (type $pad (sub (func)))
    (type $base (sub (func (param i32) (result i32)))))
  (type $derived (sub $base (func (param i32) (result i32))))
  (type $pad-shape (sub (func)))
  (func $d (type $derived) (i32.add (local.get 0) (i32.const 1)))
  (func $p (type $pad-shape))
  (table funcref (elem $d $p))
  (func (export "as-base") (param i32) (result i32)
    (call_indirect (type $base) (i32.const 41) (local.get 0)))
  (func (export "as-pad") (param i32)
    (call_indirect (type $pad) (local.get 0)))
)

(assert_return (invoke "as-base" (i32.const 0)) (i32.const 42))
(assert_trap (invoke "as-base" (i32.const 1)) "indirect call type mismatch")
(assert_trap (invoke "as-pad" (i32.const 0)) "indirect call type mismatch")
(assert_trap (invoke "as-pad" (i32.const 1)) "indirect call type mismatch")

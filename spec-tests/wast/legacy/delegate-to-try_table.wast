;; A legacy `delegate` whose label is a `try_table` hands the exception to
;; that `try_table`'s catch clauses. The official legacy scripts delegate
;; only to legacy `try`s and plain blocks; toolchains that mix both forms
;; (one module compiled with each, say, after inlining) produce this.

(module
  (tag $e (param i32))
  (tag $f)

  ;; The `try_table` directly around the delegating `try` catches.
  (func (export "to-try_table") (result i32)
    (block $h (result i32)
      (try_table (catch $e $h)
        try
          (throw $e (i32.const 7))
        delegate 0)
      (i32.const 0)))

  ;; One label further out: the inner `try_table`, whose clause does not
  ;; match, is skipped like any enclosing handler, and the outer one
  ;; catches.
  (func (export "past-try_table") (result i32)
    (block $h (result i32)
      (try_table (catch $e $h)
        (block $skip
          (try_table (catch $f $skip)
            try
              (throw $e (i32.const 8))
            delegate 1)))
      (i32.const 0)))

  ;; Delegating past a `try_table` that would match: it must not catch.
  (func (export "over-try_table") (result i32)
    (block $outer (result i32)
      (try_table (catch $e $outer)
        (block $inner (result i32)
          (try_table (catch $e $inner)
            (block
              try
                (throw $e (i32.const 9))
              delegate 2))
          (i32.const 0))
        (i32.add (i32.const 100))
        (return))
      (i32.const 0)))
)

(assert_return (invoke "to-try_table") (i32.const 7))
(assert_return (invoke "past-try_table") (i32.const 8))
(assert_return (invoke "over-try_table") (i32.const 9))

;; Loops that never end, as a miscompiled loop would: every directive that
;; runs one must fail with "did not finish within the bound" whatever it
;; asserts, and the script must go on after it. Run on the engine by
;; spec-tests/tests/runaway.rs and on the interpreter by
;; differential/src/backend.rs, each under its default bound.
;;
;; `spin` pays ~100 fuel per iteration for its nops at almost no cost in
;; time, so the engine spends a fraction of a second per directive at its
;; bound; `kiln wast` is tested on a tight loop (cli/tests/cli.rs).
(module
  (func $spin (export "spin")
    (loop $forever
      nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop
      nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop
      nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop
      nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop nop
      (br $forever)))
  (func (export "seven") (result i32) (i32.const 7)))

(register "runaway")

(invoke "spin")
;; Running out of the bound is no stack overflow.
(assert_exhaustion (invoke "spin") "call stack exhausted")
;; The next action gets fresh fuel.
(assert_return (invoke "seven") (i32.const 7))
;; A start function that never returns.
(module (func $spin (import "runaway" "spin")) (start $spin))
(assert_trap (module (func $spin (import "runaway" "spin")) (start $spin)) "unreachable")

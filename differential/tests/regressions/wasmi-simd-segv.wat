;; wasmi 2.0.0 (features std, validate, stable, portable-dispatch, simd)
;; dies with SIGSEGV calling export "1": its dispatch loop
;; (`execute_until_done`) calls a null handler. Found by the first SIMD
;; campaign (module seed 12513235013129256184, reduced by deleting lines
;; while the crash persisted). The engine and the interpreter agree
;; (the call traps: integer overflow in `i32.trunc_f32_s`). Not fixed here:
;; wasmi is third-party, so the oracle's wasmi side sits out SIMD modules
;; (`src/oracle/sides/wasmi.rs`); this file keeps engine and interpreter
;; honest on the module.
(module
  (type (;0;) (func (param v128)))
  (type (;1;) (func))
  (memory (;0;) 2 2)
  (global (;0;) (mut i32) i32.const 0)
  (global (;1;) (mut i32) i32.const 0)
  (global (;2;) (mut i64) i64.const 0)
  (global (;3;) (mut i64) i64.const 0)
  (global (;4;) (mut v128) v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)
  (global (;5;) (mut i32) i32.const 3000)
  (export "1" (func 1))
  (func (;0;) (type 1)
    unreachable)
  (func (;1;) (type 1)
    (local v128 v128 f32 f32 v128 v128 f64 v128)
    global.get 5
    if ;; label = @1
    end
    global.get 5
    block ;; label = @1
    end
    v128.const i32x4 0xb254b566 0xb58edfe4 0xa1ac9645 0x9694c917
    i64x2.all_true
    i32x4.splat
    v128.store16_lane offset=87016 7
    loop (type 1) ;; label = @1
      memory.size
      v128.const i32x4 0x54487be8 0xcd3bd6c4 0x4a80f587 0xc31f806e
      v128.store64_lane offset=69103 0
      loop ;; label = @2
        block ;; label = @3
          memory.size
          i64.const -64
          v128.const i32x4 0x55396d83 0x599c52f4 0xb5b8c314 0x3d56cec5
          f32x4.extract_lane 1
          block ;; label = @4
            v128.const i32x4 0x4011edfe 0x6263dd3e 0x6bcd7546 0x1db1eb95
            v128.const i32x4 0xcbcda030 0xeb21de1f 0x1e8ec7ba 0xc83e28a7
            v128.const i32x4 0x00000000 0x7ff80000 0x00000000 0x7ff80000
            local.get 7
            v128.bitselect
            v128.const i32x4 0x7fc00000 0x7fc00000 0x7fc00000 0x7fc00000
            local.get 7
            v128.bitselect
            v128.const i32x4 0x00000000 0x7ff80000 0x00000000 0x7ff80000
            local.get 4
            v128.bitselect
            v128.const i32x4 0x7fc00000 0x7fc00000 0x7fc00000 0x7fc00000
            local.get 5
            local.get 5
            f32x4.eq
            v128.bitselect
            i64x2.extract_lane 0
            i64.const 7182841061114924286
            f32.convert_i64_u
            i32.trunc_f32_s
            v128.load32_zero offset=45045 align=2
            f64.const -nan:0xfffffffbfffff (;=NaN;)
            loop (result f64) ;; label = @5
              global.get 5
              if ;; label = @6
              end
              global.get 5
              i32.const 1
              i32.sub
              global.set 5
              f32.const 0x1.8p-148 (;=0.000000000000000000000000000000000000000000004;)
              block ;; label = @6
                loop (type 1) ;; label = @7
                  global.get 5
                  i64.load16_s offset=29579
                  i32.const 32767
                  loop (type 1) ;; label = @8
                    global.get 5
                    if ;; label = @9
                    end
                    loop (type 1) ;; label = @9
                      global.get 5
                      if ;; label = @10
                      end
                      ref.null func
                      ref.null func
                      ref.is_null
                      if (result i64) ;; label = @10
                        br 4 (;@6;)
                        block (type 1) ;; label = @11
                        end
                      else
                        i64.const -2124803889229234506
                      end
                      global.set 2
                      drop
                    end
                  end
                  global.set 0
                  global.set 2
                end
              end
              i32.reinterpret_f32
              global.set 1
              f64.const -0x1.0215f93532e3p+824 (;=-112782217386139070000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
            end
            i64.reinterpret_f64
            global.set 3
            i64.reinterpret_f64
            global.set 3
            global.set 4
            global.set 2
            drop
          end
          i32.reinterpret_f32
          global.set 1
          global.set 2
          global.set 0
        end
      end
    end
  )
)
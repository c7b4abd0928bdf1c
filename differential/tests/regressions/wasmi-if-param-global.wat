;; wasmi 2.0.0 ends this call with global "l" = 0 where the interpreter,
;; the engine (every variant) and wasmtime give the argument (24 in the
;; campaign's call; worked by hand, the `else` arm runs and "l" ends as
;; `arg xor 0 xor 0`). Found by the three-way campaign of 2026-11-30
;; (seed 20261131; module seed 2136093597280244259, call seed
;; 4553210978195094472, variant 3), shrunk with `wasm-tools shrink` to
;; the first mismatch being the interpreter's against wasmi's (hand
;; reduction past this lost it: the dead `then` arm's contents matter to
;; wasmi's translator). A wasmi bug, not fixed here: `tests/oracle.rs`
;; runs this file without wasmi (the line below) and checks that wasmi
;; still disagrees (`wasmi_known_divergence`), so a wasmi upgrade that
;; fixes it is noticed.
;; oracle: without wasmi
(module
  (type (;0;) (func (param i64) (result f64 funcref)))
  (type (;1;) (func (param externref) (result i64 i32)))
  (table (;0;) i64 1 18 externref)
  (global (;0;) i32 i32.const 0)
  (global (;1;) funcref ref.func 2)
  (global (;2;) (mut i64) i64.const 0)
  (global (;3;) (mut i64) i64.const 0)
  (global (;4;) (mut i32) i32.const 0)
  (global (;5;) (mut i32) i32.const 0)
  (global (;6;) (mut i32) i32.const 0)
  (export "" (func 0))
  (export "l" (global 3))
  (export "__oracle_fuel" (global 6))
  (func (;0;) (type 0) (param i64) (result f64 funcref)
    (local f64 f64 f64 f64 f64 f32 f32 f64 f32)
    global.get 6
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 6
    i32.const 1
    i32.sub
    global.set 6
    local.get 1
    local.get 0
    ref.null extern
    i64.const 0
    local.get 0
    i64.gt_s
    if (type 1) (param externref) (result i64 i32) ;; label = @1
      call 1
      ref.func 2
      i32.const -131073
      i32.eqz
      f32.const -0x1.f80ba4p+20 (;=-2064570.3;)
      ref.null func
      i64.const 8388608
      i64.extend8_s
      local.get 0
      loop (type 0) (param i64) (result f64 funcref) ;; label = @2
        i32.const 1
        if ;; label = @3
          unreachable
        end
        global.get 6
        global.set 6
        local.get 0
        i64.gt_u
        f64.convert_i32_u
        f64.ceil
        local.tee 2
        f64.const nan (;=NaN;)
        i32.const 0
        select
        table.size 0
        loop (result i32) ;; label = @3
          global.get 6
          i32.eqz
          if ;; label = @4
            unreachable
          end
          global.get 6
          global.set 6
          table.size 0
          f64.reinterpret_i64
          f64.abs
          ref.null extern
          br 0 (;@3;)
          nop
          ref.null extern
          ref.null extern
          block ;; label = @4
            i64.const 0
            ref.func 2
            ref.null func
            f32.const 0x1.fffp-137 (;=0.000000000000000000000000000000000000000011478;)
            f32.neg
            i32.const -286331154
            i64.const 0
            return_call 0
            br 0 (;@4;)
            local.get 0
            f32.convert_i64_u
            i32.const -536870913
            br_if 0 (;@4;)
            i64.const -268435456
            ref.func 2
            i32.const 1526844947
            f64.convert_i32_u
            f64.floor
            local.tee 3
            f64.const nan (;=NaN;)
            local.get 3
            local.get 3
            f64.eq
            select
            i32.trunc_f64_s
            br_if 0 (;@4;)
            f64.const -0x1.b195ee9997ec4p+806 (;=-722788879690942900000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
            local.tee 4
            f64.const nan (;=NaN;)
            i32.const 0
            select
            global.get 0
            br_if 0 (;@4;)
            loop ;; label = @5
              global.get 6
              if ;; label = @6
                unreachable
              end
              global.get 6
              i32.const 1
              i32.sub
              global.set 6
              global.get 1
              br 0 (;@5;)
              loop ;; label = @6
                global.get 6
                i32.eqz
                if ;; label = @7
                  unreachable
                end
                global.get 6
                global.set 6
                local.get 0
                i64.extend32_s
                i64.popcnt
                i64.extend16_s
                return_call 0
                br 3 (;@3;)
                unreachable
                ref.null func
                ref.func 2
                i32.const 373687149
                br 2 (;@4;)
                i32.eqz
                i64.extend_i32_s
                f32.const -0x1.9bb968p+70 (;=-1898743000000000000000;)
                i32.trunc_sat_f32_u
                table.size 0
                br 1 (;@5;)
                i64.extend32_s
                i64.extend16_s
                f64.convert_i64_s
                i64.const 0
                return_call 0
                local.get 0
                f64.convert_i64_u
                f32.demote_f64
                local.tee 9
                f32.const nan (;=NaN;)
                local.get 9
                local.get 9
                f32.eq
                select
                loop (result f64) ;; label = @7
                  global.get 6
                  if ;; label = @8
                    nop
                  else
                    unreachable
                  end
                  global.get 6
                  global.set 6
                  table.size 0
                  block (result i32) ;; label = @8
                    f64.const -nan:0xfffe000000000 (;=NaN;)
                    loop (result i64) ;; label = @9
                      global.get 6
                      i32.eqz
                      if ;; label = @10
                        unreachable
                      end
                      global.get 6
                      global.set 6
                      f64.const 0x1.73c9981eb8c19p-768 (;=0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000009354447080924747;)
                      br 2 (;@7;)
                      f64.const 0x1.5bb57c6eed385p-394 (;=0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000003366336977128557;)
                      f64.copysign
                      f64.nearest
                      local.tee 5
                      f64.const nan (;=NaN;)
                      local.get 5
                      local.get 5
                      f64.eq
                      select
                      f64.const -0x1.18ffa74b7fe54p+675 (;=-172072447437362130000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
                      block ;; label = @10
                        ref.null func
                        f32.const 0x0p+0 (;=0;)
                        f32.const -0x1.439efp-109 (;=-0.0000000000000000000000000000000019477221;)
                        local.tee 6
                        f32.const nan (;=NaN;)
                        local.get 6
                        local.get 6
                        f32.eq
                        select
                        i64.const 2305843009213693951
                        call 0
                        i32.const -131072
                        f32.reinterpret_i32
                        f32.abs
                        f32.trunc
                        local.tee 7
                        f32.const nan (;=NaN;)
                        local.get 7
                        local.get 7
                        f32.eq
                        select
                        i32.trunc_sat_f32_u
                        i64.extend_i32_u
                        global.get 0
                        br 0 (;@10;)
                        i32.const 0
                        loop (result i32) ;; label = @11
                          global.get 6
                          i32.eqz
                          if ;; label = @12
                            unreachable
                          end
                          global.get 6
                          i32.const 1
                          i32.sub
                          global.set 6
                          loop ;; label = @12
                            global.get 6
                            i32.eqz
                            if ;; label = @13
                              unreachable
                            end
                            global.get 6
                            i32.const 1
                            i32.sub
                            global.set 6
                            i32.const 0
                            br_table 0 (;@12;) 1 (;@11;) 2 (;@10;) 3 (;@9;) 5 (;@7;) 6 (;@6;) 7 (;@5;) 8 (;@4;) 9 (;@3;) 6 (;@6;)
                            i64.const 1
                            i64.clz
                            f64.convert_i64_u
                            f64.const 0x1.3c475497a3829p+107 (;=200465400448538080000000000000000;)
                            ref.func 2
                            global.get 0
                            f64.convert_i32_s
                            ref.null extern
                            ref.null extern
                            i64.const 0
                            call 0
                            f64.const 0x1.p-1065 (;=0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000253;)
                            f64.ceil
                            local.tee 8
                            f64.const nan (;=NaN;)
                            local.get 8
                            local.get 8
                            f64.eq
                            select
                            i64.trunc_sat_f64_s
                            ref.null func
                            i64.const 8761213903637843765
                            br 3 (;@9;)
                            return_call 0
                            table.size 0
                            f64.convert_i64_u
                            i64.trunc_sat_f64_s
                            f64.reinterpret_i64
                            i64.reinterpret_f64
                            global.get 2
                            i64.xor
                            global.set 2
                            drop
                            i64.reinterpret_f64
                            global.get 2
                            i64.xor
                            global.set 2
                            drop
                            global.get 3
                            i64.xor
                            global.set 3
                            drop
                            i64.reinterpret_f64
                            global.get 2
                            i64.xor
                            global.set 2
                            drop
                            drop
                            i64.reinterpret_f64
                            global.get 2
                            i64.xor
                            global.set 2
                            drop
                            i64.reinterpret_f64
                            global.get 2
                            i64.xor
                            global.set 2
                            i64.reinterpret_f64
                            global.get 2
                            i64.xor
                            global.set 2
                          end
                          i32.const 0
                        end
                        global.get 4
                        i32.xor
                        global.set 4
                        global.get 4
                        i32.xor
                        global.set 4
                        global.get 4
                        i32.xor
                        global.set 4
                        global.get 3
                        i64.xor
                        global.set 3
                        drop
                        i64.reinterpret_f64
                        global.get 2
                        i64.xor
                        global.set 2
                        i32.reinterpret_f32
                        global.get 5
                        i32.xor
                        global.set 5
                        i32.reinterpret_f32
                        global.get 5
                        i32.xor
                        global.set 5
                        drop
                      end
                      i64.reinterpret_f64
                      global.get 2
                      i64.xor
                      global.set 2
                      i64.reinterpret_f64
                      global.get 2
                      i64.xor
                      global.set 2
                      i64.const 1
                    end
                    global.get 3
                    i64.xor
                    global.set 3
                    i64.reinterpret_f64
                    global.get 2
                    i64.xor
                    global.set 2
                    i32.const 0
                  end
                  global.get 4
                  i32.xor
                  global.set 4
                  global.get 3
                  i64.xor
                  global.set 3
                  f64.const -0x1.db40d3db2d779p-227 (;=-0.000000000000000000000000000000000000000000000000000000000000000000008607481512441717;)
                end
                i64.reinterpret_f64
                global.get 2
                i64.xor
                global.set 2
                i32.reinterpret_f32
                global.get 5
                i32.xor
                global.set 5
                drop
                drop
                i64.reinterpret_f64
                global.get 2
                i64.xor
                global.set 2
                global.get 4
                i32.xor
                global.set 4
                global.get 3
                i64.xor
                global.set 3
                drop
                drop
                drop
                i64.reinterpret_f64
                global.get 2
                i64.xor
                global.set 2
              end
              drop
            end
            i64.reinterpret_f64
            global.get 2
            i64.xor
            global.set 2
            drop
            global.get 3
            i64.xor
            global.set 3
            i32.reinterpret_f32
            global.get 5
            i32.xor
            global.set 5
            drop
            i64.reinterpret_f64
            global.get 2
            i64.xor
            global.set 2
            global.get 4
            i32.xor
            global.set 4
            i32.reinterpret_f32
            global.get 5
            i32.xor
            global.set 5
            drop
            drop
            global.get 3
            i64.xor
            global.set 3
          end
          drop
          drop
          drop
          i64.reinterpret_f64
          i64.const 1
          i64.xor
          global.set 2
          i32.const 3
        end
        global.get 4
        i32.xor
        global.set 4
        global.get 3
        i64.xor
        global.set 3
        ref.null func
      end
      drop
      i64.reinterpret_f64
      global.get 2
      i64.xor
      global.set 2
      global.get 3
      i64.xor
      global.set 3
      drop
      i32.reinterpret_f32
      global.get 5
      i32.xor
      global.set 5
      global.get 4
      i32.xor
      global.set 4
      drop
    else
      drop
      i64.const 0
      i32.const 0
    end
    global.get 4
    i32.xor
    global.set 4
    global.get 3
    i64.xor
    global.set 3
    global.get 3
    i64.xor
    global.set 3
    ref.null func
  )
  (func (;1;) (type 1) (param externref) (result i64 i32)
    unreachable
  )
  (func (;2;) (type 1) (param externref) (result i64 i32)
    unreachable
  )
)

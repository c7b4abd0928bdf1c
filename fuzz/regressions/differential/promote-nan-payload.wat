;; call seed 14489795279484565554
;; An f64.promote_f32 of a signalling-NaN argument, stored to memory: the
;; payload legitimately differs between sides unless the module is
;; canonicalised first (found by the `differential` target, which had
;; skipped the oracle's canonicalisation).
(module
  (type (;0;) (func (param f32) (result f32)))
  (table (;0;) 22 57 externref)
  (memory (;0;) 2 3)
  (global (;0;) i32 i32.const -1091668310)
  (global (;1;) (mut i64) i64.const 0)
  (global (;2;) (mut i64) i64.const 0)
  (global (;3;) (mut i32) i32.const 0)
  (global (;4;) (mut i32) i32.const 0)
  (global (;5;) (mut i32) i32.const 3000)
  (export "" (func 0))
  (export "1" (func 1))
  (export "2" (func 2))
  (export "3" (func 3))
  (export "4" (func 4))
  (export "5" (func 5))
  (export "6" (func 6))
  (export "7" (func 7))
  (export "8" (table 0))
  (export "9" (memory 0))
  (export "10" (global 0))
  (func (;0;) (type 0) (param f32) (result f32)
    (local i64 f64)
    global.get 5
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 5
    i32.const 1
    i32.sub
    global.set 5
    block ;; label = @1
      i32.const 536870911
      i32.load8_s offset=130086
      i32.load offset=24687 align=1
      loop ;; label = @2
        global.get 5
        i32.eqz
        if ;; label = @3
          unreachable
        end
        global.get 5
        i32.const 1
        i32.sub
        global.set 5
        table.size 0
        loop (result f32) ;; label = @3
          global.get 5
          i32.eqz
          if ;; label = @4
            unreachable
          end
          global.get 5
          i32.const 1
          i32.sub
          global.set 5
          local.get 0
          memory.size
          block (result i64) ;; label = @4
            table.size 0
            block ;; label = @5
            end
            i32.const -791621424
            i32.lt_s
            i64.load offset=53352 align=1
            i64.extend32_s
            i64.extend32_s
            i64.extend8_s
            i32.wrap_i64
            f32.load offset=87380 align=2
            i32.trunc_sat_f32_u
            i32.load offset=11334
            i64.load32_u offset=16173
            global.get 0
            i64.load16_s offset=88134
            f64.reinterpret_i64
            i64.const 1160492568574070274
            i64.eqz
            i32.load offset=127578 align=1
            br_if 3 (;@1;)
            global.get 0
            i32.load16_s offset=99754
            f64.convert_i32_u
            f64.const 0x1.p-1060 (;=0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000008095;)
            f64.gt
            i32.popcnt
            i32.load16_u offset=7717 align=1
            br 3 (;@1;)
            i32.load8_u offset=72180
            i32.load8_s offset=44190
            br_if 1 (;@3;)
            i64.reinterpret_f64
            global.get 1
            i64.xor
            global.set 1
          end
          global.get 2
          i64.xor
          global.set 2
          global.get 3
          i32.xor
          global.set 3
        end
        i32.reinterpret_f32
        global.get 4
        i32.xor
        global.set 4
        global.get 3
        i32.xor
        global.set 3
      end
      global.get 3
      i32.xor
      global.set 3
    end
    f32.const -0x1.9605e2p-34 (;=-0.00000000009231894;)
  )
  (func (;1;) (type 0) (param f32) (result f32)
    (local f32 f32)
    global.get 5
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 5
    i32.const 1
    i32.sub
    global.set 5
    f64.const -0x1.928556b06cae4p+542 (;=-22636332784362490000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
    f64.neg
    f32.const -0x1.cf70d8p-85 (;=-0.000000000000000000000000046795562;)
    f32.nearest
    local.tee 1
    f32.const nan (;=NaN;)
    local.get 1
    local.get 1
    f32.eq
    select
    table.size 0
    f64.load offset=27981 align=4
    memory.size
    f32.reinterpret_i32
    f32.trunc
    local.tee 2
    f32.const nan (;=NaN;)
    local.get 2
    local.get 2
    f32.eq
    select
    i64.trunc_sat_f32_u
    local.get 0
    f64.promote_f32
    block ;; label = @1
      nop
      br 0 (;@1;)
      memory.size
      br 0 (;@1;)
      i64.load8_u offset=95229
      i64.clz
      block ;; label = @2
        f64.const 0x1.fefffffep-1043 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000021178512674;)
        i64.reinterpret_f64
        f32.const -0x1.1724aep+54 (;=-19642962000000000;)
        i64.trunc_f32_s
        i64.shl
        f64.const -0x1.fffffffffffffp+960 (;=-19490628022799996000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
        f32.demote_f64
        memory.size
        f64.load offset=102758 align=2
        i32.trunc_f64_s
        i64.load8_u offset=24887
        block (result f32) ;; label = @3
          i32.const 226567271
          br_table 1 (;@2;) 2 (;@1;) 2 (;@1;)
          ref.null extern
          i32.const 131071
          table.grow 0
          br_if 1 (;@2;)
          f32.const 0x1.222222p-93 (;=0.00000000000000000000000000011443742;)
        end
        i32.reinterpret_f32
        global.get 4
        i32.xor
        global.set 4
        global.get 2
        i64.xor
        global.set 2
        i32.reinterpret_f32
        global.get 4
        i32.xor
        global.set 4
        global.get 2
        i64.xor
        global.set 2
      end
      global.get 2
      i64.xor
      global.set 2
    end
    i64.reinterpret_f64
    global.get 1
    i64.xor
    global.set 1
    global.get 2
    i64.xor
    global.set 2
    i64.reinterpret_f64
    global.get 1
    i64.xor
    global.set 1
    i32.reinterpret_f32
    global.get 4
    i32.xor
    global.set 4
    i64.reinterpret_f64
    global.get 1
    i64.xor
    global.set 1
    f32.const 0x1.a552fcp-16 (;=0.000025112877;)
  )
  (func (;2;) (type 0) (param f32) (result f32)
    (local f32)
    global.get 5
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 5
    i32.const 1
    i32.sub
    global.set 5
    i64.const 131074
    i64.eqz
    i32.load offset=90169 align=2
    i32.extend16_s
    i32.load8_u offset=44743
    local.get 0
    f64.promote_f32
    f64.store offset=1324 align=2
    block ;; label = @1
      block (result i32) ;; label = @2
        local.get 0
        f32.sqrt
        local.tee 1
        f32.const nan (;=NaN;)
        local.get 1
        local.get 1
        f32.eq
        select
        i32.trunc_sat_f32_s
        table.size 0
        i32.gt_s
        i64.load8_s offset=153792
        i64.eqz
        memory.grow
        i32.load8_s offset=160888
        i64.load32_u offset=91818 align=2
        i64.const 17592186044415
        i64.eqz
        i64.const 34359738367
        i64.store32 offset=69169 align=1
        i64.popcnt
        i64.extend32_s
        ref.null extern
        local.get 0
        f32.const 0x1.222222p-93 (;=0.00000000000000000000000000011443742;)
        loop ;; label = @3
          global.get 5
          i32.eqz
          if ;; label = @4
            unreachable
          end
          global.get 5
          i32.const 1
          i32.sub
          global.set 5
          loop (result f64) ;; label = @4
            global.get 5
            i32.eqz
            if ;; label = @5
              unreachable
            end
            global.get 5
            i32.const 1
            i32.sub
            global.set 5
            block (result i32) ;; label = @5
              f64.const 0x1p-1019 (;=0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000017800590868057611;)
              f32.const 0x1.1bd9bp-104 (;=0.00000000000000000000000000000005466759;)
              f64.promote_f32
              loop (result i32) ;; label = @6
                global.get 5
                i32.eqz
                if ;; label = @7
                  unreachable
                end
                global.get 5
                i32.const 1
                i32.sub
                global.set 5
                f32.const -0x1.48ce3cp-125 (;=-0.000000000000000000000000000000000000030196026;)
                global.get 0
                i32.load8_u offset=72180
                i32.load8_s offset=44190
                br_if 5 (;@1;)
                i32.reinterpret_f32
                global.get 4
                i32.xor
                global.set 4
                i32.const -391521230
              end
              global.get 3
              i32.xor
              global.set 3
              i64.reinterpret_f64
              global.get 1
              i64.xor
              global.set 1
              i64.reinterpret_f64
              global.get 1
              i64.xor
              global.set 1
              i32.const 32
            end
            global.get 3
            i32.xor
            global.set 3
            f64.const -0x1.c37d2a97eaecbp+582 (;=-27916734651990704000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
          end
          drop
        end
        unreachable
      end
      unreachable
    end
    f32.const -0x1.50aad6p+51 (;=-2961357000000000;)
  )
  (func (;3;) (type 0) (param f32) (result f32)
    (local f64 i64)
    global.get 5
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 5
    i32.const 1
    i32.sub
    global.set 5
    global.get 0
    i32.load offset=84251 align=1
    i64.load offset=3564 align=2
    i64.extend16_s
    loop ;; label = @1
      global.get 5
      i32.eqz
      if ;; label = @2
        unreachable
      end
      global.get 5
      i32.const 1
      i32.sub
      global.set 5
    end
    local.tee 2
    i64.const 4503599627370496
    i64.mul
    table.size 0
    i64.load16_u offset=90562
    local.set 2
    f64.const 0x1.02c2e8c297459p+599 (;=2097137322487870700000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
    ref.null extern
    i32.const 1292385111
    i32.load8_u offset=23061
    i32.const 2147483647
    i64.load16_u offset=11366
    i64.store offset=35281 align=2
    local.get 0
    global.get 0
    i32.ctz
    i32.eqz
    i64.load offset=1794
    memory.size
    local.get 0
    i64.trunc_f32_s
    table.size 0
    i32.load16_s offset=150913
    f32.reinterpret_i32
    i64.const 4194303
    block (result f64) ;; label = @1
      f64.const 0x1.1976558fbefc7p+451 (;=6393051802710813000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
      i64.trunc_f64_s
      local.set 2
      i32.const -1165552487
      i64.const 196606
      i64.eqz
      local.get 1
      i64.trunc_sat_f64_u
      memory.size
      i32.extend8_s
      nop
      f32.const -nan:0x7fe000 (;=NaN;)
      call 3
      f32.neg
      br 1
      f64.const -0x1.8533e6e497d05p-955 (;=-0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000004992178054003746;)
      i32.trunc_sat_f64_s
      i32.eqz
      i32.rotr
      i64.load offset=1209 align=1
      i64.const 3626059057988691108
      f64.convert_i64_s
      table.size 0
      i32.load16_u offset=3192 align=1
      loop (result i32) ;; label = @2
        global.get 5
        i32.eqz
        if ;; label = @3
          unreachable
        end
        global.get 5
        i32.const 1
        i32.sub
        global.set 5
        table.size 0
        loop (result i32) ;; label = @3
          global.get 5
          i32.eqz
          if ;; label = @4
            unreachable
          end
          global.get 5
          i32.const 1
          i32.sub
          global.set 5
          f32.const 0x1.p-140 (;=0.000000000000000000000000000000000000000000717;)
          call 0
          f32.neg
          local.tee 0
          i32.const 243324078
          f64.const 0x1.1058a68d5111ap+88 (;=329246463528127500000000000;)
          f32.demote_f64
          global.get 0
          i32.clz
          f64.const 0x1.f7507e6ce1acap+555 (;=231871306553172980000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000;)
          i32.trunc_sat_f64_s
          local.get 1
          i64.trunc_f64_s
          local.set 2
          i32.ne
          i32.load8_u offset=66158
          memory.size
          i64.load8_u offset=35729
          f64.convert_i64_s
          br 2 (;@1;)
          br 0 (;@3;)
          i64.load offset=15509 align=4
          ref.null extern
          f64.const -nan:0xfffffff7fffff (;=NaN;)
          local.tee 1
          nop
          br 0 (;@3;)
          loop (result f32) ;; label = @4
            global.get 5
            i32.eqz
            if ;; label = @5
              unreachable
            end
            global.get 5
            i32.const 1
            i32.sub
            global.set 5
            local.get 2
            br 2 (;@2;)
            block (result f64) ;; label = @5
              loop ;; label = @6
                global.get 5
                i32.eqz
                if ;; label = @7
                  unreachable
                end
                global.get 5
                i32.const 1
                i32.sub
                global.set 5
              end
              table.size 0
              i64.load16_s offset=144418 align=1
              i32.wrap_i64
              i32.const 151969961
              i32.load8_u offset=10137
              i32.div_s
              i64.load8_u offset=124453
              i64.extend16_s
              f64.convert_i64_s
              i64.trunc_f64_s
              f64.const 0x1.c0935e7c0b946p-649 (;=0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000750116215786303;)
              f32.const -0x1p+1 (;=-2;)
              i64.const 2952309636015374857
              local.get 2
              f64.convert_i64_s
              global.get 0
              i32.load16_u offset=189495
              i64.load offset=21693 align=2
              local.get 2
              block ;; label = @6
              end
              unreachable
            end
            unreachable
          end
          unreachable
        end
        unreachable
      end
      unreachable
    end
    unreachable
  )
  (func (;4;) (type 0) (param f32) (result f32)
    global.get 5
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 5
    i32.const 1
    i32.sub
    global.set 5
    unreachable
  )
  (func (;5;) (type 0) (param f32) (result f32)
    global.get 5
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 5
    i32.const 1
    i32.sub
    global.set 5
    unreachable
  )
  (func (;6;) (type 0) (param f32) (result f32)
    global.get 5
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 5
    i32.const 1
    i32.sub
    global.set 5
    unreachable
  )
  (func (;7;) (type 0) (param f32) (result f32)
    global.get 5
    i32.eqz
    if ;; label = @1
      unreachable
    end
    global.get 5
    i32.const 1
    i32.sub
    global.set 5
    unreachable
  )
)

// The frames of a trap inside nested calls, innermost first, and the
// origin, each at its instruction's offsets (computed here from the
// module's bytes, not observed); a trap a host callback returns keeps its
// message and gains the frames under the callback, also when it is the
// trap of a nested call the callback made.
#include "check.h"

static const char* WAT =
  "(module"
  "  (import \"\" \"fail\" (func $fail))"                            // 0
  "  (import \"\" \"reenter\" (func $reenter))"                      // 1
  "  (func $inner (i32.div_u (i32.const 1) (i32.const 0)) drop)"   // 2
  "  (func $middle (call $inner))"                                 // 3
  "  (func (export \"outer\") (call $middle))"                     // 4
  "  (func (export \"via_host\") (call $fail))"                    // 5
  "  (func (export \"nested\") (call $reenter)))";                 // 6
#define IMPORTED 2
#define CALL 0x10
#define I32_DIV_U 0x6e

static wasm_byte_vec_t binary;

static uint32_t leb(const uint8_t* p, size_t* i) {
  uint32_t value = 0;
  int shift = 0;
  uint8_t byte;
  do {
    byte = p[(*i)++];
    value |= (uint32_t)(byte & 0x7f) << shift;
    shift += 7;
  } while (byte & 0x80);
  return value;
}

// Where the one `opcode` byte of function `func` (whose body declares no
// locals, and whose immediates never equal `opcode`) is: its module offset,
// and its offset from the start of the body.
static void offsets_of(uint32_t func, uint8_t opcode, size_t* module_offset, size_t* func_offset) {
  const uint8_t* p = (const uint8_t*)binary.data;
  size_t i = 8;
  while (i < binary.size) {
    uint8_t id = p[i++];
    uint32_t size = leb(p, &i);
    size_t end = i + size;
    if (id == 10) {
      uint32_t count = leb(p, &i);
      for (uint32_t f = 0; f < count; f++) {
        uint32_t len = leb(p, &i);
        size_t start = i;
        if (f + IMPORTED == func) {
          CHECK(p[start] == 0);
          size_t found = 0;
          for (size_t j = start + 1; j < start + len; j++) {
            if (p[j] == opcode) {
              CHECK(found == 0);
              found = j;
            }
          }
          CHECK(found != 0);
          *module_offset = found;
          *func_offset = found - start;
          return;
        }
        i = start + len;
      }
    }
    i = end;
  }
  CHECK(0);
}

// The frame is function `func` at its one `opcode`, of no instance
// (kiln.h), and its copy says the same.
static void check_frame(const wasm_frame_t* frame, uint32_t func, uint8_t opcode) {
  size_t module_offset, func_offset;
  offsets_of(func, opcode, &module_offset, &func_offset);
  wasm_frame_t* copy = wasm_frame_copy(frame);
  const wasm_frame_t* both[] = {frame, copy};
  for (int i = 0; i < 2; i++) {
    CHECK(wasm_frame_func_index(both[i]) == func);
    CHECK(wasm_frame_module_offset(both[i]) == module_offset);
    CHECK(wasm_frame_func_offset(both[i]) == func_offset);
    CHECK(wasm_frame_instance(both[i]) == NULL);
  }
  wasm_frame_delete(copy);
}

// The trap's origin and trace are the frames `funcs`/`opcodes`; prints
// the function indices.
static void check_trace(const wasm_trap_t* trap, size_t n, const uint32_t* funcs, const uint8_t* opcodes) {
  wasm_frame_t* origin = wasm_trap_origin(trap);
  CHECK(origin != NULL);
  check_frame(origin, funcs[0], opcodes[0]);
  printf("origin: %u\n", wasm_frame_func_index(origin));
  wasm_frame_delete(origin);
  wasm_frame_vec_t trace;
  wasm_trap_trace(trap, &trace);
  CHECK(trace.size == n);
  printf("trace:");
  for (size_t i = 0; i < trace.size; i++) {
    check_frame(trace.data[i], funcs[i], opcodes[i]);
    printf(" %u", wasm_frame_func_index(trace.data[i]));
  }
  printf("\n");
  wasm_frame_vec_t trace2;
  wasm_frame_vec_copy(&trace2, &trace);
  CHECK(trace2.size == trace.size);
  wasm_frame_vec_delete(&trace2);
  wasm_frame_vec_delete(&trace);
}

static wasm_trap_t* fail(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  wasm_name_t message;
  wasm_name_new_from_string_nt(&message, "from the host");
  wasm_trap_t* trap = wasm_trap_new((wasm_store_t*)env, &message);
  wasm_name_delete(&message);
  return trap;
}

// Calls the export `outer` (env points to it) and returns its trap.
static wasm_trap_t* reenter(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  return wasm_func_call(*(wasm_func_t**)env, &none, &none);
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  CHECK(kiln_wat2wasm(WAT, strlen(WAT), &binary) == NULL);
  wasm_module_t* module = wasm_module_new(store, &binary);
  CHECK(module != NULL);
  wasm_func_t* outer = NULL;
  wasm_functype_t* type = wasm_functype_new_0_0();
  wasm_func_t* host = wasm_func_new_with_env(store, type, fail, store, NULL);
  wasm_func_t* host2 = wasm_func_new_with_env(store, type, reenter, &outer, NULL);
  wasm_functype_delete(type);
  wasm_extern_t* externs[] = {wasm_func_as_extern(host), wasm_func_as_extern(host2)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  outer = export_func(&exports, 0);

  wasm_val_vec_t none = WASM_EMPTY_VEC;
  wasm_trap_t* trap = wasm_func_call(outer, &none, &none);
  CHECK(trap != NULL);
  const uint32_t nested_funcs[] = {2, 3, 4, 6};
  const uint8_t nested_ops[] = {I32_DIV_U, CALL, CALL, CALL};
  check_trace(trap, 3, nested_funcs, nested_ops);
  print_trap(trap);

  // The callback's own trap, with the frame that called the callback.
  trap = wasm_func_call(export_func(&exports, 1), &none, &none);
  const uint32_t via_funcs[] = {5};
  const uint8_t via_ops[] = {CALL};
  check_trace(trap, 1, via_funcs, via_ops);
  print_trap(trap);

  // `outer`'s trap, returned by a callback `nested` called: the frames
  // of both wasm activations.
  trap = wasm_func_call(export_func(&exports, 2), &none, &none);
  check_trace(trap, 4, nested_funcs, nested_ops);
  print_trap(trap);

  wasm_byte_vec_delete(&binary);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(host2);
  wasm_func_delete(host);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}

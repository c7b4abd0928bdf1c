// The frames of a trap inside nested calls, innermost first, and the
// origin; a trap through a host callback in the middle keeps the
// callback's own trap.
#include "check.h"

static wasm_trap_t* fail(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  wasm_name_t message;
  wasm_name_new_from_string_nt(&message, "from the host");
  wasm_trap_t* trap = wasm_trap_new((wasm_store_t*)env, &message);
  wasm_name_delete(&message);
  return trap;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = wat_module(store,
    "(module"
    "  (import \"\" \"fail\" (func $fail))"              // 0
    "  (func $inner (i32.div_u (i32.const 1) (i32.const 0)) drop)"  // 1
    "  (func $middle (call $inner))"                      // 2
    "  (func (export \"outer\") (call $middle))"          // 3
    "  (func (export \"via_host\") (call $fail)))");      // 4
  wasm_functype_t* type = wasm_functype_new_0_0();
  wasm_func_t* host = wasm_func_new_with_env(store, type, fail, store, NULL);
  wasm_functype_delete(type);
  wasm_extern_t* externs[] = {wasm_func_as_extern(host)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);

  wasm_val_vec_t none = WASM_EMPTY_VEC;
  wasm_trap_t* trap = wasm_func_call(export_func(&exports, 0), &none, &none);
  CHECK(trap != NULL);
  wasm_frame_t* origin = wasm_trap_origin(trap);
  CHECK(origin != NULL);
  printf("origin: %u\n", wasm_frame_func_index(origin));
  wasm_frame_t* copy = wasm_frame_copy(origin);
  CHECK(wasm_frame_func_index(copy) == wasm_frame_func_index(origin));
  CHECK(wasm_frame_instance(copy) == NULL);
  CHECK(wasm_frame_func_offset(copy) == 0 && wasm_frame_module_offset(copy) == 0);
  wasm_frame_delete(copy);
  wasm_frame_delete(origin);
  wasm_frame_vec_t trace;
  wasm_trap_trace(trap, &trace);
  printf("trace:");
  for (size_t i = 0; i < trace.size; i++) printf(" %u", wasm_frame_func_index(trace.data[i]));
  printf("\n");
  wasm_frame_vec_t trace2;
  wasm_frame_vec_copy(&trace2, &trace);
  CHECK(trace2.size == trace.size);
  wasm_frame_vec_delete(&trace2);
  wasm_frame_vec_delete(&trace);
  print_trap(trap);

  trap = wasm_func_call(export_func(&exports, 1), &none, &none);
  CHECK(trap != NULL);
  CHECK(wasm_trap_origin(trap) == NULL);
  print_trap(trap);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(host);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}

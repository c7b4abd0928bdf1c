// A funcref table filled from C (host and wasm functions), called
// through call_indirect; out-of-range accesses and growth past the
// maximum fail with NULL/false.
#include "check.h"

static wasm_trap_t* triple(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = args->data[0].of.i32 * 3;
  return NULL;
}

static int32_t call(wasm_func_t* f, int32_t x, int32_t index, wasm_trap_t** trap) {
  wasm_val_t args[2] = {WASM_I32_VAL(x), WASM_I32_VAL(index)};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t a = WASM_ARRAY_VEC(args), r = WASM_ARRAY_VEC(results);
  *trap = wasm_func_call(f, &a, &r);
  return results[0].of.i32;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = wat_module(store,
    "(module"
    "  (type $t (func (param i32) (result i32)))"
    "  (table (export \"table\") 3 4 funcref)"
    "  (func (export \"call\") (param i32 i32) (result i32)"
    "    (call_indirect (type $t) (local.get 0) (local.get 1)))"
    "  (func (export \"inc\") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))");
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_table_t* table = wasm_extern_as_table(exports.data[0]);
  wasm_func_t* call_f = export_func(&exports, 1);
  wasm_func_t* inc = export_func(&exports, 2);
  CHECK(table != NULL);

  wasm_functype_t* type = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t* host = wasm_func_new(store, type, triple);
  wasm_functype_delete(type);

  CHECK(wasm_table_set(table, 0, wasm_func_as_ref(host)));
  CHECK(wasm_table_set(table, 1, wasm_func_as_ref(inc)));
  wasm_trap_t* trap;
  printf("host: %d\n", call(call_f, 5, 0, &trap));
  CHECK(trap == NULL);
  printf("wasm: %d\n", call(call_f, 5, 1, &trap));
  CHECK(trap == NULL);
  call(call_f, 5, 2, &trap);
  print_trap(trap);
  call(call_f, 5, 3, &trap);
  print_trap(trap);

  wasm_ref_t* r = wasm_table_get(table, 0);
  CHECK(r != NULL && wasm_ref_as_func(r) != NULL && wasm_func_same(wasm_ref_as_func(r), host));
  CHECK(wasm_func_param_arity(wasm_ref_as_func(r)) == 1);
  wasm_ref_delete(r);
  CHECK(wasm_table_get(table, 2) == NULL);
  CHECK(wasm_table_get(table, 3) == NULL);
  CHECK(!wasm_table_set(table, 3, wasm_func_as_ref(host)));
  CHECK(!wasm_table_set(table, 0xffffffffu, NULL));
  // A funcref table takes only functions.
  wasm_foreign_t* foreign = wasm_foreign_new(store);
  CHECK(!wasm_table_set(table, 0, wasm_foreign_as_ref(foreign)));
  wasm_foreign_delete(foreign);
  CHECK(wasm_table_grow(table, 1, wasm_func_as_ref(inc)));
  printf("grown: %d\n", call(call_f, 5, 3, &trap));
  CHECK(trap == NULL);
  CHECK(!wasm_table_grow(table, 1, NULL));
  CHECK(wasm_table_size(table) == 4);
  wasm_tabletype_t* tt = wasm_table_type(table);
  CHECK(wasm_tabletype_limits(tt)->min == 4 && wasm_tabletype_limits(tt)->max == 4);
  CHECK(wasm_valtype_kind(wasm_tabletype_element(tt)) == WASM_FUNCREF);
  wasm_tabletype_delete(tt);
  printf("limits: ok\n");

  wasm_func_delete(host);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}

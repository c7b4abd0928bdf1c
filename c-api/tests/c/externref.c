// externref values round-tripping through wasm (arguments, results,
// globals, tables) keep their identity and host info; funcrefs come back
// as functions.
#include "check.h"

static int marker;

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = wat_module(store,
    "(module"
    "  (global $g (export \"g\") (mut externref) (ref.null extern))"
    "  (table $t (export \"t\") 2 externref)"
    "  (func (export \"id\") (param externref) (result externref) (local.get 0))"
    "  (func (export \"stash\") (param externref)"
    "    (global.set $g (local.get 0)) (table.set $t (i32.const 1) (local.get 0)))"
    "  (func (export \"is_null\") (param externref) (result i32) (ref.is_null (local.get 0))))");
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_global_t* g = wasm_extern_as_global(exports.data[0]);
  wasm_table_t* t = wasm_extern_as_table(exports.data[1]);
  wasm_func_t* id = export_func(&exports, 2);
  wasm_func_t* stash = export_func(&exports, 3);
  wasm_func_t* is_null = export_func(&exports, 4);
  CHECK(g && t);

  wasm_foreign_t* foreign = wasm_foreign_new(store);
  wasm_foreign_set_host_info(foreign, &marker);

  // Through a call and back.
  wasm_val_t args[1] = {WASM_REF_VAL(wasm_foreign_as_ref(foreign))};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t a = WASM_ARRAY_VEC(args), r = WASM_ARRAY_VEC(results);
  CHECK(wasm_func_call(id, &a, &r) == NULL);
  CHECK(results[0].kind == WASM_EXTERNREF && results[0].of.ref != NULL);
  CHECK(wasm_ref_same(results[0].of.ref, wasm_foreign_as_ref(foreign)));
  CHECK(wasm_ref_get_host_info(results[0].of.ref) == &marker);
  CHECK(wasm_ref_as_foreign(results[0].of.ref) != NULL);
  wasm_val_delete(&results[0]);
  printf("call: same object\n");

  // Null stays null.
  wasm_val_t null_args[1] = {WASM_REF_VAL(NULL)};
  wasm_val_t flag[1] = {WASM_INIT_VAL};
  wasm_val_vec_t na = WASM_ARRAY_VEC(null_args), fr = WASM_ARRAY_VEC(flag);
  CHECK(wasm_func_call(is_null, &na, &fr) == NULL && flag[0].of.i32 == 1);
  CHECK(wasm_func_call(is_null, &a, &fr) == NULL && flag[0].of.i32 == 0);
  printf("null: ok\n");

  // Stored by wasm in a global and a table, read from C.
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  CHECK(wasm_func_call(stash, &a, &none) == NULL);
  wasm_val_t v;
  wasm_global_get(g, &v);
  CHECK(v.kind == WASM_EXTERNREF && wasm_ref_same(v.of.ref, wasm_foreign_as_ref(foreign)));
  wasm_val_delete(&v);
  wasm_ref_t* e = wasm_table_get(t, 1);
  CHECK(e != NULL && wasm_ref_get_host_info(e) == &marker);
  wasm_ref_delete(e);
  CHECK(wasm_table_get(t, 0) == NULL);
  printf("global and table: ok\n");

  // Set from C, read by wasm and C; any reference can be an externref.
  wasm_val_t fv = WASM_REF_VAL(wasm_func_as_ref(id));
  wasm_global_set(g, &fv);
  wasm_global_get(g, &v);
  CHECK(v.of.ref != NULL && wasm_ref_as_func(v.of.ref) != NULL);
  CHECK(wasm_func_same(wasm_ref_as_func(v.of.ref), id));
  wasm_val_t copy;
  wasm_val_copy(&copy, &v);
  CHECK(copy.of.ref != v.of.ref && wasm_ref_same(copy.of.ref, v.of.ref));
  wasm_val_delete(&copy);
  wasm_val_delete(&v);
  CHECK(wasm_table_set(t, 0, wasm_foreign_as_ref(foreign)));
  e = wasm_table_get(t, 0);
  CHECK(e != NULL && wasm_ref_same(e, wasm_foreign_as_ref(foreign)));
  wasm_ref_delete(e);
  CHECK(wasm_table_grow(t, 2, wasm_foreign_as_ref(foreign)));
  CHECK(wasm_table_size(t) == 4);
  printf("from C: ok\n");

  // A vector of values owns its references.
  wasm_val_vec_t vals;
  wasm_val_t init[2] = {WASM_I32_VAL(7), WASM_REF_VAL(wasm_ref_copy(wasm_foreign_as_ref(foreign)))};
  wasm_val_vec_new(&vals, 2, init);
  wasm_val_vec_t vals2;
  wasm_val_vec_copy(&vals2, &vals);
  CHECK(vals2.data[0].of.i32 == 7 && wasm_ref_same(vals2.data[1].of.ref, wasm_foreign_as_ref(foreign)));
  wasm_val_vec_delete(&vals);
  wasm_val_vec_delete(&vals2);

  wasm_foreign_delete(foreign);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}

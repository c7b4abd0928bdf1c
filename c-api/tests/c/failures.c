// Every failure path returns NULL/false (or a trap) without crashing.
#include "check.h"

static wasm_trap_t* nop(const wasm_val_vec_t* args, wasm_val_vec_t* results) { return NULL; }

static wasm_trap_t* wrong_result(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  results->data[0].kind = WASM_F64;
  results->data[0].of.f64 = 1.5;
  return NULL;
}

static void print_instance_failure(wasm_store_t* store, wasm_module_t* module,
                                   wasm_extern_t** externs, size_t n) {
  wasm_extern_vec_t imports = {n, externs};
  wasm_trap_t* trap = NULL;
  CHECK(wasm_instance_new(store, module, &imports, &trap) == NULL);
  print_trap(trap);
  // Without a trap pointer too.
  CHECK(wasm_instance_new(store, module, &imports, NULL) == NULL);
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);

  // Invalid modules.
  wasm_byte_vec_t junk;
  wasm_byte_vec_new(&junk, 8, "\0asm\2\0\0\0");
  CHECK(!wasm_module_validate(store, &junk));
  CHECK(wasm_module_new(store, &junk) == NULL);
  wasm_byte_vec_delete(&junk);
  wasm_byte_vec_t empty = WASM_EMPTY_VEC;
  CHECK(!wasm_module_validate(store, &empty));
  CHECK(wasm_module_new(store, &empty) == NULL);
  // Text is not the binary format.
  wasm_byte_vec_t text;
  wasm_name_new_from_string(&text, "(module)");
  CHECK(!wasm_module_validate(store, &text));
  CHECK(wasm_module_new(store, &text) == NULL);
  // Nor is it an artifact.
  CHECK(wasm_module_deserialize(store, &text) == NULL);
  wasm_byte_vec_delete(&text);
  printf("invalid modules: NULL\n");

  // Damaged artifact.
  wasm_module_t* module = wat_module(store,
    "(module (import \"\" \"f\" (func (param i32))) (import \"\" \"g\" (global i32))"
    "  (func (export \"run\") (param i32) (result i32) (local.get 0)))");
  wasm_byte_vec_t artifact;
  wasm_module_serialize(module, &artifact);
  CHECK(artifact.size > 0);
  artifact.data[artifact.size / 2] ^= 1;
  CHECK(wasm_module_deserialize(store, &artifact) == NULL);
  wasm_byte_vec_delete(&artifact);
  printf("damaged artifact: NULL\n");

  // Imports: wrong count, wrong kind, wrong function type, other store.
  wasm_functype_t* ft = wasm_functype_new_1_0(wasm_valtype_new_i32());
  wasm_func_t* good_f = wasm_func_new(store, ft, nop);
  wasm_functype_delete(ft);
  ft = wasm_functype_new_0_0();
  wasm_func_t* bad_f = wasm_func_new(store, ft, nop);
  wasm_functype_delete(ft);
  wasm_globaltype_t* gt = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_CONST);
  wasm_val_t one = WASM_I32_VAL(1);
  wasm_global_t* g = wasm_global_new(store, gt, &one);
  wasm_globaltype_t* gt64 = wasm_globaltype_new(wasm_valtype_new_i64(), WASM_CONST);
  wasm_val_t one64 = WASM_I64_VAL(1);
  wasm_global_t* g64 = wasm_global_new(store, gt64, &one64);
  wasm_globaltype_delete(gt64);
  CHECK(g != NULL && g64 != NULL);

  wasm_extern_t* too_few[] = {wasm_func_as_extern(good_f)};
  print_instance_failure(store, module, too_few, 1);
  wasm_extern_t* swapped[] = {wasm_global_as_extern(g), wasm_func_as_extern(good_f)};
  print_instance_failure(store, module, swapped, 2);
  wasm_extern_t* bad_sig[] = {wasm_func_as_extern(bad_f), wasm_global_as_extern(g)};
  print_instance_failure(store, module, bad_sig, 2);
  wasm_extern_t* bad_global[] = {wasm_func_as_extern(good_f), wasm_global_as_extern(g64)};
  print_instance_failure(store, module, bad_global, 2);
  wasm_extern_t* with_null[] = {wasm_func_as_extern(good_f), NULL};
  print_instance_failure(store, module, with_null, 2);

  wasm_store_t* store2 = wasm_store_new(engine);
  wasm_global_t* g_other = wasm_global_new(store2, gt, &one);
  wasm_extern_t* other_store[] = {wasm_func_as_extern(good_f), wasm_global_as_extern(g_other)};
  print_instance_failure(store, module, other_store, 2);

  wasm_extern_t* right[] = {wasm_func_as_extern(good_f), wasm_global_as_extern(g)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(right);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  printf("right imports: instance\n");

  // Calls: wrong argument count, kind, result room; a bad host result.
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_func_t* run = export_func(&exports, 0);
  wasm_val_t args[2] = {WASM_I32_VAL(1), WASM_I32_VAL(2)};
  wasm_val_t results[2] = {WASM_INIT_VAL, WASM_INIT_VAL};
  wasm_val_vec_t a0 = WASM_EMPTY_VEC, a1 = {1, args}, a2 = {2, args};
  wasm_val_vec_t r0 = WASM_EMPTY_VEC, r1 = {1, results};
  print_trap(wasm_func_call(run, &a0, &r1));
  print_trap(wasm_func_call(run, &a2, &r1));
  // Results beyond the vector are dropped, as upstream's trap.c relies on.
  CHECK(wasm_func_call(run, &a1, &r0) == NULL);
  wasm_val_t f_arg[1] = {WASM_F32_VAL(1)};
  wasm_val_vec_t af = WASM_ARRAY_VEC(f_arg);
  print_trap(wasm_func_call(run, &af, &r1));
  CHECK(wasm_func_call(run, &a1, &r1) == NULL && results[0].of.i32 == 1);

  ft = wasm_functype_new_0_1(wasm_valtype_new_i32());
  wasm_func_t* liar = wasm_func_new(store, ft, wrong_result);
  wasm_functype_delete(ft);
  print_trap(wasm_func_call(liar, &a0, &r1));
  printf("calls: traps\n");

  // Globals: a value of the wrong type; setting a constant or a wrong type.
  CHECK(wasm_global_new(store, gt, &one64) == NULL);
  wasm_val_t two = WASM_I32_VAL(2), v;
  wasm_global_set(g, &two);
  wasm_global_get(g, &v);
  CHECK(v.kind == WASM_I32 && v.of.i32 == 1);
  wasm_globaltype_t* vt = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_VAR);
  wasm_global_t* var = wasm_global_new(store, vt, &one);
  wasm_globaltype_delete(vt);
  wasm_global_set(var, &one64);
  wasm_global_get(var, &v);
  CHECK(v.kind == WASM_I32 && v.of.i32 == 1);
  wasm_global_delete(var);
  printf("globals: unchanged\n");

  // Types that cannot exist.
  CHECK(wasm_valtype_new(7) == NULL);
  CHECK(wasm_globaltype_new(wasm_valtype_new_i32(), 2) == NULL);
  CHECK(wasm_tabletype_new(wasm_valtype_new_i32(), &(wasm_limits_t){0, 1}) == NULL);
  wasm_memorytype_t* mt = wasm_memorytype_new(&(wasm_limits_t){2, 1});
  CHECK(wasm_memory_new(store, mt) == NULL);
  wasm_memorytype_delete(mt);
  mt = wasm_memorytype_new(&(wasm_limits_t){70000, 0xffffffffu});
  CHECK(wasm_memory_new(store, mt) == NULL);
  wasm_memorytype_delete(mt);
  wasm_tabletype_t* tt = wasm_tabletype_new(wasm_valtype_new_funcref(), &(wasm_limits_t){3, 2});
  CHECK(wasm_table_new(store, tt, NULL) == NULL);
  wasm_tabletype_delete(tt);
  // A funcref table initialised with another store's function.
  tt = wasm_tabletype_new(wasm_valtype_new_funcref(), &(wasm_limits_t){1, 2});
  ft = wasm_functype_new_0_0();
  wasm_func_t* f2 = wasm_func_new(store2, ft, nop);
  wasm_functype_delete(ft);
  CHECK(wasm_table_new(store, tt, wasm_func_as_ref(f2)) == NULL);
  wasm_table_t* table = wasm_table_new(store, tt, NULL);
  CHECK(table != NULL);
  CHECK(!wasm_table_set(table, 0, wasm_func_as_ref(f2)));
  CHECK(!wasm_table_grow(table, 1, wasm_func_as_ref(f2)));
  CHECK(wasm_table_size(table) == 1);
  wasm_tabletype_delete(tt);
  wasm_table_delete(table);
  wasm_func_delete(f2);
  printf("types: NULL\n");

  // Casts of the wrong kind.
  CHECK(wasm_extern_as_func(wasm_global_as_extern(g)) == NULL);
  CHECK(wasm_extern_as_memory(wasm_global_as_extern(g)) == NULL);
  CHECK(wasm_ref_as_trap(wasm_global_as_ref(g)) == NULL);
  CHECK(wasm_ref_as_instance(wasm_global_as_ref(g)) == NULL);
  CHECK(wasm_ref_as_module(wasm_instance_as_ref(instance)) == NULL);
  wasm_globaltype_t* gtype = wasm_global_type(g);
  CHECK(wasm_externtype_as_functype(wasm_globaltype_as_externtype(gtype)) == NULL);
  CHECK(wasm_externtype_as_globaltype(wasm_globaltype_as_externtype(gtype)) == gtype);
  wasm_globaltype_delete(gtype);
  printf("casts: NULL\n");

  wasm_func_delete(liar);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_global_delete(g_other);
  wasm_store_delete(store2);
  wasm_globaltype_delete(gt);
  wasm_global_delete(g);
  wasm_global_delete(g64);
  wasm_func_delete(good_f);
  wasm_func_delete(bad_f);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}

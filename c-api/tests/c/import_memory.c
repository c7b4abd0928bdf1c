// A memory created in C is imported by a module: each side sees the
// other's writes, and growth from wasm shows in C.
#include "check.h"

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = wat_module(store,
    "(module (import \"env\" \"mem\" (memory 1 4))"
    "  (func (export \"load\") (param i32) (result i32) (i32.load8_u (local.get 0)))"
    "  (func (export \"store\") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))"
    "  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0))))");
  wasm_limits_t limits = {1, 4};
  wasm_memorytype_t* type = wasm_memorytype_new(&limits);
  wasm_memory_t* memory = wasm_memory_new(store, type);
  wasm_memorytype_delete(type);
  CHECK(memory != NULL);

  wasm_importtype_vec_t import_types;
  wasm_module_imports(module, &import_types);
  CHECK(import_types.size == 1);
  const wasm_externtype_t* it = wasm_importtype_type(import_types.data[0]);
  CHECK(wasm_externtype_kind(it) == WASM_EXTERN_MEMORY);
  const wasm_limits_t* l = wasm_memorytype_limits(wasm_externtype_as_memorytype_const(it));
  printf("import %.*s.%.*s: memory %u %u\n",
    (int)wasm_importtype_module(import_types.data[0])->size, wasm_importtype_module(import_types.data[0])->data,
    (int)wasm_importtype_name(import_types.data[0])->size, wasm_importtype_name(import_types.data[0])->data,
    l->min, l->max);
  wasm_importtype_vec_delete(&import_types);

  wasm_extern_t* externs[] = {wasm_memory_as_extern(memory)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);

  wasm_memory_data(memory)[100] = 42;
  wasm_val_t args[2] = {WASM_I32_VAL(100), WASM_I32_VAL(0)};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t a1 = {1, args}, r = WASM_ARRAY_VEC(results);
  CHECK(wasm_func_call(export_func(&exports, 0), &a1, &r) == NULL);
  printf("wasm reads: %d\n", results[0].of.i32);

  args[0].of.i32 = 200;
  args[1].of.i32 = 7;
  wasm_val_vec_t a2 = WASM_ARRAY_VEC(args), none = WASM_EMPTY_VEC;
  CHECK(wasm_func_call(export_func(&exports, 1), &a2, &none) == NULL);
  printf("C reads: %d\n", wasm_memory_data(memory)[200]);

  wasm_val_t delta[1] = {WASM_I32_VAL(2)};
  wasm_val_vec_t a3 = WASM_ARRAY_VEC(delta);
  CHECK(wasm_func_call(export_func(&exports, 2), &a3, &r) == NULL);
  printf("grow from wasm: %d -> %u pages, %zu bytes\n", results[0].of.i32,
    wasm_memory_size(memory), wasm_memory_data_size(memory));
  CHECK(wasm_memory_data(memory)[200] == 7);
  CHECK(!wasm_memory_grow(memory, 2));
  CHECK(wasm_memory_grow(memory, 1));
  CHECK(wasm_memory_size(memory) == 4);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_memory_delete(memory);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}

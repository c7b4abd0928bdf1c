// wasm_module_share / wasm_module_obtain: a module compiled on one thread
// is instantiated and run in a store of another; a store of another
// engine cannot obtain it.
#include <pthread.h>
#include "check.h"

static wasm_engine_t* engine;

static void* worker(void* arg) {
  wasm_shared_module_t* shared = arg;
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = wasm_module_obtain(store, shared);
  CHECK(module != NULL);
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_val_t args[1] = {WASM_I32_VAL(20)};
  wasm_val_t results[1] = {WASM_INIT_VAL};
  wasm_val_vec_t a = WASM_ARRAY_VEC(args), r = WASM_ARRAY_VEC(results);
  CHECK(wasm_func_call(export_func(&exports, 0), &a, &r) == NULL);
  CHECK(results[0].kind == WASM_I32);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  return (void*)(intptr_t)results[0].of.i32;
}

int main(void) {
  engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = wat_module(store,
    "(module (func (export \"double\") (param i32) (result i32)"
    "  (i32.mul (local.get 0) (i32.const 2))))");
  wasm_shared_module_t* shared = wasm_module_share(module);
  CHECK(shared != NULL);
  wasm_module_delete(module);

  pthread_t threads[2];
  for (int i = 0; i < 2; i++) CHECK(pthread_create(&threads[i], NULL, worker, shared) == 0);
  for (int i = 0; i < 2; i++) {
    void* result;
    CHECK(pthread_join(threads[i], &result) == 0);
    printf("thread %d: %d\n", i, (int)(intptr_t)result);
  }

  // Another engine's store cannot obtain it.
  wasm_engine_t* other = wasm_engine_new();
  wasm_store_t* other_store = wasm_store_new(other);
  CHECK(wasm_module_obtain(other_store, shared) == NULL);
  printf("other engine: NULL\n");
  wasm_store_delete(other_store);
  wasm_engine_delete(other);

  wasm_shared_module_delete(shared);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}

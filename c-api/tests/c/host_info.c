// Host info and finalizers: on foreign objects, modules, traps and store
// objects; replacing host info finalizes the old one; store objects and
// wasm_func_new_with_env's env finalize when the store goes.
#include "check.h"

static int finalized[16];

static void finalize(void* p) { finalized[*(int*)p]++; }

static int ids[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static wasm_trap_t* callback(void* env, const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  return NULL;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);

  // Foreign: host info is the object's; a copy sees it; the finalizer
  // runs when the last reference goes.
  wasm_foreign_t* foreign = wasm_foreign_new(store);
  CHECK(wasm_foreign_get_host_info(foreign) == NULL);
  wasm_foreign_set_host_info_with_finalizer(foreign, &ids[1], finalize);
  wasm_foreign_t* copy = wasm_foreign_copy(foreign);
  CHECK(wasm_foreign_same(foreign, copy));
  CHECK(wasm_foreign_get_host_info(copy) == &ids[1]);
  // Replacing finalizes the old info.
  wasm_foreign_set_host_info_with_finalizer(copy, &ids[2], finalize);
  CHECK(finalized[1] == 1);
  CHECK(wasm_foreign_get_host_info(foreign) == &ids[2]);
  wasm_foreign_delete(foreign);
  CHECK(finalized[2] == 0);
  wasm_foreign_delete(copy);
  CHECK(finalized[2] == 1);
  printf("foreign: ok\n");

  // A second foreign object is another object.
  wasm_foreign_t* a = wasm_foreign_new(store);
  wasm_foreign_t* b = wasm_foreign_new(store);
  CHECK(!wasm_foreign_same(a, b));
  wasm_foreign_set_host_info(a, &ids[3]);
  CHECK(wasm_foreign_get_host_info(b) == NULL);
  // Seen as a generic reference, the same object and info.
  wasm_ref_t* ra = wasm_foreign_as_ref(a);
  CHECK(wasm_ref_get_host_info(ra) == &ids[3]);
  CHECK(wasm_ref_as_foreign(ra) == a);
  CHECK(wasm_ref_as_func(ra) == NULL);
  wasm_foreign_delete(a);
  wasm_foreign_delete(b);
  printf("references: ok\n");

  // Modules and traps.
  wasm_module_t* module = wat_module(store, "(module (func (export \"f\")))");
  wasm_module_set_host_info_with_finalizer(module, &ids[4], finalize);
  wasm_module_t* module2 = wasm_module_copy(module);
  CHECK(wasm_module_get_host_info(module2) == &ids[4]);
  wasm_module_delete(module);
  CHECK(finalized[4] == 0);
  wasm_name_t message;
  wasm_name_new_from_string_nt(&message, "boom");
  wasm_trap_t* trap = wasm_trap_new(store, &message);
  wasm_name_delete(&message);
  wasm_trap_set_host_info_with_finalizer(trap, &ids[5], finalize);
  CHECK(wasm_trap_get_host_info(trap) == &ids[5]);
  wasm_trap_delete(trap);
  CHECK(finalized[5] == 1);
  printf("module and trap: ok\n");

  // Store objects: the info is the object's, whichever reference set it;
  // the finalizer runs with the store.
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module2, &imports, NULL);
  CHECK(instance != NULL);
  wasm_module_delete(module2);
  CHECK(finalized[4] == 1);
  wasm_instance_set_host_info_with_finalizer(instance, &ids[6], finalize);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_func_t* f = export_func(&exports, 0);
  wasm_func_set_host_info_with_finalizer(f, &ids[7], finalize);
  wasm_extern_vec_t exports2;
  wasm_instance_exports(instance, &exports2);
  CHECK(wasm_func_same(f, export_func(&exports2, 0)));
  CHECK(wasm_func_get_host_info(export_func(&exports2, 0)) == &ids[7]);
  CHECK(wasm_extern_get_host_info(exports2.data[0]) == &ids[7]);
  wasm_extern_vec_delete(&exports);
  wasm_extern_vec_delete(&exports2);
  wasm_instance_delete(instance);

  wasm_functype_t* type = wasm_functype_new_0_0();
  wasm_func_t* host = wasm_func_new_with_env(store, type, callback, &ids[8], finalize);
  wasm_functype_delete(type);
  wasm_limits_t limits = {1, 2};
  wasm_memorytype_t* memorytype = wasm_memorytype_new(&limits);
  wasm_memory_t* memory = wasm_memory_new(store, memorytype);
  wasm_memorytype_delete(memorytype);
  wasm_memory_set_host_info_with_finalizer(memory, &ids[9], finalize);
  wasm_globaltype_t* globaltype = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_VAR);
  wasm_val_t zero = WASM_I32_VAL(0);
  wasm_global_t* global = wasm_global_new(store, globaltype, &zero);
  wasm_globaltype_delete(globaltype);
  wasm_global_set_host_info(global, &ids[10]);
  CHECK(wasm_global_get_host_info(global) == &ids[10]);
  wasm_func_delete(host);
  wasm_memory_delete(memory);
  wasm_global_delete(global);
  CHECK(finalized[6] == 0 && finalized[7] == 0 && finalized[8] == 0 && finalized[9] == 0);
  wasm_store_delete(store);
  CHECK(finalized[6] == 1 && finalized[7] == 1 && finalized[8] == 1 && finalized[9] == 1);
  printf("store objects: ok\n");

  wasm_engine_delete(engine);
  return 0;
}

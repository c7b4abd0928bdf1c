// kiln.h: wat2wasm and its errors, fuel and the opt level on a config,
// WASI preview1 (arguments, environment, inherited stdout, preopened
// directories, proc_exit) linked into an instance's imports.
#include "check.h"

static void print_error(kiln_error_t* error) {
  CHECK(error != NULL);
  wasm_name_t message;
  kiln_error_message(error, &message);
  CHECK(message.size > 0 && message.data[message.size - 1] == '\0');
  // The first line only: wat's messages go on with a source snippet.
  printf("error: %.*s\n", (int)strcspn(message.data, "\n"), message.data);
  wasm_byte_vec_delete(&message);
  kiln_error_delete(error);
}

static wasm_val_vec_t none = WASM_EMPTY_VEC;

static wasm_trap_t* report_errno(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  printf("path_open errno: %d\n", args->data[0].of.i32);
  fflush(stdout);
  return NULL;
}

int main(void) {
  // wat2wasm.
  wasm_byte_vec_t binary;
  CHECK(kiln_wat2wasm("(module)", 8, &binary) == NULL);
  printf("wat2wasm: %zu bytes\n", binary.size);
  wasm_byte_vec_delete(&binary);
  print_error(kiln_wat2wasm("(module (func (result i32)))x", 29, &binary));
  CHECK(binary.size == 0);

  // Fuel and opt level.
  wasm_config_t* config = wasm_config_new();
  kiln_config_consume_fuel_set(config, true);
  CHECK(kiln_config_cranelift_opt_level_set(config, KILN_OPT_LEVEL_NONE));
  CHECK(!kiln_config_cranelift_opt_level_set(config, 9));
  wasm_engine_t* engine = wasm_engine_new_with_config(config);
  CHECK(engine != NULL);
  wasm_store_t* store = wasm_store_new(engine);
  CHECK(kiln_store_set_fuel(store, 10000) == NULL);
  uint64_t fuel = 0;
  CHECK(kiln_store_get_fuel(store, &fuel) == NULL && fuel == 10000);
  wasm_module_t* module = wat_module(store, "(module (func (export \"spin\") (loop (br 0))))");
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  print_trap(wasm_func_call(export_func(&exports, 0), &none, &none));
  CHECK(kiln_store_get_fuel(store, &fuel) == NULL && fuel == 0);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);

  engine = wasm_engine_new();
  store = wasm_store_new(engine);
  print_error(kiln_store_set_fuel(store, 1));
  print_error(kiln_store_get_fuel(store, &fuel));

  // WASI: print the arguments and $GREETING, list nothing else, exit 3.
  module = wat_module(store,
    "(module"
    "  (import \"wasi_snapshot_preview1\" \"fd_write\" (func $fd_write (param i32 i32 i32 i32) (result i32)))"
    "  (import \"wasi_snapshot_preview1\" \"args_sizes_get\" (func $args_sizes_get (param i32 i32) (result i32)))"
    "  (import \"wasi_snapshot_preview1\" \"args_get\" (func $args_get (param i32 i32) (result i32)))"
    "  (import \"wasi_snapshot_preview1\" \"environ_get\" (func $environ_get (param i32 i32) (result i32)))"
    "  (import \"wasi_snapshot_preview1\" \"environ_sizes_get\" (func $environ_sizes_get (param i32 i32) (result i32)))"
    "  (import \"wasi_snapshot_preview1\" \"path_open\" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))"
    "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $proc_exit (param i32)))"
    "  (import \"env\" \"report\" (func $report (param i32)))"
    "  (memory (export \"memory\") 1)"
    "  (data (i32.const 900) \"data.txt\")"
    // write the NUL-terminated string at $p, then a newline
    "  (func $puts (param $p i32) (local $n i32)"
    "    (block $done (loop $l"
    "      (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))"
    "      (local.set $n (i32.add (local.get $n) (i32.const 1))) (br $l)))"
    "    (i32.store8 (i32.add (local.get $p) (local.get $n)) (i32.const 10))"
    "    (i32.store (i32.const 0) (local.get $p))"
    "    (i32.store (i32.const 4) (i32.add (local.get $n) (i32.const 1)))"
    "    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))"
    "  (func (export \"_start\") (local $i i32)"
    "    (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))"
    "    (drop (call $args_get (i32.const 100) (i32.const 200)))"
    "    (block $done (loop $l"
    "      (br_if $done (i32.ge_u (local.get $i) (i32.load (i32.const 16))))"
    "      (call $puts (i32.load (i32.add (i32.const 100) (i32.shl (local.get $i) (i32.const 2)))))"
    "      (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))"
    "    (drop (call $environ_sizes_get (i32.const 16) (i32.const 20)))"
    "    (drop (call $environ_get (i32.const 400) (i32.const 500)))"
    "    (call $puts (i32.load (i32.const 400)))"
    // open data.txt in the preopen (fd 3): report the errno
    "    (call $report (call $path_open (i32.const 3) (i32.const 0) (i32.const 900) (i32.const 8)"
    "      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 24)))"
    "    (call $proc_exit (i32.const 3))))");

  kiln_wasi_config_t* wasi = kiln_wasi_config_new();
  const char* args[] = {"prog", "hello"};
  kiln_wasi_config_set_argv(wasi, 2, args);
  const char* names[] = {"GREETING"};
  const char* values[] = {"hi there"};
  kiln_wasi_config_set_env(wasi, 1, names, values);
  kiln_wasi_config_inherit_stdout(wasi);
  CHECK(!kiln_wasi_config_preopen_dir(wasi, "/nonexistent/kiln-c-api", "."));
  FILE* data = fopen("data.txt", "w");
  CHECK(data != NULL);
  fclose(data);
  CHECK(kiln_wasi_config_preopen_dir(wasi, ".", "."));
  CHECK(kiln_store_set_wasi(store, wasi) == NULL);

  // The non-WASI import is missing: an error.
  wasm_instance_t* wasi_instance = NULL;
  wasm_trap_t* trap = NULL;
  print_error(kiln_instance_new_with_wasi(store, module, NULL, &wasi_instance, &trap));
  CHECK(wasi_instance == NULL && trap == NULL);

  wasm_functype_t* report_type = wasm_functype_new_1_0(wasm_valtype_new_i32());
  wasm_func_t* report = wasm_func_new(store, report_type, report_errno);
  wasm_functype_delete(report_type);
  wasm_extern_t* externs[] = {wasm_func_as_extern(report)};
  wasm_extern_vec_t wasi_imports = WASM_ARRAY_VEC(externs);
  CHECK(kiln_instance_new_with_wasi(store, module, &wasi_imports, &wasi_instance, &trap) == NULL);
  CHECK(wasi_instance != NULL && trap == NULL);
  wasm_instance_exports(wasi_instance, &exports);
  fflush(stdout);  // the guest writes to the same descriptor
  trap = wasm_func_call(export_func(&exports, 1), &none, &none);
  CHECK(trap != NULL);
  int status = -1;
  CHECK(kiln_trap_exit_status(trap, &status));
  printf("exit status: %d\n", status);
  wasm_trap_delete(trap);

  // A trap that is no exit has no status.
  wasm_name_t message;
  wasm_name_new_from_string_nt(&message, "not an exit");
  trap = wasm_trap_new(store, &message);
  wasm_name_delete(&message);
  CHECK(!kiln_trap_exit_status(trap, &status));
  wasm_trap_delete(trap);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(wasi_instance);
  wasm_func_delete(report);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return 0;
}

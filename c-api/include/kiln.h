// Kiln's additions to the WebAssembly C API (wasm.h).
//
// Include after (or instead of) wasm.h, which is WebAssembly/wasm-c-api's
// include/wasm.h. Link with `-lkiln_c_api -lpthread -ldl -lm`.
//
// Where Kiln departs from what wasm.h can say:
//
// - Frames: wasm_frame_module_offset is the offset of the frame's
//   instruction in the module's bytes (the trapping instruction, or the
//   call in an outer frame), wasm_frame_func_offset the same from the start
//   of the function's body; both SIZE_MAX for a frame without one (a trap
//   in a function's prologue: stack overflow, fuel, epoch), as wasmtime's.
//   wasm_frame_instance returns NULL: Kiln's stack walk reads return
//   addresses only, and a frame's instance (its vmctx) is in no place in
//   the frame that a walk can read. A trap a host callback returns gets
//   the wasm frames under the callback appended to its trace on the way
//   out of wasm_func_call.
// - wasm_module_new and wasm_module_validate take the binary format only
//   (kiln_wat2wasm converts text).
// - wasm_module_serialize writes a Kiln artifact (native code);
//   wasm_module_deserialize loads one without compiling and, like
//   wasmtime's, trusts it: pass it only bytes wasm_module_serialize made
//   (damaged or incompatible artifacts are refused with NULL).
// - Host info and wasm_func_new_with_env's finalizer: store objects
//   (functions, globals, tables, memories, instances) live as long as
//   their store, so their finalizers run when the store is freed, i.e.
//   when it and every reference to its objects have been deleted.
//   Modules, traps and foreign objects finalize when their last reference
//   is deleted. Setting host info again finalizes the previous one.
// - wasm_func_call reports a wrong argument count or type as a trap with
//   a message saying so; results that do not fit the results vector are
//   dropped (wasm-c-api's own trap.c passes an empty one).
// - wasm_table_type and wasm_memory_type report the current size as the
//   minimum, as wasm_extern_type does.
//   wasm_instance_new sets *trap for every failure (a start function's
//   trap, or a link error as a trap with its message).
// - wasm_global_set leaves the global unchanged on a value of the wrong
//   type or an immutable global.
// - wasm_*_vec_new_uninitialized gives an empty vector when the size
//   cannot be allocated.
// - Tables and memories with 64-bit limits report them saturated to
//   32 bits.

#ifndef KILN_H
#define KILN_H

#include "wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

// The value kind of a v128 (SIMD) value in reflected types. wasm_val_t
// cannot hold one: wasm_func_call refuses v128 arguments (a trap), and a
// v128 result or global reads as kind KILN_V128 with its low 64 bits in
// of.i64.
#define KILN_V128 4

// Errors

typedef struct kiln_error_t kiln_error_t;

WASM_API_EXTERN void kiln_error_delete(kiln_error_t*);
// The message, NUL-terminated (the NUL counted in out->size).
WASM_API_EXTERN void kiln_error_message(const kiln_error_t*, wasm_name_t* out);

// Text format

// Converts the WebAssembly text `wat` (`wat_len` bytes) to the binary
// format in *out (empty on error). Returns NULL or an error to delete.
WASM_API_EXTERN kiln_error_t* kiln_wat2wasm(const char* wat, size_t wat_len, wasm_byte_vec_t* out);

// Configuration

// Charge fuel for wasm execution; a store then runs out after the fuel
// kiln_store_set_fuel gave it (a trap "all fuel consumed").
WASM_API_EXTERN void kiln_config_consume_fuel_set(wasm_config_t*, bool enable);

typedef uint8_t kiln_opt_level_t;
enum kiln_opt_level_enum {
  KILN_OPT_LEVEL_NONE,
  KILN_OPT_LEVEL_SPEED,
  KILN_OPT_LEVEL_SPEED_AND_SIZE,
};

// Cranelift's optimisation level; false (no change) for an unknown one.
WASM_API_EXTERN bool kiln_config_cranelift_opt_level_set(wasm_config_t*, kiln_opt_level_t);

// Fuel (an error unless the engine's config consumes fuel)

WASM_API_EXTERN kiln_error_t* kiln_store_set_fuel(wasm_store_t*, uint64_t fuel);
WASM_API_EXTERN kiln_error_t* kiln_store_get_fuel(const wasm_store_t*, uint64_t* fuel);

// WASI preview1

typedef struct kiln_wasi_config_t kiln_wasi_config_t;

WASM_API_EXTERN kiln_wasi_config_t* kiln_wasi_config_new(void);
WASM_API_EXTERN void kiln_wasi_config_delete(kiln_wasi_config_t*);
// The guest's arguments, argv[0] being the program name by convention.
WASM_API_EXTERN void kiln_wasi_config_set_argv(kiln_wasi_config_t*, size_t argc, const char* const argv[]);
// The guest's environment: names[i]=values[i].
WASM_API_EXTERN void kiln_wasi_config_set_env(kiln_wasi_config_t*, size_t envc, const char* const names[], const char* const values[]);
// Give the guest this process's stdin, stdout or stderr (otherwise empty
// input, discarded output).
WASM_API_EXTERN void kiln_wasi_config_inherit_stdin(kiln_wasi_config_t*);
WASM_API_EXTERN void kiln_wasi_config_inherit_stdout(kiln_wasi_config_t*);
WASM_API_EXTERN void kiln_wasi_config_inherit_stderr(kiln_wasi_config_t*);
// The host directory host_path, seen by the guest as guest_path; false if
// host_path is not a directory.
WASM_API_EXTERN bool kiln_wasi_config_preopen_dir(kiln_wasi_config_t*, const char* host_path, const char* guest_path);

// Makes the config (taken, even on error) the store's WASI state.
WASM_API_EXTERN kiln_error_t* kiln_store_set_wasi(wasm_store_t*, kiln_wasi_config_t* config);

// Instantiates `module`, its wasi_snapshot_preview1 imports provided by
// the store's WASI state and its other imports taken in order from
// `imports` (NULL: none). On success sets *instance; if the start
// function traps (proc_exit included) sets *trap; returns an error for
// any other failure.
WASM_API_EXTERN kiln_error_t* kiln_instance_new_with_wasi(
  wasm_store_t*, const wasm_module_t* module, const wasm_extern_vec_t* imports,
  wasm_instance_t** instance, wasm_trap_t** trap);

// Whether the trap is WASI's proc_exit, and its exit status.
WASM_API_EXTERN bool kiln_trap_exit_status(const wasm_trap_t*, int* status);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // KILN_H

// Shared by the C tests: a failed CHECK prints where and exits 1, so the
// Rust harness reports it; wat() compiles a text module with kiln.h.
#ifndef KILN_TEST_CHECK_H
#define KILN_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm.h"
#include "kiln.h"

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      printf("CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);    \
      exit(1);                                                             \
    }                                                                      \
  } while (0)

// A module compiled from WebAssembly text; exits on any error.
static inline wasm_module_t* wat_module(wasm_store_t* store, const char* text) {
  wasm_byte_vec_t binary;
  kiln_error_t* error = kiln_wat2wasm(text, strlen(text), &binary);
  if (error) {
    wasm_name_t message;
    kiln_error_message(error, &message);
    printf("wat2wasm: %s\n", message.data);
    exit(1);
  }
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  CHECK(module != NULL);
  return module;
}

// The message of a trap, printed as "trap: MESSAGE", and the trap deleted.
static inline void print_trap(wasm_trap_t* trap) {
  CHECK(trap != NULL);
  wasm_message_t message;
  wasm_trap_message(trap, &message);
  CHECK(message.size > 0 && message.data[message.size - 1] == '\0');
  printf("trap: %s\n", message.data);
  wasm_byte_vec_delete(&message);
  wasm_trap_delete(trap);
}

// The first export of an instance's exports, as a function.
static inline wasm_func_t* export_func(const wasm_extern_vec_t* exports, size_t i) {
  CHECK(i < exports->size);
  wasm_func_t* f = wasm_extern_as_func(exports->data[i]);
  CHECK(f != NULL);
  return f;
}

#endif

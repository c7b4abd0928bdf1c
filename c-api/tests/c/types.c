// Type constructors, accessors, copies and vectors of every element kind
// (the examples reach only a few); with valgrind, their ownership.
#include "check.h"

int main(void) {
  // Value types and vectors of them.
  wasm_valtype_t* kinds[] = {wasm_valtype_new_i32(), wasm_valtype_new_i64(), wasm_valtype_new_f32(),
                             wasm_valtype_new_f64(), wasm_valtype_new_externref(), wasm_valtype_new_funcref()};
  wasm_valtype_vec_t params, results, copy;
  wasm_valtype_vec_new(&params, 6, kinds);
  wasm_valtype_vec_copy(&copy, &params);
  wasm_valtype_vec_new_uninitialized(&results, 2);
  CHECK(results.size == 2 && results.data[0] == NULL);
  results.data[0] = wasm_valtype_new(KILN_V128);
  results.data[1] = wasm_valtype_copy(copy.data[3]);
  wasm_functype_t* ft = wasm_functype_new(&params, &results);
  const wasm_valtype_vec_t* p = wasm_functype_params(ft);
  const wasm_valtype_vec_t* r = wasm_functype_results(ft);
  printf("params:");
  for (size_t i = 0; i < p->size; i++) printf(" %d", wasm_valtype_kind(p->data[i]));
  printf("\nresults:");
  for (size_t i = 0; i < r->size; i++) printf(" %d", wasm_valtype_kind(r->data[i]));
  printf("\n");
  CHECK(wasm_valtype_is_ref(p->data[4]) && wasm_valtype_is_num(p->data[0]));
  wasm_valtype_vec_delete(&copy);
  wasm_valtype_vec_t empty;
  wasm_valtype_vec_new_empty(&empty);
  CHECK(empty.size == 0);
  wasm_valtype_vec_delete(&empty);

  // Extern types: casts are the same object; copies are deep.
  wasm_externtype_t* et = wasm_functype_as_externtype(ft);
  CHECK(wasm_externtype_kind(et) == WASM_EXTERN_FUNC);
  CHECK(wasm_externtype_as_functype(et) == ft && wasm_externtype_as_functype_const(et) == ft);
  CHECK(wasm_externtype_as_tabletype(et) == NULL && wasm_externtype_as_memorytype_const(et) == NULL);
  wasm_externtype_t* et2 = wasm_externtype_copy(et);
  CHECK(wasm_functype_params(wasm_externtype_as_functype(et2))->size == 6);

  wasm_globaltype_t* gt = wasm_globaltype_new(wasm_valtype_new_f64(), WASM_VAR);
  CHECK(wasm_valtype_kind(wasm_globaltype_content(gt)) == WASM_F64);
  CHECK(wasm_globaltype_mutability(gt) == WASM_VAR);
  CHECK(wasm_externtype_kind(wasm_globaltype_as_externtype_const(gt)) == WASM_EXTERN_GLOBAL);
  wasm_limits_t limits = {1, wasm_limits_max_default};
  wasm_tabletype_t* tt = wasm_tabletype_new(wasm_valtype_new_externref(), &limits);
  CHECK(wasm_tabletype_limits(tt)->max == wasm_limits_max_default);
  CHECK(wasm_externtype_kind(wasm_tabletype_as_externtype(tt)) == WASM_EXTERN_TABLE);
  wasm_memorytype_t* mt = wasm_memorytype_new(&limits);
  CHECK(wasm_memorytype_limits(mt)->min == 1);
  CHECK(wasm_externtype_as_memorytype_const(wasm_memorytype_as_externtype_const(mt)) == mt);

  // Vectors of each type kind.
  wasm_globaltype_t* gts[] = {wasm_globaltype_copy(gt)};
  wasm_globaltype_vec_t gv, gv2;
  wasm_globaltype_vec_new(&gv, 1, gts);
  wasm_globaltype_vec_copy(&gv2, &gv);
  wasm_globaltype_vec_delete(&gv);
  wasm_globaltype_vec_delete(&gv2);
  wasm_tabletype_t* tts[] = {wasm_tabletype_copy(tt)};
  wasm_tabletype_vec_t tv;
  wasm_tabletype_vec_new(&tv, 1, tts);
  wasm_tabletype_vec_delete(&tv);
  wasm_memorytype_t* mts[] = {wasm_memorytype_copy(mt)};
  wasm_memorytype_vec_t mv;
  wasm_memorytype_vec_new(&mv, 1, mts);
  wasm_memorytype_vec_delete(&mv);
  wasm_functype_t* fts[] = {wasm_functype_copy(ft)};
  wasm_functype_vec_t fv;
  wasm_functype_vec_new(&fv, 1, fts);
  wasm_functype_vec_delete(&fv);
  wasm_externtype_t* ets[] = {et2};
  wasm_externtype_vec_t ev;
  wasm_externtype_vec_new(&ev, 1, ets);
  wasm_externtype_vec_delete(&ev);

  // Import and export types take their names and type.
  wasm_name_t module, name, name2;
  wasm_name_new_from_string(&module, "env");
  wasm_name_new_from_string(&name, "g");
  wasm_importtype_t* it = wasm_importtype_new(&module, &name, wasm_globaltype_as_externtype(gt));
  CHECK(wasm_importtype_module(it)->size == 3 && memcmp(wasm_importtype_name(it)->data, "g", 1) == 0);
  CHECK(wasm_externtype_kind(wasm_importtype_type(it)) == WASM_EXTERN_GLOBAL);
  wasm_importtype_t* its[] = {wasm_importtype_copy(it)};
  wasm_importtype_vec_t iv;
  wasm_importtype_vec_new(&iv, 1, its);
  wasm_importtype_vec_delete(&iv);
  wasm_importtype_delete(it);
  wasm_name_new_from_string(&name2, "t");
  wasm_exporttype_t* xt = wasm_exporttype_new(&name2, wasm_tabletype_as_externtype(tt));
  CHECK(wasm_exporttype_name(xt)->size == 1);
  CHECK(wasm_externtype_kind(wasm_exporttype_type(xt)) == WASM_EXTERN_TABLE);
  wasm_exporttype_t* xts[] = {wasm_exporttype_copy(xt)};
  wasm_exporttype_vec_t xv;
  wasm_exporttype_vec_new(&xv, 1, xts);
  wasm_exporttype_vec_delete(&xv);
  wasm_exporttype_delete(xt);
  printf("import and export types: ok\n");

  // Byte vectors and the other vectors' empty and uninitialised forms.
  wasm_byte_vec_t bytes, bytes2;
  wasm_byte_vec_new(&bytes, 3, "abc");
  wasm_byte_vec_copy(&bytes2, &bytes);
  CHECK(bytes2.size == 3 && memcmp(bytes2.data, "abc", 3) == 0);
  wasm_byte_vec_delete(&bytes);
  wasm_byte_vec_delete(&bytes2);
  wasm_byte_vec_new_uninitialized(&bytes, 16);
  CHECK(bytes.size == 16);
  wasm_byte_vec_delete(&bytes);
  // A size that cannot be allocated gives an empty vector, not an abort.
  wasm_byte_vec_new_uninitialized(&bytes, SIZE_MAX);
  CHECK(bytes.size == 0 && bytes.data == NULL);
  wasm_valtype_vec_new_uninitialized(&empty, SIZE_MAX / 2);
  CHECK(empty.size == 0);
  wasm_val_vec_t vals;
  wasm_val_vec_new_uninitialized(&vals, 3);
  vals.data[0].kind = WASM_I64;
  vals.data[0].of.i64 = 5;
  wasm_val_vec_delete(&vals);
  wasm_extern_vec_t ex;
  wasm_extern_vec_new_uninitialized(&ex, 2);
  CHECK(ex.data[1] == NULL);
  wasm_extern_vec_delete(&ex);
  wasm_frame_vec_t frames;
  wasm_frame_vec_new_empty(&frames);
  wasm_frame_vec_delete(&frames);
  printf("vectors: ok\n");

  wasm_functype_delete(ft);
  wasm_memorytype_delete(mt);
  wasm_config_delete(wasm_config_new());
  return 0;
}

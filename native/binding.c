/*
 * binding.c: the Node-API addon (plain C, node_api.h). It owns no kernels: it picks one of the three
 * kernel tables built from native/abi.c (AVX-512, AVX2+FMA, plain C) by what the processor supports
 * (env HRM_ISA=avx512|avx2|generic forces one) and exposes memory and calls to JS:
 *   alloc(bytes) -> ptr, free(ptr), view(ptr, bytes) -> ArrayBuffer (external, not owned),
 *   args() -> Float64Array (the shared argument buffer), call(id), kernels() -> names in table order,
 *   isa(), setThreads(n), threads() (the most a call uses), setSplitFloor(ns), splitFloor() (the least
 *   estimated work each thread of a split call gets; 0: every call that can split does; kernels/split.h).
 * One JS thread at a time: the argument buffer and the kernels' per-OpenMP-thread scratch are
 * process-wide, so worker_threads must not call kernels concurrently.
 */
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <omp.h>
#include "abi.h"

#define HRM_ARGS 64
static double hrm_args[HRM_ARGS];
static const hrm_kernel *table;
static int (*take_error)(void);
static void (*set_split_floor)(double);
static double (*get_split_floor)(void);
static int table_size;
static const char *isa_name;
static int n_threads = 1;

#define NAPI_CALL(env, call)                                  \
  do {                                                        \
    if ((call) != napi_ok) {                                  \
      napi_throw_error((env), NULL, "hrm_kernels: " #call);   \
      return NULL;                                            \
    }                                                         \
  } while (0)

static double arg_number(napi_env env, napi_callback_info info, size_t want, double *out) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) return -1;
  for (size_t i = 0; i < want; i++)
    if (napi_get_value_double(env, argv[i], &out[i]) != napi_ok) return -1;
  return 0;
}

static napi_value number(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static napi_value js_alloc(napi_env env, napi_callback_info info) {
  double a[1];
  if (arg_number(env, info, 1, a) < 0 || !(a[0] >= 0)) {
    napi_throw_type_error(env, NULL, "alloc(bytes): bytes must be a number >= 0");
    return NULL;
  }
  size_t bytes = ((size_t)a[0] + 63) & ~(size_t)63;
  if (bytes == 0) bytes = 64;
  void *p = aligned_alloc(64, bytes);
  if (!p) {
    napi_throw_range_error(env, NULL, "alloc: out of memory");
    return NULL;
  }
  return number(env, (double)(uintptr_t)p);
}

static napi_value js_free(napi_env env, napi_callback_info info) {
  double a[1];
  if (arg_number(env, info, 1, a) < 0) {
    napi_throw_type_error(env, NULL, "free(ptr): ptr must be a number");
    return NULL;
  }
  free((void *)(uintptr_t)a[0]);
  return NULL;
}

static napi_value js_view(napi_env env, napi_callback_info info) {
  double a[2];
  if (arg_number(env, info, 2, a) < 0) {
    napi_throw_type_error(env, NULL, "view(ptr, bytes): two numbers expected");
    return NULL;
  }
  napi_value ab;
  NAPI_CALL(env, napi_create_external_arraybuffer(env, (void *)(uintptr_t)a[0], (size_t)a[1], NULL, NULL, &ab));
  return ab;
}

static napi_value js_args(napi_env env, napi_callback_info info) {
  napi_value ab, arr;
  NAPI_CALL(env, napi_create_external_arraybuffer(env, hrm_args, sizeof(hrm_args), NULL, NULL, &ab));
  NAPI_CALL(env, napi_create_typedarray(env, napi_float64_array, HRM_ARGS, ab, 0, &arr));
  return arr;
}

static napi_value js_call(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t id = -1;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &id) != napi_ok || id < 0 || id >= table_size) {
    napi_throw_range_error(env, NULL, "call(id): no such kernel");
    return NULL;
  }
  table[id].fn(hrm_args);
  if (take_error()) {
    char msg[160];
    snprintf(msg, sizeof msg, "kernel %s could not run: out of memory for its scratch buffers", table[id].name);
    napi_throw_range_error(env, NULL, msg);
  }
  return NULL;
}

static napi_value js_kernels(napi_env env, napi_callback_info info) {
  napi_value arr;
  NAPI_CALL(env, napi_create_array_with_length(env, (size_t)table_size, &arr));
  for (int i = 0; i < table_size; i++) {
    napi_value s;
    NAPI_CALL(env, napi_create_string_utf8(env, table[i].name, NAPI_AUTO_LENGTH, &s));
    NAPI_CALL(env, napi_set_element(env, arr, (uint32_t)i, s));
  }
  return arr;
}

static napi_value js_isa(napi_env env, napi_callback_info info) {
  napi_value s;
  NAPI_CALL(env, napi_create_string_utf8(env, isa_name, NAPI_AUTO_LENGTH, &s));
  return s;
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  double a[1];
  if (arg_number(env, info, 1, a) < 0 || !(a[0] >= 1)) {
    napi_throw_range_error(env, NULL, "setThreads(n): n must be >= 1");
    return NULL;
  }
  n_threads = (int)a[0];
  omp_set_num_threads(n_threads);
  return NULL;
}

static napi_value js_threads(napi_env env, napi_callback_info info) { return number(env, n_threads); }

static napi_value js_set_split_floor(napi_env env, napi_callback_info info) {
  double a[1];
  if (arg_number(env, info, 1, a) < 0 || !(a[0] >= 0)) {
    napi_throw_range_error(env, NULL, "setSplitFloor(ns): ns must be a number >= 0");
    return NULL;
  }
  set_split_floor(a[0]);
  return NULL;
}

static napi_value js_split_floor(napi_env env, napi_callback_info info) { return number(env, get_split_floor()); }

static int isa_supported(const char *name) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (strcmp(name, "avx512") == 0)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma");
  if (strcmp(name, "avx2") == 0) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return strcmp(name, "generic") == 0;
}

static napi_value init(napi_env env, napi_value exports) {
  const char *want = getenv("HRM_ISA");
  if (want && *want) {
    if (!isa_supported(want)) {
      napi_throw_error(env, NULL, "HRM_ISA must be avx512, avx2 or generic, and supported by this processor");
      return NULL;
    }
    isa_name = strcmp(want, "avx512") == 0 ? "avx512" : strcmp(want, "avx2") == 0 ? "avx2" : "generic";
  } else {
    isa_name = isa_supported("avx512") ? "avx512" : isa_supported("avx2") ? "avx2" : "generic";
  }
  table = strcmp(isa_name, "avx512") == 0 ? hrm_table_avx512
          : strcmp(isa_name, "avx2") == 0 ? hrm_table_avx2
                                          : hrm_table_generic;
  take_error = strcmp(isa_name, "avx512") == 0 ? hrm_take_error_avx512
               : strcmp(isa_name, "avx2") == 0 ? hrm_take_error_avx2
                                               : hrm_take_error_generic;
  set_split_floor = strcmp(isa_name, "avx512") == 0 ? hrm_set_split_floor_avx512
                    : strcmp(isa_name, "avx2") == 0 ? hrm_set_split_floor_avx2
                                                    : hrm_set_split_floor_generic;
  get_split_floor = strcmp(isa_name, "avx512") == 0 ? hrm_split_floor_avx512
                    : strcmp(isa_name, "avx2") == 0 ? hrm_split_floor_avx2
                                                    : hrm_split_floor_generic;
  for (table_size = 0; table[table_size].name; table_size++) {
  }
  n_threads = omp_get_max_threads();
  napi_property_descriptor props[] = {
      {"alloc", NULL, js_alloc, NULL, NULL, NULL, napi_default, NULL},
      {"free", NULL, js_free, NULL, NULL, NULL, napi_default, NULL},
      {"view", NULL, js_view, NULL, NULL, NULL, napi_default, NULL},
      {"args", NULL, js_args, NULL, NULL, NULL, napi_default, NULL},
      {"call", NULL, js_call, NULL, NULL, NULL, napi_default, NULL},
      {"kernels", NULL, js_kernels, NULL, NULL, NULL, napi_default, NULL},
      {"isa", NULL, js_isa, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, js_threads, NULL, NULL, NULL, napi_default, NULL},
      {"setSplitFloor", NULL, js_set_split_floor, NULL, NULL, NULL, napi_default, NULL},
      {"splitFloor", NULL, js_split_floor, NULL, NULL, NULL, napi_default, NULL},
  };
  NAPI_CALL(env, napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

/* abi.h: the kernel tables native/abi.c exports, one per instruction set (see binding.gyp). */
#ifndef HRM_ABI_H
#define HRM_ABI_H

typedef struct {
  const char *name; /* 0 ends the table */
  void (*fn)(const double *args);
} hrm_kernel;

extern const hrm_kernel hrm_table_avx512[];
extern const hrm_kernel hrm_table_avx2[];
extern const hrm_kernel hrm_table_generic[];

/* 1 when the last kernel could not run (scratch memory short); clears the flag */
int hrm_take_error_avx512(void);
int hrm_take_error_avx2(void);
int hrm_take_error_generic(void);

/* the least work (estimated ns) each thread of a split kernel call gets (kernels/split.h) */
void hrm_set_split_floor_avx512(double ns);
void hrm_set_split_floor_avx2(double ns);
void hrm_set_split_floor_generic(double ns);
double hrm_split_floor_avx512(void);
double hrm_split_floor_avx2(void);
double hrm_split_floor_generic(void);

#endif

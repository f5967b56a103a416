# The native addon: native/abi.c (all kernels, one unity translation unit) compiled three times with
# different instruction sets, and native/binding.c (baseline flags) that picks one table at load.
# Off x86-64 the three are built alike and binding.c always picks the generic one.
{
  "target_defaults": {
    "cflags": ["-O3", "-fPIC", "-fopenmp", "-fno-math-errno", "-Wno-unused-function", "-Wno-psabi",
               "-Wno-unknown-pragmas"],
    "cflags!": ["-O2", "-O0"],
    "ldflags": ["-fopenmp"]
  },
  "targets": [
    {
      "target_name": "hrm_abi_avx512",
      "type": "static_library",
      "sources": ["native/abi.c"],
      "defines": ["HRM_ISA_NAME=avx512"],
      "conditions": [["target_arch=='x64'", {
        "cflags": ["-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mfma", "-mavx2"]
      }]]
    },
    {
      "target_name": "hrm_abi_avx2",
      "type": "static_library",
      "sources": ["native/abi.c"],
      "defines": ["HRM_ISA_NAME=avx2"],
      "conditions": [["target_arch=='x64'", {"cflags": ["-mavx2", "-mfma"]}]]
    },
    {
      "target_name": "hrm_abi_generic",
      "type": "static_library",
      "sources": ["native/abi.c"],
      "defines": ["HRM_ISA_NAME=generic"]
    },
    {
      "target_name": "hrm_kernels",
      "sources": ["native/binding.c"],
      "dependencies": ["hrm_abi_avx512", "hrm_abi_avx2", "hrm_abi_generic"],
      "libraries": ["-fopenmp"]
    }
  ]
}

{
  "variables": {
    "openblas_include%": "<!(node scripts/find-openblas.mjs include)",
    "openblas_lib%": "<!(node scripts/find-openblas.mjs lib)"
  },
  "targets": [
    {
      "target_name": "rnnkit_native",
      "sources": [
        "native/addon.cc",
        "native/addon-args.cc",
        "native/addon-attention.cc",
        "native/addon-decode.cc",
        "native/addon-elementwise.cc",
        "native/addon-gemm.cc",
        "native/addon-optimizer.cc",
        "native/addon-recurrent.cc",
        "native/attention.cc",
        "native/decode.cc",
        "native/elementwise.cc",
        "native/gemm.cc",
        "native/gemm-kernels.cc",
        "native/optimizer.cc",
        "native/recurrent.cc",
        "native/seq2seq-step.cc",
        "native/threadpool.cc",
        "native/top-indices.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      # -fno-math-errno: nothing reads errno, and without it GCC cannot vectorize std::sqrt (optimizer.cc).
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions", "-fno-math-errno"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3"]
      },
      "conditions": [
        ["openblas_include!='' and openblas_lib!=''", {
          "defines": ["RNNKIT_USE_OPENBLAS"],
          "include_dirs": ["<(openblas_include)"],
          "libraries": ["-L<(openblas_lib)", "-lopenblas", "-Wl,-rpath,<(openblas_lib)"]
        }]
      ]
    }
  ]
}

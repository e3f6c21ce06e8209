{
  "targets": [
    {
      "target_name": "tskv",
      "sources": [
        "native/addon.cc",
        "native/crc32c.cc",
        "native/sstable.cc",
        "native/series_chunk.cc",
        "native/series_fold.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-fno-exceptions", "-ffp-contract=off"],
      "cflags_cc!": ["-fno-rtti"],
      "conditions": [
        ["OS==\"linux\"", {
          "sources": ["native/reactor.cc", "native/table.cc"]
        }],
        ["tskv_sanitize==\"true\"", {
          "cflags_cc": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g", "-O1"],
          "ldflags": ["-fsanitize=address,undefined"]
        }]
      ]
    }
  ],
  "variables": {
    "tskv_sanitize%": "false"
  }
}

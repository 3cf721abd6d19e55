{
  "targets": [{
    "target_name": "starry",
    "sources": ["native/addon.cc", "native/tracer.cc", "native/notify.cc", "native/filter.cc", "native/spawn.cc", "native/watch.cc", "native/fdpass.cc", "native/waitmask.cc", "native/siginfo.cc"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=9", "NAPI_DISABLE_CPP_EXCEPTIONS"],
    "cflags_cc": ["-O2", "-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers", "-fstack-protector-strong"],
    "cflags_cc!": ["-fno-exceptions"]
  }, {
    "target_name": "starry-init",
    "type": "executable",
    "sources": ["native/init.c"],
    "cflags": ["-O2", "-Wall", "-Wextra"],
    "ldflags": ["-static"]
  }]
}

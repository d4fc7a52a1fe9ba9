{
  "targets": [
    {
      "target_name": "wxdp_native",
      "sources": ["src/native/hugepages.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [["OS!='linux'", {"sources!": ["src/native/hugepages.c"]}]]
    }
  ]
}

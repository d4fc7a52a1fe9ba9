// Kernel side of tests/elf/configure.test.ts: what a libbpf user does between open and load
// (bpf_map__set_max_entries; the skeleton's writes into .rodata/.data/.bss, here by variable name
// through the object's BTF and bpf_map__initial_value), then BPF_PROG_TEST_RUN on CPU 0 and the maps
// named with -d dumped.
// Built at test time: gcc -O1 -o kernel_config kernel_config.c -lbpf.
// Usage: kernel_config OBJ PROG DATA_IN_HEX REPEAT [-k KCONFIG_FILE] [-e MAP=N]... [-g VAR=HEX]... [-d MAP]...
// (-k: the text for bpf_object_open_opts.kconfig, the values of CONFIG_* __kconfig externs)
// Prints "load ERRNO" when the object does not load, else "retval N", "out HEX", then per dumped map
// one "map NAME KEY_HEX VALUE_HEX" line per entry (bpf_map_get_next_key order).
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap) {
  (void)level; (void)fmt; (void)ap;
  return 0;
}

static size_t unhex(const char *s, unsigned char *out, size_t max) {
  size_t n = 0;
  for (; s[0] && s[1] && n < max; s += 2) {
    unsigned v;
    if (sscanf(s, "%2x", &v) != 1) break;
    out[n++] = (unsigned char)v;
  }
  return n;
}

static void hex(const unsigned char *b, size_t n) {
  for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
}

/** Write `val` over the variable `name` in whichever global data map's DATASEC holds it. */
static int set_global(struct bpf_object *o, const char *name, const unsigned char *val, size_t n) {
  const struct btf *btf = bpf_object__btf(o);
  struct bpf_map *m;
  bpf_object__for_each_map(m, o) {
    if (!bpf_map__is_internal(m)) continue;
    const struct btf_type *ds = btf__type_by_id(btf, bpf_map__btf_value_type_id(m));
    if (!ds || !btf_is_datasec(ds)) continue;
    const struct btf_var_secinfo *vi = btf_var_secinfos(ds);
    for (int i = 0; i < btf_vlen(ds); i++, vi++) {
      const struct btf_type *v = btf__type_by_id(btf, vi->type);
      if (strcmp(btf__name_by_offset(btf, v->name_off), name) != 0) continue;
      if (n != vi->size) { fprintf(stderr, "%s is %u bytes, got %zu\n", name, vi->size, n); return -1; }
      size_t sz;
      unsigned char *data = (unsigned char *)bpf_map__initial_value(m, &sz);
      if (!data) return -1;
      memcpy(data + vi->offset, val, n);
      return 0;
    }
  }
  fprintf(stderr, "no variable %s\n", name);
  return -1;
}

int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: %s OBJ PROG DATA_IN_HEX REPEAT [-e MAP=N]... [-g VAR=HEX]... [-d MAP]...\n", argv[0]); return 2; }
  libbpf_set_print(quiet);
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  if (sched_setaffinity(0, sizeof one, &one)) { perror("sched_setaffinity"); return 1; }
  static char kconfig[65536];
  LIBBPF_OPTS(bpf_object_open_opts, open_opts);
  for (int i = 5; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "-k") != 0) continue;
    FILE *f = fopen(argv[i + 1], "r");
    if (!f) { perror(argv[i + 1]); return 1; }
    kconfig[fread(kconfig, 1, sizeof kconfig - 1, f)] = 0;
    fclose(f);
    open_opts.kconfig = kconfig;
  }
  struct bpf_object *o = bpf_object__open_file(argv[1], &open_opts);
  if (!o) { perror("open"); return 1; }
  static unsigned char buf[4096], out[4096];
  for (int i = 5; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "-k") == 0) continue;
    char *eq = strchr(argv[i + 1], '=');
    if (!eq) return 2;
    *eq = 0;
    if (strcmp(argv[i], "-e") == 0) {
      struct bpf_map *m = bpf_object__find_map_by_name(o, argv[i + 1]);
      if (!m || bpf_map__set_max_entries(m, (unsigned)strtoul(eq + 1, NULL, 0))) { fprintf(stderr, "max_entries %s\n", argv[i + 1]); return 1; }
    } else if (strcmp(argv[i], "-g") == 0) {
      if (set_global(o, argv[i + 1], buf, unhex(eq + 1, buf, sizeof buf))) return 1;
    }
    *eq = '=';
  }
  int err = bpf_object__load(o);
  if (err) { printf("load %d\n", -err); return 0; }
  size_t n = unhex(argv[3], buf, sizeof buf);
  LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = buf, .data_size_in = (unsigned)n, .data_out = out,
              .data_size_out = sizeof out, .repeat = (unsigned)strtoul(argv[4], NULL, 0));
  struct bpf_program *p = bpf_object__find_program_by_name(o, argv[2]);
  if (!p || bpf_prog_test_run_opts(bpf_program__fd(p), &run)) { perror("test_run"); return 1; }
  printf("retval %u\nout ", run.retval);
  hex(out, run.data_size_out);
  printf("\n");
  for (int i = 5; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "-d") != 0) continue;
    struct bpf_map *m = bpf_object__find_map_by_name(o, argv[i + 1]);
    if (!m) { fprintf(stderr, "no map %s\n", argv[i + 1]); return 1; }
    int fd = bpf_map__fd(m);
    unsigned ks = bpf_map__key_size(m), vs = bpf_map__value_size(m);
    unsigned char key[64], next[64], val[4096];
    void *prev = NULL;
    while (bpf_map_get_next_key(fd, prev, next) == 0) {
      memcpy(key, next, ks);
      prev = key;
      if (bpf_map_lookup_elem(fd, key, val)) continue;
      printf("map %s ", argv[i + 1]);
      hex(key, ks);
      printf(" ");
      hex(val, vs);
      printf("\n");
    }
  }
  return 0;
}

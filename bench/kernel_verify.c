// The kernel side of `wxdp bench verifier`: load each program of an object alone (libbpf, as bpftool
// does) with the verifier log at level 4 (BPF_LOG_STATS: statistics only, no per-instruction text, so
// the time is the verifier's own and not the log's), and print one line per program:
//   NAME PROCESSED_INSNS VERIFICATION_USEC accepted|rejected|unverified
// Usage: kernel_verify OBJ [-e MAP=N]... [-s MAP=HEX]... [-k FILE] [-t TYPE]: before each load, MAP's max_entries
// (bpf_map__set_max_entries) and a global data map's whole initial value (bpf_map__set_initial_value),
// as a loader that configures the object sets them; -k: the __kconfig externs' values from FILE's
// CONFIG_NAME=VALUE lines (bpf_object_open_opts.kconfig), else libbpf reads the running kernel's config;
// -t: every program's type and expected attach type as libbpf names TYPE (bpftool prog load … type).
// Built by bench/verifier.ts with `cc -O2 … -lbpf` when a compiler and libbpf-dev are present.
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char log_buf[1 << 20];

// Set when libbpf reports that the kernel refused a program (as opposed to a later step of the load).
static int prog_refused;

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap) {
  (void)level; (void)ap;
  if (strstr(fmt, "load failed") || strstr(fmt, "failed to load program")) prog_refused = 1;
  return 0;
}

/** -e and -s of the command line on a freshly opened object; 0, or -1 naming what failed. */
static int configure(struct bpf_object *obj, int argc, char **argv) {
  static unsigned char value[1 << 20];
  for (int i = 2; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "-k") == 0) continue; // taken at open (main)
    if (strcmp(argv[i], "-t") == 0) {
      enum bpf_prog_type type;
      enum bpf_attach_type attach;
      if (libbpf_prog_type_by_name(argv[i + 1], &type, &attach)) { fprintf(stderr, "no program type %s\n", argv[i + 1]); return -1; }
      struct bpf_program *p;
      bpf_object__for_each_program(p, obj) {
        bpf_program__set_type(p, type);
        bpf_program__set_expected_attach_type(p, attach);
      }
      continue;
    }
    char name[256];
    const char *eq = strchr(argv[i + 1], '=');
    if (!eq || (size_t)(eq - argv[i + 1]) >= sizeof name) return -1;
    memcpy(name, argv[i + 1], eq - argv[i + 1]);
    name[eq - argv[i + 1]] = 0;
    struct bpf_map *m = bpf_object__find_map_by_name(obj, name);
    if (!m) { fprintf(stderr, "no map %s\n", name); return -1; }
    if (strcmp(argv[i], "-e") == 0) {
      if (bpf_map__set_max_entries(m, (unsigned)strtoul(eq + 1, NULL, 0))) return -1;
    } else if (strcmp(argv[i], "-s") == 0) {
      size_t n = 0;
      for (const char *h = eq + 1; h[0] && h[1] && n < sizeof value; h += 2) {
        unsigned v;
        if (sscanf(h, "%2x", &v) != 1) return -1;
        value[n++] = (unsigned char)v;
      }
      if (bpf_map__set_initial_value(m, value, n)) { fprintf(stderr, "initial value of %s\n", name); return -1; }
    } else {
      return -1;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc % 2) {
    fprintf(stderr, "usage: %s OBJ.o [-e MAP=N]... [-s MAP=HEX]... [-k FILE]\n", argv[0]);
    return 2;
  }
  static char kconfig[1 << 20];
  LIBBPF_OPTS(bpf_object_open_opts, open_opts);
  for (int i = 2; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "-k") != 0) continue;
    FILE *f = fopen(argv[i + 1], "r");
    size_t n = f ? fread(kconfig, 1, sizeof kconfig - 1, f) : 0;
    if (!f || ferror(f)) {
      fprintf(stderr, "cannot read %s\n", argv[i + 1]);
      return 1;
    }
    fclose(f);
    kconfig[n] = 0;
    open_opts.kconfig = kconfig;
  }
  libbpf_set_print(quiet);
  struct bpf_object *names = bpf_object__open_file(argv[1], &open_opts);
  if (!names) {
    fprintf(stderr, "cannot open %s\n", argv[1]);
    return 1;
  }
  struct bpf_program *p;
  bpf_object__for_each_program(p, names) {
    // A fresh object per program: each is verified alone, its maps created for it.
    struct bpf_object *obj = bpf_object__open_file(argv[1], &open_opts);
    if (!obj) continue;
    // Maps declared with pinning (LIBBPF_PIN_BY_NAME: xdp-filter's) are not pinned: a measurement
    // leaves nothing in /sys/fs/bpf.
    struct bpf_map *pm;
    bpf_object__for_each_map(pm, obj) bpf_map__set_pin_path(pm, NULL);
    if (configure(obj, argc, argv)) {
      fprintf(stderr, "cannot configure %s\n", argv[1]);
      return 1;
    }
    struct bpf_program *q;
    bpf_object__for_each_program(q, obj) {
      int me = strcmp(bpf_program__name(q), bpf_program__name(p)) == 0;
      bpf_program__set_autoload(q, me);
      if (me) {
        bpf_program__set_log_buf(q, log_buf, sizeof log_buf);
        bpf_program__set_log_level(q, 4);
      }
    }
    log_buf[0] = 0;
    prog_refused = 0;
    // libbpf fills prog_array slots after loading the programs: a slot naming a program not loaded
    // here fails the object although the verifier accepted this one. The verdict is the program's.
    int err = bpf_object__load(obj) && prog_refused;
    unsigned long processed = 0, usec = 0;
    char *s = strstr(log_buf, "processed ");
    if (s) processed = strtoul(s + 10, NULL, 10);
    s = strstr(log_buf, "verification time ");
    if (s) usec = strtoul(s + 18, NULL, 10);
    // The object failed before the verifier saw this program (a ksym libbpf cannot resolve: a kfunc of a
    // module not loaded, such as nf_flow_table's bpf_xdp_flow_lookup): no verdict of the kernel's.
    int unverified = !err && !strstr(log_buf, "processed ");
    printf("%s %lu %lu %s\n", bpf_program__name(p), processed, usec, unverified ? "unverified" : err ? "rejected" : "accepted");
    bpf_object__close(obj);
  }
  bpf_object__close(names);
  return 0;
}

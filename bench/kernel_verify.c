// The kernel side of `wxdp bench verifier`: load each program of an object alone (libbpf, as bpftool
// does) with the verifier log at level 4 (BPF_LOG_STATS: statistics only, no per-instruction text, so
// the time is the verifier's own and not the log's), and print one line per program:
//   NAME PROCESSED_INSNS VERIFICATION_USEC accepted|rejected
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

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s OBJ.o\n", argv[0]);
    return 2;
  }
  libbpf_set_print(quiet);
  struct bpf_object *names = bpf_object__open_file(argv[1], NULL);
  if (!names) {
    fprintf(stderr, "cannot open %s\n", argv[1]);
    return 1;
  }
  struct bpf_program *p;
  bpf_object__for_each_program(p, names) {
    // A fresh object per program: each is verified alone, its maps created for it.
    struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
    if (!obj) continue;
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
    printf("%s %lu %lu %s\n", bpf_program__name(p), processed, usec, err ? "rejected" : "accepted");
    bpf_object__close(obj);
  }
  bpf_object__close(names);
  return 0;
}

// Kernel side of tests/verifier/fuzz_kernel.test.ts: BPF_PROG_LOAD of raw instruction streams (XDP unless -t), one
// per stdin line, without libbpf's object loader (no ELF, no process per program). Line format:
//   HEX_INSNS [HEX_PACKET ...]
// Each ld_imm64 with src = BPF_PSEUDO_MAP_FD (1) names a map by its imm: 0 is an ARRAY (key 4, value
// 16, 4 entries), 1 a HASH (key 8, value 16, 4 entries); both are made anew for every program, empty.
// 2 is an ARRAY like 0 whose value's BTF holds a struct bpf_spin_lock at 4 (struct fz_lock_val: int a,
// lock, b, c), made only for a program that names it (verifier_kernel.ts's LOCK_BTF is the same BTF).
// 3 is an ARRAY of one entry (key 4, value 32: verifier_gen.ts's FUZZ_GLOBAL_MAP), made only for a
// program that names it; an ld_imm64 with src = BPF_PSEUDO_MAP_VALUE (2) names a map the same way.
// Answer, one line per program:
//   accepted: "ok PROCESSED" then, per packet, " RETVAL:HEX_DATA_OUT" (or " err:ERRNO")
//   refused:  "rej ERRNO" then the verifier log (log level 1), '\n' escaped as "\\n". ERRNO is the
//             verdict's: a log that overflowed LOG_SIZE (a walk to the 1,000,000-insn limit) turns any
//             answer into ENOSPC (bpf_check: bpf_vlog_finalize's error wins), so such a program is
//             loaded once more without a log for the errno a caller without one gets.
// Built at test time: gcc -O1 -o verifier_fuzz_loader verifier_fuzz_loader.c -lbpf
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_SIZE (16u << 20)
static char logbuf[LOG_SIZE];
static char line[1 << 22];
static unsigned char pkt[4096], out[4096];

static int hexval(char c) { return c <= '9' ? c - '0' : (c | 32) - 'a' + 10; }
static size_t unhex(const char *s, size_t n, unsigned char *dst) {
  for (size_t i = 0; i + 1 < n; i += 2) dst[i / 2] = hexval(s[i]) << 4 | hexval(s[i + 1]);
  return n / 2;
}

static void print_log(void) {
  for (char *p = logbuf; *p; p++) {
    if (*p == '\n') fputs("\\n", stdout);
    else if (*p == '\\') fputs("\\\\", stdout);
    else putchar(*p);
  }
}

// The BTF of map 2, loaded once: int (1), struct bpf_spin_lock { int val; } (2), struct fz_lock_val (3).
static int lock_btf_fd = -1;
static int lock_map(void) {
  if (lock_btf_fd < 0) {
    struct btf *btf = btf__new_empty();
    int i = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
    int l = btf__add_struct(btf, "bpf_spin_lock", 4);
    btf__add_field(btf, "val", i, 0, 0);
    btf__add_struct(btf, "fz_lock_val", 16);
    btf__add_field(btf, "a", i, 0, 0);
    btf__add_field(btf, "lock", l, 32, 0);
    btf__add_field(btf, "b", i, 64, 0);
    btf__add_field(btf, "c", i, 96, 0);
    if (btf__load_into_kernel(btf)) return -1;
    lock_btf_fd = btf__fd(btf);
  }
  LIBBPF_OPTS(bpf_map_create_opts, o, .btf_fd = lock_btf_fd, .btf_key_type_id = 1, .btf_value_type_id = 3);
  return bpf_map_create(BPF_MAP_TYPE_ARRAY, "fz_lock", 4, 16, 4, &o);
}

// A program that takes a function's address (ld_imm64 src = BPF_PSEUDO_FUNC, a bpf_loop callback) needs
// BTF func_info (check_ld_imm's "missing btf func_info"): every function start (insn 0, the targets of
// bpf-to-bpf calls and of those ld_imm64s) a static `int fN(void)`.
static int func_btf_fd = -1;
static int func_btf_first;
#define MAX_FUNCS 64
static int add_func_info(const struct bpf_insn *insns, size_t n, struct bpf_func_info *fi) {
  unsigned char start[1 << 16] = {0};
  int cnt = 0;
  start[0] = 1;
  for (size_t i = 0; i < n; i++) {
    if (insns[i].code == (BPF_JMP | BPF_CALL) && insns[i].src_reg == BPF_PSEUDO_CALL && i + insns[i].imm + 1 < n) start[i + insns[i].imm + 1] = 1;
    if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) && insns[i].src_reg == BPF_PSEUDO_FUNC && i + insns[i].imm + 1 < n) start[i + insns[i].imm + 1] = 1;
  }
  if (func_btf_fd < 0) {
    struct btf *btf = btf__new_empty();
    int i = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
    int proto = btf__add_func_proto(btf, i);
    char name[8];
    for (int f = 0; f < MAX_FUNCS; f++) {
      snprintf(name, sizeof name, "f%d", f);
      int id = btf__add_func(btf, name, BTF_FUNC_STATIC, proto);
      if (f == 0) func_btf_first = id;
    }
    if (btf__load_into_kernel(btf)) return -1;
    func_btf_fd = btf__fd(btf);
  }
  for (size_t i = 0; i < n && cnt < MAX_FUNCS; i++)
    if (start[i]) fi[cnt].insn_off = i, fi[cnt].type_id = func_btf_first + cnt, cnt++;
  return cnt;
}

int main(int argc, char **argv) {
  static struct bpf_insn insns[1 << 16];
  // -v: log level 2, and the log of an accepted program too, after its runs (" log " and the log, escaped);
  // -t sk_lookup | sk_reuseport: every program of that type (libbpf's section of that name: expected
  // attach type BPF_SK_LOOKUP, BPF_SK_REUSEPORT_SELECT), not run; -t tp_btf/NAME: BPF_PROG_TYPE_TRACING,
  // BPF_TRACE_RAW_TP, attach_btf_id vmlinux's btf_trace_NAME (libbpf's SEC("tp_btf/NAME")), not run; XDP otherwise
  int verbose = 0;
  enum bpf_prog_type type = BPF_PROG_TYPE_XDP;
  enum bpf_attach_type attach = 0;
  int attach_btf_id = 0;
  for (int a = 1; a < argc; a++) {
    if (strcmp(argv[a], "-v") == 0) verbose = 1;
    else if (strcmp(argv[a], "-t") == 0 && a + 1 < argc) {
      const char *t = argv[++a];
      if (strcmp(t, "sk_lookup") == 0) type = BPF_PROG_TYPE_SK_LOOKUP, attach = BPF_SK_LOOKUP;
      else if (strcmp(t, "sk_reuseport") == 0) type = BPF_PROG_TYPE_SK_REUSEPORT, attach = BPF_SK_REUSEPORT_SELECT;
      else if (strncmp(t, "tp_btf/", 7) == 0) {
        type = BPF_PROG_TYPE_TRACING, attach = BPF_TRACE_RAW_TP;
        attach_btf_id = libbpf_find_vmlinux_btf_id(t + 7, attach);
        if (attach_btf_id <= 0) { fprintf(stderr, "no vmlinux BTF for tracepoint %s: %d\n", t + 7, attach_btf_id); return 2; }
      }
      else if (strcmp(t, "xdp") != 0) { fprintf(stderr, "unknown type %s\n", t); return 2; }
    }
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
    char *tok = strtok(line, " ");
    if (!tok) continue;
    size_t n = unhex(tok, strlen(tok), (unsigned char *)insns) / sizeof(struct bpf_insn);
    int maps[4] = {-1, -1, -1, -1};
    maps[0] = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fz_array", 4, 16, 4, NULL);
    maps[1] = bpf_map_create(BPF_MAP_TYPE_HASH, "fz_hash", 8, 16, 4, NULL);
#define MAP_LD(in) ((in).code == (BPF_LD | BPF_IMM | BPF_DW) && ((in).src_reg == BPF_PSEUDO_MAP_FD || (in).src_reg == BPF_PSEUDO_MAP_VALUE))
    for (size_t i = 0; i < n; i++) {
      if (MAP_LD(insns[i]) && insns[i].imm == 2 && maps[2] < 0) maps[2] = lock_map();
      if (MAP_LD(insns[i]) && insns[i].imm == 3 && maps[3] < 0) maps[3] = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fz_global", 4, 32, 1, NULL);
    }
    if (maps[0] < 0 || maps[1] < 0) { printf("fail map_create %d\n", errno); return 1; }
    for (size_t i = 0; i < n; i++)
      if (MAP_LD(insns[i]) && insns[i].imm >= 0 && insns[i].imm < 4) {
        if (maps[insns[i].imm] < 0) { printf("fail map_create %d\n", errno); return 1; }
        insns[i].imm = maps[insns[i].imm];
      }
    logbuf[0] = 0;
    LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = logbuf, .log_size = LOG_SIZE, .log_level = verbose ? 2 : 1, .expected_attach_type = attach,
                .attach_btf_id = attach_btf_id);
    static struct bpf_func_info fi[MAX_FUNCS];
    for (size_t i = 0; i < n; i++)
      if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) && insns[i].src_reg == BPF_PSEUDO_FUNC) {
        int cnt = add_func_info(insns, n, fi);
        if (cnt < 0) { printf("fail btf %d\n", errno); return 1; }
        opts.prog_btf_fd = func_btf_fd;
        opts.func_info = fi;
        opts.func_info_cnt = cnt;
        opts.func_info_rec_size = sizeof(struct bpf_func_info);
        break;
      }
    int fd = bpf_prog_load(type, "fz", "GPL", insns, n, &opts);
    int err = errno;
    if (fd < 0 && err == ENOSPC) {
      LIBBPF_OPTS(bpf_prog_load_opts, quiet, .expected_attach_type = attach, .attach_btf_id = attach_btf_id, .prog_btf_fd = opts.prog_btf_fd, .func_info = opts.func_info,
                  .func_info_cnt = opts.func_info_cnt, .func_info_rec_size = opts.func_info_rec_size);
      int again = bpf_prog_load(type, "fz", "GPL", insns, n, &quiet);
      err = errno;
      if (again >= 0) { printf("fail accepted without a log\n"); return 1; }
    }
    if (fd < 0) {
      printf("rej %d ", err);
      print_log();
      putchar('\n');
    } else {
      const char *pr = strstr(logbuf, "processed ");
      printf("ok %ld", pr ? strtol(pr + 10, NULL, 10) : -1L);
      while ((tok = strtok(NULL, " "))) {
        size_t plen = unhex(tok, strlen(tok), pkt);
        LIBBPF_OPTS(bpf_test_run_opts, ro, .data_in = pkt, .data_size_in = plen, .data_out = out, .data_size_out = sizeof out, .repeat = 1);
        if (bpf_prog_test_run_opts(fd, &ro) < 0) { printf(" err:%d", errno); continue; }
        printf(" %u:", ro.retval);
        for (unsigned i = 0; i < ro.data_size_out; i++) printf("%02x", out[i]);
      }
      if (verbose) fputs(" log ", stdout), print_log();
      putchar('\n');
      close(fd);
    }
    close(maps[0]);
    close(maps[1]);
    if (maps[2] >= 0) close(maps[2]);
    if (maps[3] >= 0) close(maps[3]);
  }
  return 0;
}

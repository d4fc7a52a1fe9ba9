// Kernel side of tests/datapath/tracepoints_bench.test.ts: what xdp-bench does with programs/xdp_tp_bench.o
// (bpf_object__load, every tp_btf program attached, xdp_bench on the XDP device in native mode, the
// devmap's slot 0 = the TX device, cpumap slot 0 running cpu_pass and slot 1 cpu_drop), and an XDP_PASS
// program (PASS_OBJ's xdp_pass) on the TX device's peer so that a veth takes redirected frames. Then per
// stdin line "mode arg n": cfg = { mode, arg } (arg 0 outside cpumap mode 2: the TX device's ifindex), n frames sent out of the
// peer of the XDP device, and the `counts` map printed as "k=v" pairs once the events have settled.
// Built at test time: gcc -O1 -o tp_bench_loader tp_bench_loader.c -lbpf.
// Usage: tp_bench_loader OBJ PASS_OBJ XDP_DEV PEER_DEV TX_DEV TX_PEER_DEV
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static unsigned long long get(int cnt, unsigned k) {
  unsigned long long v = 0;
  bpf_map_lookup_elem(cnt, &k, &v);
  return v;
}

static void print(int cnt) {
  printf("counts");
  for (unsigned k = 0; k < 32; k++) { unsigned long long v = get(cnt, k); if (v) printf(" %u=%llu", k, v); }
  printf("\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc < 7) return 2;
  struct bpf_object *o = bpf_object__open_file(argv[1], NULL), *po = bpf_object__open_file(argv[2], NULL);
  if (!o || !po || bpf_object__load(o) || bpf_object__load(po)) { fprintf(stderr, "load failed\n"); return 1; }
  struct bpf_program *p;
  bpf_object__for_each_program(p, o) {
    if (strncmp(bpf_program__section_name(p), "tp_btf/", 7) == 0 && !bpf_program__attach(p)) { fprintf(stderr, "attach %s failed\n", bpf_program__name(p)); return 1; }
  }
  int cnt = bpf_object__find_map_fd_by_name(o, "counts");
  int xifi = if_nametoindex(argv[3]), sifi = if_nametoindex(argv[4]), tifi = if_nametoindex(argv[5]), tpifi = if_nametoindex(argv[6]);
  if (bpf_xdp_attach(tpifi, bpf_program__fd(bpf_object__find_program_by_name(po, "xdp_pass")), XDP_FLAGS_DRV_MODE, NULL)) { fprintf(stderr, "pass attach failed\n"); return 1; }
  if (bpf_xdp_attach(xifi, bpf_program__fd(bpf_object__find_program_by_name(o, "xdp_bench")), XDP_FLAGS_DRV_MODE, NULL)) { fprintf(stderr, "xdp attach failed\n"); return 1; }
  int cfg = bpf_object__find_map_fd_by_name(o, "cfg"), tx = bpf_object__find_map_fd_by_name(o, "tx_port"), cpus = bpf_object__find_map_fd_by_name(o, "cpus");
  unsigned k0 = 0, k1 = 1;
  if (bpf_map_update_elem(tx, &k0, &tifi, 0)) { fprintf(stderr, "devmap update failed\n"); return 1; }
  struct bpf_cpumap_val v0 = { .qsize = 64 }, v1 = { .qsize = 64 };
  v0.bpf_prog.fd = bpf_program__fd(bpf_object__find_program_by_name(o, "cpu_pass"));
  v1.bpf_prog.fd = bpf_program__fd(bpf_object__find_program_by_name(o, "cpu_drop"));
  if (bpf_map_update_elem(cpus, &k0, &v0, 0) || bpf_map_update_elem(cpus, &k1, &v1, 0)) { fprintf(stderr, "cpumap update failed\n"); return 1; }
  int s = socket(AF_PACKET, SOCK_RAW, 0);
  struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_ifindex = sifi, .sll_halen = 6 };
  unsigned char f[60] = { 0xff,0xff,0xff,0xff,0xff,0xff, 2,0,0,0,0,1, 0x88,0xb5 };
  printf("ifindex %d %d\n", xifi, tifi);
  print(cnt);
  unsigned mode, arg, n;
  while (scanf("%u %u %u", &mode, &arg, &n) == 3) {
    if (arg == 0 && mode != 2) arg = tifi;
    bpf_map_update_elem(cfg, &k0, &mode, 0);
    bpf_map_update_elem(cfg, &k1, &arg, 0);
    // counts[18] + [19]: xdp_redirect + xdp_redirect_err, one per frame
    unsigned long long before = get(cnt, 18) + get(cnt, 19);
    for (unsigned i = 0; i < n; i++) sendto(s, f, sizeof f, 0, (struct sockaddr *)&sa, sizeof sa);
    for (int w = 0; w < 200 && get(cnt, 18) + get(cnt, 19) < before + n; w++) usleep(10000);
    usleep(200000); // the bulks' flushes and the cpumap kthread come after
    print(cnt);
  }
  bpf_xdp_detach(xifi, XDP_FLAGS_DRV_MODE, NULL);
  bpf_xdp_detach(tpifi, XDP_FLAGS_DRV_MODE, NULL);
  return 0;
}

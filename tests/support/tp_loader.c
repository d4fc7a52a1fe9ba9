// Kernel side of tests/datapath/tracepoints_kernel.test.ts: what a libbpf user does with an object of
// XDP and tracepoint programs (bpf_object__load, bpf_program__attach for each tp_btf, raw_tp and
// classic tracepoint program — "refused NAME ERRNO" for one the kernel does not attach —, the XDP
// program on a device), then per stdin line "mode to n": cfg[0] = mode, cfg[1] = to (0: the XDP
// device), n frames sent out of the peer, and the `counts` map printed as "k=v" pairs. An object with a
// program named `xdp_peer` gets it attached to the peer too (a veth peer with XDP runs NAPI and takes
// the frames the XDP device sends back with XDP_TX; without it veth drops them with -ENXIO).
// Built at test time: gcc -O1 -o tp_loader tp_loader.c -lbpf. Usage: tp_loader OBJ XDP_DEV PEER_DEV
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
/** Events counted so far: counts[0..9] (xdp_tp_counters: xdp_exception by action, xdp_redirect, xdp_redirect_err; xdp_tp_bulk: bulks). */
static unsigned long long events(int cnt) {
  unsigned long long t = 0;
  for (unsigned k = 0; k < 10; k++) { unsigned long long v = 0; bpf_map_lookup_elem(cnt, &k, &v); t += v; }
  return t;
}

int main(int argc, char **argv) {
  // `ip netns exec` gives the command a sysfs of its own, without tracefs: libbpf finds a classic
  // tracepoint's event id there (this mount is in the command's private mount namespace)
  if (access("/sys/kernel/tracing/events", F_OK) != 0) mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
  struct bpf_object *o = bpf_object__open_file(argv[1], NULL);
  if (!o || bpf_object__load(o)) { fprintf(stderr, "load failed\n"); return 1; }
  struct bpf_program *p;
  bpf_object__for_each_program(p, o) {
    // tracepoint programs of every kind (tp_btf/, raw_tp/, tracepoint/ or tp/); one the kernel refuses
    // to attach is reported as "refused NAME ERRNO" and left out
    const char *sec = bpf_program__section_name(p);
    if (strncmp(sec, "tp_btf/", 7) && strncmp(sec, "raw_tp/", 7) && strncmp(sec, "tracepoint/", 11) && strncmp(sec, "tp/", 3)) continue;
    struct bpf_link *l = bpf_program__attach(p);
    if (!l) printf("refused %s %d\n", bpf_program__name(p), errno);
  }
  int xifi = if_nametoindex(argv[2]), sifi = if_nametoindex(argv[3]);
  if (bpf_xdp_attach(xifi, bpf_program__fd(bpf_object__find_program_by_name(o, "xdp_act")), XDP_FLAGS_DRV_MODE, NULL)) { fprintf(stderr, "xdp attach failed\n"); return 1; }
  struct bpf_program *peer = bpf_object__find_program_by_name(o, "xdp_peer");
  if (peer && bpf_xdp_attach(sifi, bpf_program__fd(peer), XDP_FLAGS_DRV_MODE, NULL)) { fprintf(stderr, "peer xdp attach failed\n"); return 1; }
  int cfg = bpf_object__find_map_fd_by_name(o, "cfg"), cnt = bpf_object__find_map_fd_by_name(o, "counts");
  int s = socket(AF_PACKET, SOCK_RAW, 0);
  struct sockaddr_ll sa = { .sll_family = AF_PACKET, .sll_ifindex = sifi, .sll_halen = 6 };
  unsigned char f[60] = { 0xff,0xff,0xff,0xff,0xff,0xff, 2,0,0,0,0,1, 0x88,0xb5 };
  printf("ifindex %d\n", xifi);
  unsigned mode, to, n;
  while (scanf("%u %u %u", &mode, &to, &n) == 3) {
    if (to == 0) to = xifi;
    unsigned k0 = 0, k1 = 1;
    bpf_map_update_elem(cfg, &k0, &mode, 0); bpf_map_update_elem(cfg, &k1, &to, 0);
    unsigned long long before = events(cnt);
    for (unsigned i = 0; i < n; i++) sendto(s, f, sizeof f, 0, (struct sockaddr *)&sa, sizeof sa);
    // veth runs XDP in its NAPI: wait (bounded, 2 s) until each frame has made its one event
    for (int w = 0; w < 200 && events(cnt) < before + n; w++) usleep(10000);
    printf("counts");
    for (unsigned k = 0; k < 16; k++) { unsigned long long v = 0; bpf_map_lookup_elem(cnt, &k, &v); if (v) printf(" %u=%llu", k, v); }
    printf("\n");
  }
  bpf_xdp_detach(xifi, XDP_FLAGS_DRV_MODE, NULL);
  if (peer) bpf_xdp_detach(sifi, XDP_FLAGS_DRV_MODE, NULL);
  return 0;
}

// XDP_TX and the xdp_bulk_tx tracepoint, as veth bulks XDP_TX (drivers/net/veth.c veth_xdp_tx,
// veth_xdp_flush_bq: up to 16 frames, reported as sent / drops / err). `xdp_act` sends every frame back out
// of its device; `xdp_peer` passes everything (on a veth's peer it gives the peer the NAPI that takes XDP
// frames); `tp_bulk_tx` counts the bulks the way xdp-monitor reads them.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct net_device {
  int ifindex;
} __attribute__((preserve_access_index));

// cfg is the loader's (tests/support/tp_loader.c): unused here, every frame goes back out
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u32);
  __uint(max_entries, 2);
} cfg SEC(".maps");

// [0] bulks; [10] last dev->ifindex; [11] last err (negated); [12] frames sent; [13] frames dropped;
// [14] the last bulk's sent; [15] the last bulk's drops
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 16);
} counts SEC(".maps");

static void put(__u32 k, __u64 v) {
  bpf_map_update_elem(&counts, &k, &v, BPF_ANY);
}

static void add(__u32 k, __u64 n) {
  __u64 *c = bpf_map_lookup_elem(&counts, &k);
  if (c) __sync_fetch_and_add(c, n);
}

SEC("xdp")
int xdp_act(struct xdp_md *ctx) {
  return XDP_TX;
}

SEC("xdp")
int xdp_peer(struct xdp_md *ctx) {
  return XDP_PASS;
}

SEC("tp_btf/xdp_bulk_tx")
int BPF_PROG(tp_bulk_tx, const struct net_device *dev, int sent, int drops, int err) {
  add(0, 1);
  add(12, sent);
  add(13, drops);
  put(10, dev->ifindex);
  put(11, -err);
  put(14, sent);
  put(15, drops);
  return 0;
}

char _license[] SEC("license") = "GPL";

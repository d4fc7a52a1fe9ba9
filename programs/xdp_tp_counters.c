// tp_btf programs on the XDP tracepoints, counting what xdp-monitor counts: xdp_exception by action,
// xdp_redirect and xdp_redirect_err by device (dev->ifindex, through CO-RE), the error, the map id and
// the index the tracepoint reports. `xdp_act` makes the events: cfg[0] picks its verdict
// (0 XDP_ABORTED, 1 bpf_redirect(cfg[1]), 2 an invalid action 7), cfg[1] is the redirect ifindex.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct net_device {
  int ifindex;
} __attribute__((preserve_access_index));
struct bpf_prog;

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u32);
  __uint(max_entries, 2);
} cfg SEC(".maps");

// [0..7] xdp_exception by action (7 and above: [7]); [8] xdp_redirect; [9] xdp_redirect_err;
// [10] last dev->ifindex; [11] last err (negated); [12] last map_id; [13] last index; [14] last map_type
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 16);
} counts SEC(".maps");

static void put(__u32 k, __u64 v) {
  bpf_map_update_elem(&counts, &k, &v, BPF_ANY);
}

static void add(__u32 k) {
  __u64 *c = bpf_map_lookup_elem(&counts, &k);
  if (c) __sync_fetch_and_add(c, 1);
}

SEC("xdp")
int xdp_act(struct xdp_md *ctx) {
  __u32 k0 = 0, k1 = 1;
  __u32 *mode = bpf_map_lookup_elem(&cfg, &k0);
  __u32 *to = bpf_map_lookup_elem(&cfg, &k1);
  if (!mode || !to) return XDP_PASS;
  if (*mode == 1) return bpf_redirect(*to, 0);
  if (*mode == 2) return 7;
  return XDP_ABORTED;
}

SEC("tp_btf/xdp_exception")
int BPF_PROG(tp_exception, const struct net_device *dev, const struct bpf_prog *xdp, __u32 act) {
  add(act < 7 ? act : 7);
  put(10, dev->ifindex);
  return 0;
}

SEC("tp_btf/xdp_redirect")
int BPF_PROG(tp_redirect, const struct net_device *dev, const struct bpf_prog *xdp, const void *tgt, int err,
             int map_type, __u32 map_id, __u32 index) {
  add(8);
  put(10, dev->ifindex);
  put(12, map_id);
  put(13, index);
  put(14, map_type);
  return 0;
}

SEC("tp_btf/xdp_redirect_err")
int BPF_PROG(tp_redirect_err, const struct net_device *dev, const struct bpf_prog *xdp, const void *tgt, int err,
             int map_type, __u32 map_id, __u32 index) {
  add(9);
  put(10, dev->ifindex);
  put(11, -err);
  put(12, map_id);
  put(13, index);
  put(14, map_type);
  return 0;
}

char _license[] SEC("license") = "GPL";

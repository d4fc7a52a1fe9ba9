// Classic tracepoint programs (SEC("tracepoint/xdp/NAME"), SEC("tp/xdp/NAME")) and a raw tracepoint
// program (SEC("raw_tp/NAME")) on the XDP tracepoints, counting what xdp-tutorial's xdp monitor counts
// from the records tracefs describes (/sys/kernel/tracing/events/xdp/NAME/format on Linux 6.18).
// `xdp_act` makes the events, as programs/xdp_tp_counters does: cfg[0] picks its verdict
// (0 XDP_ABORTED, 1 bpf_redirect(cfg[1]), 2 an invalid action 7), cfg[1] is the redirect ifindex.
// The programs past the line are refused at attach (a read past the record or the arguments, an event
// tracefs does not have); they load.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

// xdp_exception's record: the common header (8 bytes), then prog_id, act, ifindex
struct exception_rec {
  __u64 common;
  int prog_id;
  __u32 act;
  int ifindex;
};

// xdp_redirect / xdp_redirect_err's record
struct redirect_rec {
  __u64 common;
  int prog_id;
  __u32 act;
  int ifindex;
  int err;
  int to_ifindex;
  __u32 map_id;
  int map_index;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u32);
  __uint(max_entries, 2);
} cfg SEC(".maps");

// [0..7] xdp_exception by action from the record (7 and above: [7]); [8] xdp_exception by raw_tp;
// [9] xdp_redirect_err; [10] last ifindex; [11] last err (negated); [12] last map_id;
// [13] last map_index; [14] last to_ifindex; [15] last act from raw_tp's third argument
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

SEC("tp/xdp/xdp_exception")
int tp_exception(struct exception_rec *r) {
  add(r->act < 7 ? r->act : 7);
  put(10, r->ifindex);
  return 0;
}

SEC("raw_tp/xdp_exception")
int raw_exception(__u64 *args) {
  add(8);
  put(15, args[2]);
  return 0;
}

SEC("tracepoint/xdp/xdp_redirect_err")
int tp_redirect_err(struct redirect_rec *r) {
  add(9);
  put(10, r->ifindex);
  put(11, -r->err);
  put(12, r->map_id);
  put(13, r->map_index);
  put(14, r->to_ifindex);
  return 0;
}

// ---- refused at attach ----

// reads 4 bytes past xdp_exception's 20-byte record: EACCES (perf_event_set_bpf_prog)
SEC("tp/xdp/xdp_exception")
int tp_past_record(struct redirect_rec *r) {
  return r->err;
}

// reads xdp_exception's fourth argument (it has three): EINVAL (bpf_probe_register)
SEC("raw_tp/xdp_exception")
int raw_past_args(__u64 *args) {
  return args[3];
}

// no such event in Linux 6.18's tracefs: ENOENT
SEC("tracepoint/xdp/xdp_redirect_map")
int tp_gone(struct redirect_rec *r) {
  return r->act;
}

char _license[] SEC("license") = "GPL";

// xdp_flow_hold: holds a flowtable direction record for as long as the control plane wants, for the
// slot-reclaim race test (tests/workers/flow_reclaim.test.ts). An XDP program that got the record from
// bpf_xdp_flow_lookup reads it inside its RCU read-side section (the whole program run); the kernel frees
// a deleted flow after a grace period (flow_offload_free → kfree_rcu), so whatever the control plane
// deletes or adds meanwhile, the record keeps the fields it had when looked up.
//
// A probe is an IPv4 UDP frame whose first payload byte is 0xAA (every other frame: XDP_PASS). On a hit
// the program notes the record's tuple in `hold` (src, dst, ports, iifidx), sets `state` to 1 and then
// re-reads the record in a loop (bpf_loop in bpf_loop) until `gate` is nonzero, counting the rounds and
// every round in which a field differed (`changed`). A probe that misses sets `state` to 2. Probes are
// dropped.
// Maps: ARRAY `hold` (one struct hold). Helpers: bpf_map_lookup_elem, bpf_loop; kfunc bpf_xdp_flow_lookup.
// cflags: -mcpu=v3
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define AF_INET 2

struct rhash_head {
	struct rhash_head *next;
} __attribute__((preserve_access_index));

struct flow_offload_tuple {
	union {
		struct in_addr src_v4;
		struct in6_addr src_v6;
	};
	union {
		struct in_addr dst_v4;
		struct in6_addr dst_v6;
	};
	struct {
		__be16 src_port;
		__be16 dst_port;
	};
	int iifidx;
	__u8 l3proto;
	__u8 l4proto;
} __attribute__((preserve_access_index));

struct flow_offload_tuple_rhash {
	struct rhash_head node;
	struct flow_offload_tuple tuple;
} __attribute__((preserve_access_index));

struct bpf_flowtable_opts {
	__s32 error;
};

extern struct flow_offload_tuple_rhash *
bpf_xdp_flow_lookup(struct xdp_md *ctx, struct bpf_fib_lookup *fib_tuple,
		    struct bpf_flowtable_opts *opts, __u32 opts_len) __ksym;

struct hold {
	__u32 state;   /* 0 nothing yet, 1 holding (or held), 2 the probe missed */
	__u32 gate;    /* set by the control plane: stop holding */
	__u32 changed; /* rounds in which the record's fields were not those first read */
	__u32 rounds;
	__u32 src;     /* the tuple first read (network order) */
	__u32 dst;
	__u32 ports;   /* src_port | dst_port << 16 */
	__u32 iif;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct hold);
	__uint(max_entries, 1);
} hold SEC(".maps");

struct loop_ctx {
	struct flow_offload_tuple_rhash *th;
	struct hold *h;
};

static int reread(__u32 i, struct loop_ctx *c)
{
	struct flow_offload_tuple_rhash *th = c->th;
	struct hold *h = c->h;
	__u32 ports = th->tuple.src_port | (__u32)th->tuple.dst_port << 16;

	if (th->tuple.src_v4.s_addr != h->src || th->tuple.dst_v4.s_addr != h->dst || ports != h->ports ||
	    (__u32)th->tuple.iifidx != h->iif)
		__sync_fetch_and_add(&h->changed, 1);
	__sync_fetch_and_add(&h->rounds, 1);
	return __sync_fetch_and_add(&h->gate, 0) != 0;
}

static int outer(__u32 i, struct loop_ctx *c)
{
	bpf_loop(1 << 23, reread, c, 0);
	return __sync_fetch_and_add(&c->h->gate, 0) != 0;
}

SEC("xdp")
int xdp_flow_hold(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct bpf_flowtable_opts opts = {};
	struct flow_offload_tuple_rhash *th;
	struct bpf_fib_lookup t;
	struct loop_ctx c;
	struct iphdr *ip;
	struct hold *h;
	__u8 *l4;
	__u32 zero = 0;

	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	l4 = (void *)(ip + 1);
	if ((void *)(l4 + 9) > data_end || l4[8] != 0xAA)
		return XDP_PASS;
	h = bpf_map_lookup_elem(&hold, &zero);
	if (!h)
		return XDP_PASS;
	__builtin_memset(&t, 0, sizeof(t));
	t.family = AF_INET;
	t.l4_protocol = ip->protocol;
	t.sport = *(__be16 *)l4;
	t.dport = *(__be16 *)(l4 + 2);
	t.ipv4_src = ip->saddr;
	t.ipv4_dst = ip->daddr;
	t.ifindex = ctx->ingress_ifindex;
	th = bpf_xdp_flow_lookup(ctx, &t, &opts, sizeof(opts));
	if (!th) {
		__sync_lock_test_and_set(&h->state, 2);
		return XDP_DROP;
	}
	h->src = th->tuple.src_v4.s_addr;
	h->dst = th->tuple.dst_v4.s_addr;
	h->ports = th->tuple.src_port | (__u32)th->tuple.dst_port << 16;
	h->iif = th->tuple.iifidx;
	__sync_lock_test_and_set(&h->state, 1);
	c.th = th;
	c.h = h;
	bpf_loop(1 << 23, outer, &c, 0);
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";

// bpf_xdp_flow_lookup's result read directly, field by field, after its NULL check: the kernel types the
// kfunc's return as a trusted PTR_TO_BTF_ID (KF_RET_NULL) and its loads are BTF-checked BPF_PROBE_MEM
// reads; with preserve_access_index each load is a CO-RE relocation (the running data path's layout of
// struct flow_offload_tuple_rhash: the kernel's vmlinux BTF there, src/elf/core.ts here). Every frame
// passes to the stack; a hit stores into `fields`: 0 src_v4, 1 dst_v4, 2 src_port | dst_port << 16
// (network order each), 3 iifidx, 4 l4proto, 5 dir (the bitfield, read with a direct load), 6 hits.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>

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
	struct {
		__u16 id;
		__be16 proto;
	} encap[2];
	__u8 dir:2, xmit_type:3, encap_num:2, in_vlan_ingress:2;
	__u16 mtu;
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

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 7);
} fields SEC(".maps");

static __always_inline void put(__u32 i, __u32 v)
{
	__u32 *p = bpf_map_lookup_elem(&fields, &i);

	if (p)
		*p = v;
}

SEC("xdp")
int xdp_flow_lookup_fields(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct bpf_flowtable_opts opts = {};
	struct flow_offload_tuple_rhash *th;
	struct bpf_fib_lookup t;
	struct iphdr *ip;
	__be16 *l4;
	__u32 i = 6, *hits;

	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return XDP_PASS;
	l4 = (void *)(ip + 1);
	if ((void *)(l4 + 2) > data_end)
		return XDP_PASS;
	__builtin_memset(&t, 0, sizeof(t));
	t.family = AF_INET;
	t.l4_protocol = ip->protocol;
	t.sport = l4[0];
	t.dport = l4[1];
	t.ipv4_src = ip->saddr;
	t.ipv4_dst = ip->daddr;
	t.ifindex = ctx->ingress_ifindex;
	th = bpf_xdp_flow_lookup(ctx, &t, &opts, sizeof(opts));
	if (!th)
		return XDP_PASS;
#ifdef WRITE
	th->tuple.mtu = 1;
#endif
	put(0, th->tuple.src_v4.s_addr);
	put(1, th->tuple.dst_v4.s_addr);
	put(2, th->tuple.src_port | (__u32)th->tuple.dst_port << 16);
	put(3, th->tuple.iifidx);
	put(4, th->tuple.l4proto);
	put(5, BPF_CORE_READ_BITFIELD(th, tuple.dir));
	hits = bpf_map_lookup_elem(&fields, &i);
	if (hits)
		__sync_fetch_and_add(hits, 1);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

// xdp_mim_lock: per-protocol counters in the values of inner maps, each value guarded by its own
// `struct bpf_spin_lock`, reached through an array_of_maps (as katran keeps per-CPU state in maps of
// maps). The inner template's BTF fields come with it (the kernel's bpf_map_meta_alloc copies the
// inner map's btf_record), so bpf_spin_lock on a value looked up through the outer map is allowed.
// Slot 0 of `by_kind` holds `l3_stats` (frames and bytes by EtherType class), slot 1 is empty (a
// lookup through it passes the frame). Every 5th frame of a class is dropped.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct stat {
	struct bpf_spin_lock lock;
	__u32 frames;
	__u64 bytes;
};

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct stat);
	__uint(max_entries, 4);
} l3_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} by_kind SEC(".maps") = { .values = { &l3_stats } };

SEC("xdp")
int xdp_mim_lock(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 slot = 0, cls = 3, n;
	struct stat *st;
	void *m;

	if ((void *)(eth + 1) > end)
		return XDP_ABORTED;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		cls = 0;
	else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		cls = 1;
	else if (eth->h_proto == bpf_htons(ETH_P_ARP))
		cls = 2;
	if (cls == 3)
		slot = 1;
	m = bpf_map_lookup_elem(&by_kind, &slot);
	if (!m)
		return XDP_PASS;
	st = bpf_map_lookup_elem(m, &cls);
	if (!st)
		return XDP_PASS;
	bpf_spin_lock(&st->lock);
	n = ++st->frames;
	st->bytes += end - data;
	bpf_spin_unlock(&st->lock);
	return n % 5 == 0 ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";

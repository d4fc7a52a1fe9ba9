// Shared flow state under a bpf_spin_lock, as xdp-trafficgen keeps its TCP state: one value per
// EtherType class (IPv4, IPv6, other) in a HASH, and totals in an ARRAY, each value holding a
// `struct bpf_spin_lock`. Under the lock the program counts the frame, its bytes, the largest frame
// and a sequence number; outside it, it decides: every 4th frame of a class (by that sequence) drops,
// the rest pass. Frames of 200 bytes or more are reported with bpf_printk with four arguments, which
// libbpf's headers turn into bpf_trace_vprintk.
//   maps: class_state (HASH, BPF_NOEXIST insert then lookup), totals (ARRAY)
//   helpers: bpf_spin_lock, bpf_spin_unlock, bpf_map_lookup_elem, bpf_map_update_elem, bpf_trace_vprintk
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct class_state {
	__u32 seq;
	struct bpf_spin_lock lock;
	__u64 frames;
	__u64 bytes;
	__u32 largest;
	__u32 pad;
};

struct totals {
	struct bpf_spin_lock lock;
	__u32 frames;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct class_state);
} class_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct totals);
} totals SEC(".maps");

SEC("xdp")
int xdp_spinlock(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 len = data_end - data;
	__u32 class = 2, zero = 0, seq, proto = 0;
	struct class_state init = {}, *st;
	struct totals *t;

	if ((void *)(eth + 1) <= data_end) {
		proto = bpf_ntohs(eth->h_proto);
		if (eth->h_proto == bpf_htons(ETH_P_IP))
			class = 0;
		else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
			class = 1;
	}
	st = bpf_map_lookup_elem(&class_state, &class);
	if (!st) {
		bpf_map_update_elem(&class_state, &class, &init, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&class_state, &class);
		if (!st)
			return XDP_ABORTED;
	}
	bpf_spin_lock(&st->lock);
	seq = ++st->seq;
	st->frames++;
	st->bytes += len;
	if (len > st->largest)
		st->largest = len;
	bpf_spin_unlock(&st->lock);

	t = bpf_map_lookup_elem(&totals, &zero);
	if (t) {
		bpf_spin_lock(&t->lock);
		t->frames++;
		t->bytes += len;
		bpf_spin_unlock(&t->lock);
	}
	if (len >= 200)
		bpf_printk("class %u seq %u len %u proto %x", class, seq, len, proto);
	return seq % 4 == 0 ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";

// xdp_ch_rings: a consistent-hashing ring as large as katran's (`ch_rings`: 65537 slots for each of
// 512 VIPs, 33,554,944 u32 entries, 256 MiB as array elements take round_up(value_size, 8) bytes), so
// the object needs maps as large as the kernel creates them. An IPv4 frame picks the slot
// (saddr ^ daddr) % RING_SIZE, reads the backend there, and writes the slot's index + 1 when it was
// empty; `ring_stats` counts frames, empty slots and filled ones.
// Frames pass unchanged. Maps: ARRAY (33,554,944 entries), ARRAY. Helpers: bpf_map_lookup_elem.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define CH_RING_SIZE 65537
#define MAX_VIPS 512
#define RING_SIZE (CH_RING_SIZE * MAX_VIPS)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, RING_SIZE);
} ch_rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 3);
} ring_stats SEC(".maps");

static __always_inline void count(__u32 what)
{
	__u64 *v = bpf_map_lookup_elem(&ring_stats, &what);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int xdp_ch_rings(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 idx, *slot;

	count(0);
	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	idx = (bpf_ntohl(ip->saddr) ^ bpf_ntohl(ip->daddr)) % RING_SIZE;
	slot = bpf_map_lookup_elem(&ch_rings, &idx);
	if (!slot)
		return XDP_PASS;
	if (*slot) {
		count(2);
	} else {
		*slot = idx + 1;
		count(1);
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

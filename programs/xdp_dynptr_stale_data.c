// A bpf_dynptr_data slice of a local dynptr used after the dynptr's stack slot was overwritten: the
// store destroyed the dynptr and its slices. Refused by the kernel and wxdp alike.
#include "xdp_dynptr.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64[4]);
	__uint(max_entries, 1);
} buf SEC(".maps");

SEC("xdp")
int xdp_dynptr_stale_data(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&buf, &k);
	__u8 *s;

	if (!v)
		return 0;
	bpf_dynptr_from_mem(v, 32, 0, &d);
	s = bpf_dynptr_data(&d, 0, 4);
	if (!s)
		return 0;
	*(volatile __u64 *)&d = 0;
	return s[0];
}

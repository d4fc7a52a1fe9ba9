// A ringbuf record reserved as a dynptr and never submitted or discarded. Refused by the kernel and wxdp.
#include "xdp_dynptr.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

SEC("xdp")
int xdp_dynptr_rb_leak(struct xdp_md *ctx)
{
	struct bpf_dynptr rec;

	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &rec);
	return XDP_PASS;
}

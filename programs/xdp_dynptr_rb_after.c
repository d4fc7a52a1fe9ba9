// A ringbuf record's dynptr read after bpf_ringbuf_submit_dynptr released it. Refused by the kernel
// and wxdp.
#include "xdp_dynptr.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

SEC("xdp")
int xdp_dynptr_rb_after(struct xdp_md *ctx)
{
	struct bpf_dynptr rec;
	__u8 b[4];

	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &rec);
	bpf_ringbuf_submit_dynptr(&rec, 0);
	return bpf_dynptr_read(b, 4, &rec, 0, 0);
}

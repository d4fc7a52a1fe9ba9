// A store over a ringbuf record's dynptr (a referenced one cannot be destroyed that way). Refused by
// the kernel and wxdp.
#include "xdp_dynptr.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

SEC("xdp")
int xdp_dynptr_rb_overwrite(struct xdp_md *ctx)
{
	struct bpf_dynptr rec;

	bpf_ringbuf_reserve_dynptr(&rb, 8, 0, &rec);
	*(volatile __u64 *)&rec = 0;
	bpf_ringbuf_discard_dynptr(&rec, 0);
	return XDP_PASS;
}

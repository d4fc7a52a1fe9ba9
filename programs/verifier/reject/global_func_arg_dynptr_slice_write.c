// Reject: a global function reading a slice of its dynptr argument after bpf_dynptr_write through it.
// The dynptr argument is of type SKB in 6.18.44-fc-v1252 (see global_func_arg_dynptr_slice_adjust_head):
// check_helper_call takes bpf_dynptr_write through an skb dynptr as a change of packet data, and
// clear_all_pkt_pointers ends the slice: "R8 invalid mem access 'scalar'".
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;

__noinline int first_byte(struct bpf_dynptr *p)
{
	__u8 buf[4] = {};
	volatile __u8 *s = bpf_dynptr_slice(p, 0, buf, sizeof(buf));

	if (!s)
		return 0;
	bpf_dynptr_write(p, 0, buf, 1, 0);
	return s[0];
}

SEC("xdp")
int global_func_arg_dynptr_slice_write(struct xdp_md *ctx)
{
	struct bpf_dynptr frame;

	bpf_dynptr_from_xdp(ctx, 0, &frame);
	return first_byte(&frame);
}

LICENSE;

// bpf_dynptr_is_null's r0 as this kernel's x86 JIT leaves it: the native function sets only %al, so
// r0's bits above the low byte are what r0 held before the call. Each answer is taken right after a
// call that left bits there (-EINVAL from bpf_dynptr_from_xdp with a flag, the frame's length from
// bpf_dynptr_size), and the program branches on it as clang compiles `if (bpf_dynptr_is_null(&p))`
// (the whole 32-bit register, as the BPF ABI has the callee extend a bool). The raw 32-bit answers go
// over the frame from byte 14; the return is XDP_DROP when a valid dynptr reads as NULL (the kernel
// here), XDP_PASS when not. bpf_dynptr_is_rdonly's r0 is clean on the kernel and is taken alike.
#include "xdp_dynptr.h"

extern int bpf_dynptr_is_null(const struct bpf_dynptr *p) __ksym; /* bool in the kernel: int, to see all of w0 */
extern int bpf_dynptr_is_rdonly(const struct bpf_dynptr *p) __ksym;
extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;

SEC("xdp")
int xdp_dynptr_is_null_r0(struct xdp_md *ctx)
{
	struct bpf_dynptr p, q;
	__u32 out[5];

	bpf_dynptr_from_xdp(ctx, 0, &p);
	bpf_dynptr_from_xdp(ctx, 1, &q);
	out[0] = bpf_dynptr_is_null(&p);
	bpf_dynptr_from_xdp(ctx, 1, &q);
	out[1] = bpf_dynptr_is_null(&q);
	bpf_dynptr_size(&p);
	out[2] = bpf_dynptr_is_null(&p);
	bpf_dynptr_from_xdp(ctx, 1, &q);
	out[3] = bpf_dynptr_is_rdonly(&p);
	bpf_dynptr_from_xdp(ctx, 1, &q);
	out[4] = bpf_dynptr_is_null(&p);
	bpf_dynptr_write(&p, 14, out, sizeof(out), 0);
	bpf_dynptr_from_xdp(ctx, 1, &q);
	if (bpf_dynptr_is_null(&p))
		return XDP_DROP;
	return XDP_PASS;
}

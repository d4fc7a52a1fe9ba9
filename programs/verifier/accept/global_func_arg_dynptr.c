// Accept: global function taking a `const struct bpf_dynptr *`, reading the frame through it.
// btf_prepare_func_args: a pointer to struct bpf_dynptr is ARG_PTR_TO_DYNPTR | MEM_RDONLY. The caller
// must pass an initialised dynptr on its stack (process_dynptr_func); the function is verified with
// R1 = CONST_PTR_TO_DYNPTR, assumed a LOCAL dynptr (do_check_common), which bpf_dynptr_read,
// bpf_dynptr_slice and bpf_dynptr_size take as a read-only dynptr.
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;
extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;

__noinline int ethertype_low(const struct bpf_dynptr *p)
{
	__u8 buf[2];
	__u8 *t;

	if (bpf_dynptr_size(p) < 14)
		return 0;
	if (bpf_dynptr_read(buf, sizeof(buf), (struct bpf_dynptr *)p, 12, 0))
		return 0;
	t = bpf_dynptr_slice(p, 12, buf, sizeof(buf));
	return t ? t[1] : buf[1];
}

SEC("xdp")
int global_func_arg_dynptr(struct xdp_md *ctx)
{
	struct bpf_dynptr frame;

	if (bpf_dynptr_from_xdp(ctx, 0, &frame))
		return XDP_DROP;
	return ethertype_low(&frame) ? XDP_PASS : XDP_DROP;
}

LICENSE;

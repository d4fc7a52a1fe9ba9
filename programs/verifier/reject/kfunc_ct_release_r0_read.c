// Reject: R0 read after bpf_ct_release, a kfunc returning void.
// check_kfunc_call marks the caller-saved registers unreadable at every call and sets R0 only for a
// kfunc that returns something: after a void kfunc R0 holds nothing the program may read.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "kfunc_ct.h"

SEC("xdp")
int kfunc_ct_release_r0_read(struct xdp_md *ctx)
{
	CT_DECLS;
	struct nf_conn *ct = bpf_xdp_ct_lookup(CT_ARGS);

	if (!ct)
		return XDP_PASS;
	bpf_ct_release(ct);
	/* the move reads R0 (check_alu_op: check_reg_arg(src, SRC_OP)) */
	asm volatile("r0 = r0" ::: "r0");
	return XDP_PASS;
}

LICENSE;

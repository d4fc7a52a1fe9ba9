// Reject: R0 read after a tail call that fell through.
// bpf_tail_call returns nothing (bpf_tail_call_proto: RET_VOID): when no program is at the index the
// call falls through with R0 unreadable, like every caller-saved register.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

PROG_ARRAY_MAP(jump_table, 4);

SEC("xdp")
int tail_call_r0_read(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jump_table, 0);
	/* the move reads R0 (check_alu_op: check_reg_arg(src, SRC_OP)) */
	asm volatile("r0 = r0" ::: "r0");
	return XDP_PASS;
}

LICENSE;

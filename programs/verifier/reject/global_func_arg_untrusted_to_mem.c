// Reject: an arg:untrusted pointer passed on to a global function's plain `__u32 *` argument.
// btf_check_func_arg_match -> check_mem_reg: the untrusted memory's size is 0, so reading 4 bytes of
// it fails check_mem_region_access ("invalid access to memory, mem_size=0 off=0 size=4", then
// "R1 min value is outside of the allowed memory range"), and the call "Caller passes invalid args".
// Subprograms: the global functions are appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int inner(__u32 *p)
{
	return p ? *p : 0;
}

__noinline int outer(__u32 *p __arg_untrusted)
{
	return inner(p);
}

SEC("xdp")
int global_func_arg_untrusted_to_mem(struct xdp_md *ctx)
{
	__u32 word = ctx->rx_queue_index;

	return outer(&word) ? XDP_PASS : XDP_DROP;
}

LICENSE;

// Accept: a global function passing its arg:untrusted pointer, moved, on to another one's.
// Pointer arithmetic on rdonly_untrusted_mem is PTR_TO_MEM's; the inner call's untrusted argument
// takes anything (btf_check_func_arg_match), and its byte read is a probe read.
// Subprograms: the global functions are appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int inner(void *p __arg_untrusted)
{
	return *(volatile __u8 *)p;
}

__noinline int outer(void *p __arg_untrusted)
{
	return inner(p + 4);
}

SEC("xdp")
int global_func_arg_untrusted_pass_on(struct xdp_md *ctx)
{
	__u32 word = ctx->rx_queue_index;

	return outer(&word) ? XDP_PASS : XDP_DROP;
}

LICENSE;

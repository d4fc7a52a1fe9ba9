// Accept: a global function reading its arg:untrusted `void *` argument past any size.
// btf_prepare_func_args: arg:untrusted on `void *` (or a pointer to an int or enum) is ARG_PTR_TO_MEM |
// MEM_RDONLY | PTR_UNTRUSTED of mem_size 0: the function sees rdonly_untrusted_mem(sz=0), and
// check_mem_access checks no bounds for it (its loads become BPF_PROBE_MEM, a fault reads 0), so the
// read at +100 of the caller's 4-byte stack word passes; btf_check_func_arg_match takes anything for it.
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int peek(void *p __arg_untrusted)
{
	return *(volatile __u32 *)(p + 100);
}

SEC("xdp")
int global_func_arg_untrusted_void(struct xdp_md *ctx)
{
	__u32 word = ctx->rx_queue_index;

	return peek(&word) ? XDP_PASS : XDP_DROP;
}

LICENSE;

// Accept: a global function that is unsafe for some arguments, called only from dead code.
// Since Linux 6.8 the kernel verifies a global function lazily: only once a verified path calls it
// (do_check_subprogs, subprog_aux->called). `enabled` is a frozen .rodata 0, so the branch that calls
// first_word() is dead, first_word() (a dereference with no null check, refused when it is called:
// reject/global_func_arg_no_null_check) is never verified, and the program loads.
// Subprograms: the global function is appended after the entry program; the kernel never validates it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

const volatile int enabled = 0;

__noinline int first_word(__u32 *w)
{
	return *w;
}

SEC("xdp")
int global_func_dead_unsafe(struct xdp_md *ctx)
{
	__u32 word = ctx->rx_queue_index;

	if (enabled)
		return first_word(&word) ? XDP_PASS : XDP_DROP;
	return XDP_PASS;
}

LICENSE;

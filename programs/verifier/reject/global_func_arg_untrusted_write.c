// Reject: a global function writing through its arg:untrusted `__u32 *` argument.
// The argument is PTR_TO_MEM | MEM_RDONLY | PTR_UNTRUSTED: check_mem_access refuses the store,
// "R1 cannot write into rdonly_untrusted_mem" (reg_type_str puts the flags' prefixes in order).
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int poke(__u32 *p __arg_untrusted)
{
	*p = 1;
	return 0;
}

SEC("xdp")
int global_func_arg_untrusted_write(struct xdp_md *ctx)
{
	__u32 word = 0;

	return poke(&word) ? XDP_PASS : XDP_DROP;
}

LICENSE;

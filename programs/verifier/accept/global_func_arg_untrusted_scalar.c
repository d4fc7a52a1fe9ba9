// Accept: a number passed to a global function's arg:untrusted `__u32 *`, which reads through it.
// btf_check_func_arg_match: "Anything is allowed for untrusted arguments, as these are read-only and
// probe read instructions would protect against invalid memory access": the number 0x100010100 (a user
// address: the x86 JIT's probe load reads 0 for it without trying) passes, and the function's load
// through rdonly_untrusted_mem(sz=0) is a probe read. (wxdp: above 4 GiB, no memory: 0, not the frame
// its low half 0x10100 would name.)
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int first_word(__u32 *w __arg_untrusted)
{
	return *w;
}

SEC("xdp")
int global_func_arg_untrusted_scalar(struct xdp_md *ctx)
{
	return first_word((void *)0x100010100ULL) ? XDP_PASS : XDP_DROP;
}

LICENSE;

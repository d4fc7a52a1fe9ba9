// Accept: a packet pointer passed to a global function's arg:untrusted `__u32 *`, read unchecked.
// The function's load at +12 through rdonly_untrusted_mem(sz=0) needs no comparison with data_end
// (check_mem_access: no bounds for untrusted read-only memory; the load is BPF_PROBE_MEM). It returns
// bytes 12..15 of the frame, little-endian, as the program's return value (not range-checked).
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int word3(__u32 *p __arg_untrusted)
{
	return p[3];
}

SEC("xdp")
int global_func_arg_untrusted_pkt(struct xdp_md *ctx)
{
	return word3((void *)(long)ctx->data);
}

LICENSE;

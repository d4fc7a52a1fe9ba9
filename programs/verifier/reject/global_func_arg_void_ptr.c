// Reject: a global function taking the packet as `void *data, void *data_end`.
// A global function's untagged pointer argument is memory of its pointee's size (btf_prepare_func_args:
// btf_resolve_size), and `void` has none: the function is refused when the walk reaches its call,
// "arg#0 reference type('UNKNOWN ') size cannot be determined: -22" (Linux 6.18.44; wxdp took `void *`
// as memory of size 0 and refused the packet pointer: "invalid access to packet, off=0 size=0"). A
// static function, or `struct xdp_md *ctx` with the bounds checked inside, is the way to write it.
// Subprograms: the global function is appended after the entry program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__noinline int ethertype_low(void *data, void *data_end)
{
	if (data + 14 > data_end)
		return 0;
	return ((__u8 *)data)[13];
}

SEC("xdp")
int global_func_arg_void_ptr(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;

	return ethertype_low(data, data_end) & 3;
}

LICENSE;

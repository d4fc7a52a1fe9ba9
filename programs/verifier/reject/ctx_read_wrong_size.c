// Reject: context field read with the wrong size.
// xdp_md's fields are u32s converted to pointers by the verifier; an 8-byte load of data is not
// one of the accesses it can rewrite.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int ctx_read_wrong_size(void)
{
	asm volatile(
	"r2 = *(u64 *)(r1 + %[xdp_data]);"
	"r0 = 2;"
	"exit;"
	:: __xdp_data
	: __clobber_all);
}

LICENSE;

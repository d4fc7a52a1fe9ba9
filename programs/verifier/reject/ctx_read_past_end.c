// Reject: context read past the end of struct xdp_md.
// xdp_md is 24 bytes; offset 24 is not a field.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int ctx_read_past_end(void)
{
	asm volatile(
	"r0 = *(u32 *)(r1 + 24);"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;

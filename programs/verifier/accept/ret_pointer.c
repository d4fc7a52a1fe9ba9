// Accept: XDP program returning a packet pointer (root only).
// Expected "R0 leaks addr as return value", but that check applies only when pointer leaks are
// forbidden, and XDP has no return range check: root may return an address.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int ret_pointer(void)
{
	asm volatile(
	"r0 = *(u32 *)(r1 + %[xdp_data]);"
	"exit;"
	:: __xdp_data
	: __clobber_all);
}

LICENSE;

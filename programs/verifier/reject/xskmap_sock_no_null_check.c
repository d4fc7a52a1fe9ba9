// Reject: an xskmap lookup read without its NULL check.
// The slot may be empty: the lookup's result is xdp_sock_or_null (this kernel types it at the call;
// upstream says map_value_or_null until the check), and a load through it is an invalid mem access.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 4);
} xsks SEC(".maps");

SEC("xdp")
__naked int xskmap_sock_no_null_check(void)
{
	asm volatile(
	ASM_LOOKUP_KEY0(xsks)
	"r0 = *(u32 *)(r0 + 0);"
	"r0 = 2;"
	"exit;"
	:
	: __imm_addr(xsks),
	  __imm(map_lookup_elem)
	: __clobber_all);
}

LICENSE;

// Reject: a packet pointer compared with 0 is not known to be non-NULL (reg_not_null lists map
// values, map keys, memory and sockets, not packet pointers), so the kernel explores the "== 0" path
// too, where r3 is still a NULL scalar. A verifier that pruned the branch would accept this.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_ptr_null_branch(void)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + 0);"
	"r4 = *(u32 *)(r1 + 4);"
	"r3 = 0;"
	"r5 = r2;"
	"r5 += 14;"
	"if r5 > r4 goto 1f;"
	"if r2 == 0 goto 2f;"
	"r0 = *(u8 *)(r2 + 0);"
	"exit;"
"2:"
	"r0 = *(u8 *)(r3 + 0);"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	::
	: __clobber_all);
}

LICENSE;

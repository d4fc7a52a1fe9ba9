// Accept: a checked packet pointer spilled to the stack and filled back.
// An 8-byte spill keeps the register's whole state in the stack slot, range included: the pointer
// filled into r5 still proves 14 bytes.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_spill_fill_pointer(void)
{
	asm volatile(
	ASM_PKT_PTRS(14)
	"if r4 > r3 goto 1f;"
	"*(u64 *)(r10 - 8) = r2;"
	"r2 = 0;"
	"r5 = *(u64 *)(r10 - 8);"
	"r0 = *(u16 *)(r5 + 12);"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __xdp_data, __xdp_data_end
	: __clobber_all);
}

LICENSE;

// Reject: atomic operation on packet memory.
// Atomics are allowed on the stack and map values only; the packet is not (BPF_ATOMIC into pkt).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int atomic_on_packet(void)
{
	asm volatile(
	ASM_PKT_PTRS(8)
	"if r4 > r3 goto 1f;"
	"r5 = 1;"
	"lock *(u64 *)(r2 + 0) += r5;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __xdp_data, __xdp_data_end
	: __clobber_all);
}

LICENSE;

// Reject: constant packet pointer offset beyond the verifier's limit.
// Pointer offsets are kept within +-(1 << 29) (BPF_MAX_VAR_OFF) so that range arithmetic cannot
// overflow; adding 1 << 29 to a packet pointer is refused at the add.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_const_offset_too_large(void)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + %[xdp_data]);"
	"r2 += 0x20000000;"
	"r0 = 2;"
	"exit;"
	:: __xdp_data
	: __clobber_all);
}

LICENSE;

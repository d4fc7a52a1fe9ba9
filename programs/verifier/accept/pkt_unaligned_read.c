// Accept: unaligned packet read.
// A u32 load at data + 1 is misaligned, but packet alignment is only enforced for
// BPF_F_STRICT_ALIGNMENT loads or on CPUs without efficient unaligned access (x86 has it).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_unaligned_read(void)
{
	asm volatile(
	ASM_PKT_PTRS(5)
	"if r4 > r3 goto 1f;"
	"r0 = *(u32 *)(r2 + 1);"
	"r0 &= 3;"
	"exit;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __xdp_data, __xdp_data_end
	: __clobber_all);
}

LICENSE;

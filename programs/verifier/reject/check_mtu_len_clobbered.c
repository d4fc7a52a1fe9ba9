// Reject: bpf_check_mtu writes its mtu_len argument, so a constant stored there is forgotten.
// mtu_len is ARG_PTR_TO_FIXED_SIZE_MEM | MEM_WRITE: check_helper_mem_access checks the 4 stack bytes as
// a BPF_WRITE (check_stack_range_initialized clobbers: the spilled 0 becomes an unknown scalar). The
// value read back may be anything, so `if r0 != 0` is walked both ways, and the packet read behind it,
// with no bound check, is refused. A verifier that kept the 0 would find that branch dead.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int check_mtu_len_clobbered(void)
{
	asm volatile(
	"r6 = r1;"
	"r1 = 0;"
	"*(u32 *)(r10 - 4) = r1;"
	"r1 = r6;"
	"r2 = 0;"
	"r3 = r10;"
	"r3 += -4;"
	"r4 = 0;"
	"r5 = 0;"
	"call %[check_mtu];"
	"r0 = *(u32 *)(r10 - 4);"
	"if r0 != 0 goto 1f;"
	"r0 = 2;"
	"exit;"
"1:"
	"r2 = *(u32 *)(r6 + %[xdp_data]);"
	"r0 = *(u8 *)(r2 + 0);"
	"exit;"
	:: __imm(check_mtu), __xdp_data
	: __clobber_all);
}

LICENSE;

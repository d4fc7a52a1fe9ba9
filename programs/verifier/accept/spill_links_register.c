// Accept: a bound learnt on a register holds for the stack slot it was spilled to.
// Spilling an unknown scalar gives it an id first (check_stack_write_fixed_off's
// assign_scalar_id_before_mov), shared by the register and the slot, so `if r1 == 0` leaves the
// slot >= 1 too: the fill's `if r2 == 0` is decided not taken and the unchecked packet read behind
// it is never walked.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int spill_links_register(void)
{
	asm volatile(
	"r6 = *(u32 *)(r1 + %[xdp_data]);"
	"call %[get_prandom_u32];"
	"r1 = r0;"
	"r1 &= 48;"
	"*(u64 *)(r10 - 8) = r1;"
	"if r1 == 0 goto 2f;"
	"r2 = *(u64 *)(r10 - 8);"
	"if r2 == 0 goto 1f;"
	"r0 = 2;"
	"exit;"
"1:"
	"r0 = *(u8 *)(r6 + 100);"
	"exit;"
"2:"
	"r0 = 1;"
	"exit;"
	:: __xdp_data, __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;

// Accept: an old 64-bit spill does not stand for a narrower spill in the same slot.
// The first path spills an unknown 64-bit scalar to fp-16 and checkpoints at the join (two jumps and
// eight instructions since the last checkpoint: add_new_state's heuristic, hence the padding); the second
// arrives with fp-16 = 4 MISC bytes over a 32-bit spill. stacksafe compares a spilled scalar with
// the unbound scalar of an all-MISC slot only (scalar_reg_for_stack); here it goes byte by byte, a
// SPILL byte is not a MISC one, and the second path is walked on although the slot is read only
// as a value nothing depends on (Linux 6.18 processes 31 instructions, not 29).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int spill_narrow_not_pruned(void)
{
	asm volatile(
	"call %[get_prandom_u32];"
	"r6 = r0;"
	"r7 = 0;"
	"r8 = 0;"
	"r9 = 0;"
	"if r6 == 0 goto 1f;"
	"call %[get_prandom_u32];"
	"r7 = 1;"
	"r8 = 1;"
	"r9 = 1;"
	"r1 = 1;"
	"r2 = 1;"
	"r3 = 1;"
	"r4 = 1;"
	"r5 = 1;"
	"if r5 != 1 goto 2f;"
	"*(u64 *)(r10 - 16) = r0;"
	"goto 2f;"
"1:"
	"call %[get_prandom_u32];"
	"r1 = r0;"
	"*(u32 *)(r10 - 12) = r1;"
	"*(u32 *)(r10 - 16) = r0;"
	"r7 = 1;"
	"r8 = 1;"
	"r9 = 1;"
"2:"
	"r0 = *(u64 *)(r10 - 16);"
	"r0 = 2;"
	"exit;"
	:: __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;

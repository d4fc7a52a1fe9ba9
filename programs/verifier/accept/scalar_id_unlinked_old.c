// Accept: an old scalar linked to no other register prunes a current one that is linked.
// At the join both r6 and r8 are precise. The first path reaches it with r8 unlinked (id 0), r6 with
// the id it got from r0; the second with r8 = r6 (r6's id). 6.18.y's check_scalar_ids ("Relax scalar id
// equivalence for state pruning") accepts any links where the old scalar had none, so the second path
// is pruned at the join. Before, the old r8 got a temporary id that could
// not map to r6's, and the second path was walked to its end.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int scalar_id_unlinked_old(void)
{
	asm volatile(
	"call %[get_prandom_u32];"
	"r6 = r0;"
	"call %[get_prandom_u32];"
	"r7 = r0;"
	"call %[get_prandom_u32];"
	"r8 = 0;"
	"r8 |= r0;"
	"if r7 == 0 goto 1f;"
	"r2 = 1;"
	"r3 = 1;"
	"r4 = 1;"
	"r5 = 1;"
	"r2 = 2;"
	"r3 = 2;"
	"goto 2f;"
"1:"
	"r8 = r6;"
"2:"
	"r6 &= 7;"
	"r8 &= 7;"
	"r1 = r10;"
	"r1 += -16;"
	"r1 += r6;"
	"r1 += r8;"
	"r0 = 2;"
	"exit;"
	:: __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;

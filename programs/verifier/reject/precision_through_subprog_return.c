// Reject: precision follows a value through a subprogram's return.
// The first path (r6 = 0) reaches the checkpoint at l0, passes r6 to ident() as r1, gets it back as
// r0 and adds it to a stack pointer: the pointer arithmetic needs r0's exact value, so backtracking
// goes from the caller's r0 into ident's exit, r0 = r1, its entry, the caller's r1 and r6, and marks
// r6 precise in the checkpoint. The second path (r6 = 8) then differs from it and is walked: the store
// lands at fp+0. Without following the value across the call the second path would be pruned.
// Subprograms: libbpf appends ident() after the entry program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__attribute__((used)) static __naked __noinline int ident(void)
{
	asm volatile(
	"r0 = r1;"
	"exit;"
	::: __clobber_all);
}

SEC("xdp")
__naked int precision_through_subprog_return(void)
{
	asm volatile(
	"call %[get_prandom_u32];"
	"r7 = 0; r7 = 0; r7 = 0; r7 = 0; r7 = 0; r7 = 0; r7 = 0; r7 = 0;"
	"r6 = 8;"
	"if r0 != 0 goto l0_%=;"
	"r6 = 0;"
"l0_%=:"
	"r1 = r6;"
	"call ident;"
	"r1 = r10;"
	"r1 += -8;"
	"r1 += r0;"
	"r2 = 0;"
	"*(u64 *)(r1 + 0) = r2;"
	"r0 = 2;"
	"exit;"
	:: __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;

// Reject: precision follows a subprogram's argument back into its caller.
// store_at() adds its r1 to a pointer into its own stack: that needs r1's exact value, so backtracking
// goes from the callee's entry to the caller's r1 = r6 and marks r6 precise in the checkpoint at l0
// that the first path (r6 = 0) stored. The second path (r6 = 8) differs from it, is walked, and its
// store lands at fp+0 of store_at's frame. Without following the argument out of the callee the
// second path would be pruned at l0.
// Subprograms: libbpf appends store_at() after the entry program.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

__attribute__((used)) static __naked __noinline int store_at(void)
{
	asm volatile(
	"r2 = r10;"
	"r2 += -8;"
	"r2 += r1;"
	"r3 = 0;"
	"*(u64 *)(r2 + 0) = r3;"
	"r0 = 0;"
	"exit;"
	::: __clobber_all);
}

SEC("xdp")
__naked int precision_through_subprog_arg(void)
{
	asm volatile(
	"call %[get_prandom_u32];"
	"r7 = 0; r7 = 0; r7 = 0; r7 = 0; r7 = 0; r7 = 0; r7 = 0; r7 = 0;"
	"r6 = 8;"
	"if r0 != 0 goto l0_%=;"
	"r6 = 0;"
"l0_%=:"
	"r1 = r6;"
	"call store_at;"
	"r0 = 2;"
	"exit;"
	:: __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;

// Reject: helper size argument without an upper bound.
// bpf_xdp_load_bytes(ctx, off, buf, len) writes len bytes into an 8-byte stack buffer; len comes
// is a zero-extended u32 plus one (1..2^32) never compared with anything: positive, but far beyond
// what any buffer could hold (the verifier gives up on sizes past 1 << 29).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int helper_size_unbounded(void)
{
	asm volatile(
	"r6 = r1;"
	"call %[get_prandom_u32];"
	"w4 = w0;"
	"r4 += 1;"
	"r1 = r6;"
	"r2 = 0;"
	"r3 = r10;"
	"r3 += -8;"
	"call %[xdp_load_bytes];"
	"r0 = 2;"
	"exit;"
	:: __imm(get_prandom_u32), __imm(xdp_load_bytes)
	: __clobber_all);
}

LICENSE;

// Reject: ringbuf reservation of a variable size.
// The size of bpf_ringbuf_reserve() must be a known constant (ARG_CONST_ALLOC_SIZE_OR_ZERO), since
// it becomes the size of the returned memory; a masked variable is bounded but not known.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

RINGBUF_MAP(events);

SEC("xdp")
__naked int ringbuf_size_not_constant(void)
{
	asm volatile(
	"call %[get_prandom_u32];"
	"r2 = r0;"
	"r2 &= 15;"
	"r1 = %[events] ll;"
	"r3 = 0;"
	"call %[ringbuf_reserve];"
	"if r0 == 0 goto 1f;"
	ASM_RINGBUF_SUBMIT(r0)
"1:"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(events), __imm(ringbuf_reserve), __imm(ringbuf_submit), __imm(get_prandom_u32)
	: __clobber_all);
}

LICENSE;

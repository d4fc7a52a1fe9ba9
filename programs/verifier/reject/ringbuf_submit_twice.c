// Reject: ringbuf record submitted twice.
// Submitting releases the reference: every copy of the pointer is invalidated, so the second
// submit passes a scalar where a ringbuf_mem is expected.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

RINGBUF_MAP(events);

SEC("xdp")
__naked int ringbuf_submit_twice(void)
{
	asm volatile(
	ASM_RINGBUF_RESERVE(events, 8)
	"if r0 == 0 goto 1f;"
	"r6 = r0;"
	ASM_RINGBUF_SUBMIT(r6)
	ASM_RINGBUF_SUBMIT(r6)
"1:"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(events), __imm(ringbuf_reserve), __imm(ringbuf_submit)
	: __clobber_all);
}

LICENSE;

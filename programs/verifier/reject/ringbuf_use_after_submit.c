// Reject: write to a ringbuf record after submitting it.
// Once submitted the record belongs to the consumer; the kept copy of the pointer (r6) is
// invalidated by the release and is no longer memory.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

RINGBUF_MAP(events);

SEC("xdp")
__naked int ringbuf_use_after_submit(void)
{
	asm volatile(
	ASM_RINGBUF_RESERVE(events, 8)
	"if r0 == 0 goto 1f;"
	"r6 = r0;"
	ASM_RINGBUF_SUBMIT(r6)
	"r1 = 7;"
	"*(u64 *)(r6 + 0) = r1;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(events), __imm(ringbuf_reserve), __imm(ringbuf_submit)
	: __clobber_all);
}

LICENSE;

// Reject: write past the end of a ringbuf record.
// An 8-byte reservation is memory of size 8; a u64 store at offset 8 is outside it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

RINGBUF_MAP(events);

SEC("xdp")
__naked int ringbuf_write_past_record(void)
{
	asm volatile(
	ASM_RINGBUF_RESERVE(events, 8)
	"if r0 == 0 goto 1f;"
	"r1 = 7;"
	"*(u64 *)(r0 + 8) = r1;"
	ASM_RINGBUF_SUBMIT(r0)
"1:"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(events), __imm(ringbuf_reserve), __imm(ringbuf_submit)
	: __clobber_all);
}

LICENSE;

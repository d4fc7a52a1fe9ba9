// Reject: submit through a pointer moved inside the record.
// A release function must get the pointer exactly as the reserve returned it (offset 0).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

RINGBUF_MAP(events);

SEC("xdp")
__naked int ringbuf_submit_offset(void)
{
	asm volatile(
	ASM_RINGBUF_RESERVE(events, 16)
	"if r0 == 0 goto 1f;"
	"r0 += 8;"
	ASM_RINGBUF_SUBMIT(r0)
"1:"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(events), __imm(ringbuf_reserve), __imm(ringbuf_submit)
	: __clobber_all);
}

LICENSE;

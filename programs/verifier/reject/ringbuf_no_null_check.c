// Reject: ringbuf reservation written without a null check.
// bpf_ringbuf_reserve() returns NULL when the ring is full: ringbuf_mem_or_null.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

RINGBUF_MAP(events);

SEC("xdp")
__naked int ringbuf_no_null_check(void)
{
	asm volatile(
	ASM_RINGBUF_RESERVE(events, 8)
	"r1 = 7;"
	"*(u64 *)(r0 + 0) = r1;"
	ASM_RINGBUF_SUBMIT(r0)
	"r0 = 2;"
	"exit;"
	:: __imm_addr(events), __imm(ringbuf_reserve), __imm(ringbuf_submit)
	: __clobber_all);
}

LICENSE;

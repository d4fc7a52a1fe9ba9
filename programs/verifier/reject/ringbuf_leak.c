// Reject: ringbuf reservation never submitted nor discarded.
// bpf_ringbuf_reserve() returns a referenced pointer; at exit every reference must have been
// released (submit or discard), else the ring would stall on the unfinished record.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

RINGBUF_MAP(events);

SEC("xdp")
__naked int ringbuf_leak(void)
{
	asm volatile(
	ASM_RINGBUF_RESERVE(events, 8)
	"if r0 == 0 goto 1f;"
	"r1 = 7;"
	"*(u64 *)(r0 + 0) = r1;"
"1:"
	"r0 = 2;"
	"exit;"
	:: __imm_addr(events), __imm(ringbuf_reserve)
	: __clobber_all);
}

LICENSE;

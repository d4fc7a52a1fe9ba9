// Reject: submit of memory that was not reserved from the ring.
// bpf_ringbuf_submit() releases a reservation (ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE); a stack
// buffer is not one.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int ringbuf_submit_foreign(void)
{
	asm volatile(
	"r1 = 0;"
	"*(u64 *)(r10 - 8) = r1;"
	"r1 = r10;"
	"r1 += -8;"
	"r2 = 0;"
	"call %[ringbuf_submit];"
	"r0 = 2;"
	"exit;"
	:: __imm(ringbuf_submit)
	: __clobber_all);
}

LICENSE;

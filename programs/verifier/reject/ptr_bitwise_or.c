// Reject: bitwise operation on a pointer.
// Setting low bits of a pointer (tagging) is refused: |= has no meaning on a tracked pointer.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int ptr_bitwise_or(void)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + %[xdp_data]);"
	"r2 |= 1;"
	"r0 = 2;"
	"exit;"
	:: __xdp_data
	: __clobber_all);
}

LICENSE;

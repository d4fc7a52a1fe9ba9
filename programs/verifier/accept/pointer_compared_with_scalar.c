// Accept: a packet pointer compared with a constant (root only).
// For unprivileged programs comparing a pointer with a scalar leaks address bits ("pointer
// comparison prohibited"); root may, and the comparison proves nothing about either operand.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pointer_compared_with_scalar(void)
{
	asm volatile(
	"r2 = *(u32 *)(r1 + %[xdp_data]);"
	"r0 = 2;"
	"if r2 > 0x1000 goto 1f;"
	"r0 = 1;"
"1:"
	"exit;"
	:: __xdp_data
	: __clobber_all);
}

LICENSE;

// Reject: load through a plain number.
// An integer is not a pointer however it was computed; only typed pointers can be dereferenced.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int scalar_deref(void)
{
	asm volatile(
	"r2 = 4096;"
	"r0 = *(u8 *)(r2 + 0);"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;

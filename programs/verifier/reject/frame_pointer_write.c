// Reject: write to r10.
// The frame pointer is read-only: every stack access is checked relative to it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int frame_pointer_write(void)
{
	asm volatile(
	"r10 = 0;"
	"r0 = 2;"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;

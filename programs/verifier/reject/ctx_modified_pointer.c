// Reject: context access through a moved ctx pointer.
// Context loads are rewritten to the kernel's real structure by field offset, so the ctx pointer
// must be used unmodified: r1 + 4, then load at 0, is refused (the same field as r1 + 4 directly).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int ctx_modified_pointer(void)
{
	asm volatile(
	"r1 += 4;"
	"r0 = *(u32 *)(r1 + 0);"
	"exit;"
	:: 
	: __clobber_all);
}

LICENSE;

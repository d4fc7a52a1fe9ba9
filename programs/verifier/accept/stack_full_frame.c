// Accept: a stack frame of exactly 512 bytes.
// fp-512..fp-1 is the whole allowed stack (MAX_BPF_STACK); touching its lowest byte is fine.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int stack_full_frame(void)
{
	asm volatile(
	"r1 = 7;"
	"*(u64 *)(r10 - 512) = r1;"
	"*(u64 *)(r10 - 8) = r1;"
	"r0 = *(u64 *)(r10 - 512);"
	"r0 &= 3;"
	"exit;"
	::: __clobber_all);
}

LICENSE;

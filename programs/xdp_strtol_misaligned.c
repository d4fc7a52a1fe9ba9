// Refused: bpf_strtol's result (ARG_PTR_TO_FIXED_SIZE_MEM | MEM_ALIGNED, 8 bytes) 4 bytes off its alignment.
// tests/programs/base_helpers.test.ts holds the kernel's refusal (6.18).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_strtol_misaligned(struct xdp_md *ctx)
{
	char b[8] = "42";
	__u32 r[3] = {};

	bpf_strtol(b, 2, 0, (long *)&r[1]);
	return r[1] ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";

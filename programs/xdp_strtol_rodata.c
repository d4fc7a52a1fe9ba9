// Refused: bpf_strtol's result in .rodata (the helper writes it: MEM_WRITE into a read-only map).
// tests/programs/base_helpers.test.ts holds the kernel's refusal (6.18).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const long result = 0;

SEC("xdp")
int xdp_strtol_rodata(struct xdp_md *ctx)
{
	char b[8] = "42";

	return bpf_strtol(b, 2, 0, (long *)&result) > 0 ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";

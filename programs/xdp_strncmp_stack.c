// Refused: bpf_strncmp's s2 on the stack (ARG_PTR_TO_CONST_STR takes a map value only).
// tests/programs/base_helpers.test.ts holds the kernel's refusal (6.18).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_strncmp_stack(struct xdp_md *ctx)
{
	char a[8] = "hello";
	char b[8] = "hello";

	return bpf_strncmp(a, 5, b) ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";

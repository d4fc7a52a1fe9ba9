// Refused: bpf_strncmp's s2 at a variable offset into .rodata (ARG_PTR_TO_CONST_STR wants a constant address).
// tests/programs/base_helpers.test.ts holds the kernel's refusal (6.18).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const char target[8] = "hello";

SEC("xdp")
int xdp_strncmp_varoff(struct xdp_md *ctx)
{
	char b[8] = "hello";
	__u32 off = ctx->ingress_ifindex & 1;

	return bpf_strncmp(b, 4, target + off) ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";

// Refused: bpf_strncmp's s2 in .data, a map the program may write (not bpf_map_is_rdonly).
// tests/programs/base_helpers.test.ts holds the kernel's refusal (6.18).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char target[8] = "hello";

SEC("xdp")
int xdp_strncmp_rw(struct xdp_md *ctx)
{
	char b[8] = "hello";

	return bpf_strncmp(b, 5, target) ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";

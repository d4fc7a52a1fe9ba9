// Refused: bpf_strncmp's s2 in .rodata, with no NUL before the value's end.
// tests/programs/base_helpers.test.ts holds the kernel's refusal (6.18).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const char target[4] = { 'a', 'b', 'c', 'd' };

SEC("xdp")
int xdp_strncmp_unterminated(struct xdp_md *ctx)
{
	char b[8] = "abcd";

	return bpf_strncmp(b, 4, target) ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "GPL";

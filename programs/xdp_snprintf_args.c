// Refused: bpf_snprintf with two conversions and one u64 of data.
// tests/programs/base_helpers.test.ts holds the kernel's refusal (6.18).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static const char fmt[] = "%d %d";

SEC("xdp")
int xdp_snprintf_args(struct xdp_md *ctx)
{
	char s[16];
	__u64 a[1] = { 1 };

	return bpf_snprintf(s, sizeof(s), fmt, a, sizeof(a)) > 0 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";

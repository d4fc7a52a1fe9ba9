// Refused: bpf_snprintf with a precision ("%5.2d"), which bpf_bprintf_prepare does not take.
// tests/programs/base_helpers.test.ts holds the kernel's refusal (6.18).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static const char fmt[] = "x=%5.2d";

SEC("xdp")
int xdp_snprintf_badfmt(struct xdp_md *ctx)
{
	char s[16];
	__u64 a[1] = { 1 };

	return bpf_snprintf(s, sizeof(s), fmt, a, sizeof(a)) > 0 ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";

// fib_probe: the differential oracle's probe for bpf_fib_lookup. The frame carries the question and
// receives the answer, so BPF_PROG_TEST_RUN's data_out holds everything the helper did:
//
//   +0  struct bpf_fib_lookup (64 bytes): the parameters in, the helper's struct out
//   +64 u32 flags (BPF_FIB_LOOKUP_*) in
//   +68 s32 the helper's return value out (a BPF_FIB_LKUP_RET_* code or -errno)
//   +72 8 bytes, untouched
//
// Frames shorter than 72 bytes are dropped (XDP_DROP); every answered frame returns XDP_PASS.
// Helpers: bpf_fib_lookup (69).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define PROBE_LEN 72

SEC("xdp")
int fib_probe(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct bpf_fib_lookup params;
	__u32 flags;
	long rc;

	if (data + PROBE_LEN > data_end)
		return XDP_DROP;
	__builtin_memcpy(&params, data, sizeof(params));
	flags = *(__u32 *)(data + 64);
	rc = bpf_fib_lookup(ctx, &params, sizeof(params), flags);
	__builtin_memcpy(data, &params, sizeof(params));
	*(__s32 *)(data + 68) = (__s32)rc;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

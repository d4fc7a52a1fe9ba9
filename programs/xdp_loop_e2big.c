// xdp_loop_e2big: what bpf_loop returns for a count over BPF_MAX_LOOPS (1 << 23), where the kernel's
// verifier inlines the call and where it does not. inline_bpf_loop (kernel/bpf/verifier.c) sets the
// inlined loop's error with BPF_MOV32_IMM(r0, -E2BIG): r0 = 0xfffffff9, zero-extended, positive as a
// long; the helper (kernel/bpf/bpf_iter.c) returns the 64-bit -E2BIG. The count comes from `args` key 0;
// `inlined` calls with flags 0 (a known zero: inlined), `helper` with the flags of key 1 (unknown to the
// verifier: not inlined). Each stores what bpf_loop returned at `args` key 2 and returns XDP_DROP when
// that is negative as a long, else XDP_PASS.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 3);
} args SEC(".maps");

static int step(__u32 i, void *ctx)
{
	return 0;
}

static __always_inline int finish(long r)
{
	__u32 k = 2;

	bpf_map_update_elem(&args, &k, &r, 0);
	return r < 0 ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int inlined(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u64 *n = bpf_map_lookup_elem(&args, &k);

	if (!n)
		return XDP_ABORTED;
	return finish(bpf_loop(*n, step, 0, 0));
}

SEC("xdp")
int helper(struct xdp_md *ctx)
{
	__u32 k = 0, f = 1;
	__u64 *n = bpf_map_lookup_elem(&args, &k);
	__u64 *flags = bpf_map_lookup_elem(&args, &f);

	if (!n || !flags)
		return XDP_ABORTED;
	return finish(bpf_loop(*n, step, 0, *flags));
}

char _license[] SEC("license") = "GPL";

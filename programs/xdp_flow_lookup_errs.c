// bpf_xdp_flow_lookup's error answers (net/netfilter/nf_flow_table_bpf.c), one program each, returning
// -opts.error as the XDP verdict's value so a test run shows it: opts_len 8 (≠ sizeof, -EINVAL 22),
// family 7 (neither AF_INET nor AF_INET6, -EAFNOSUPPORT 97), AF_INET on a device in no flowtable
// (-ENOENT 2). `flow_lookup_deref` reads through the returned pointer after its NULL check (the kernel
// allows it through the struct's BTF, which wxdp lacks: refused); `flow_lookup_nullderef` reads
// without the check (refused by both). Built with -DDEREF / -DNULLDEREF into their own objects.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "xdp_flow_lookup.h"


static __always_inline int lookup(struct xdp_md *ctx, __u8 family, __u32 len)
{
	struct bpf_flowtable_opts opts = {};
	struct bpf_fib_lookup t = {};

	t.family = family;
	t.ifindex = ctx->ingress_ifindex;
	if (bpf_xdp_flow_lookup(ctx, &t, &opts, len))
		return 1000;
	return -opts.error;
}

SEC("xdp")
int flow_lookup_badlen(struct xdp_md *ctx)
{
	return lookup(ctx, 2, 8);
}

SEC("xdp")
int flow_lookup_badfamily(struct xdp_md *ctx)
{
	return lookup(ctx, 7, sizeof(struct bpf_flowtable_opts));
}

SEC("xdp")
int flow_lookup_noft(struct xdp_md *ctx)
{
	return lookup(ctx, 2, sizeof(struct bpf_flowtable_opts));
}

char _license[] SEC("license") = "GPL";

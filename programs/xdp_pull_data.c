// bpf_xdp_pull_data (the kfunc Linux 6.18 added, net/core/filter.c): make the first `pull_len` bytes
// of a multi-buffer frame linear, taking the tailroom first and moving metadata and data down into
// the headroom when it is short, then touch the byte at `probe` by direct packet access.
// What the run saw lands in `io` (.bss): the kfunc's return, the linear length before and after, the
// metadata length and the whole length (bpf_xdp_get_buff_len). The byte read is written back
// complemented, so data_out shows where it was.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern int bpf_xdp_pull_data(struct xdp_md *x, __u32 len) __ksym;

/* In: pull_len and probe. Out: the rest. One struct, so that its layout is the source's. */
struct {
	__u32 pull_len;
	__u32 probe;
	__s32 ret;
	__u32 linear_before;
	__u32 linear_after;
	__u32 meta_len;
	__u32 buff_len;
	__u32 seen;
	__s32 grow;	/* in: xdp_pull_grow's bpf_xdp_adjust_tail offset */
	__s32 grown;	/* out: its return */
} io;

SEC("xdp.frags")
int xdp_pull(struct xdp_md *ctx)
{
	__u8 *p;

	io.linear_before = ctx->data_end - ctx->data;
	io.ret = bpf_xdp_pull_data(ctx, io.pull_len);
	io.linear_after = ctx->data_end - ctx->data;
	io.meta_len = ctx->data - ctx->data_meta;
	io.buff_len = bpf_xdp_get_buff_len(ctx);
	if (io.ret)
		return XDP_DROP;
	p = (__u8 *)(long)ctx->data + (io.probe & 0x3fff);
	if ((void *)(p + 1) > (void *)(long)ctx->data_end)
		return XDP_ABORTED;
	io.seen = *p;
	*p = ~io.seen;
	return XDP_PASS;
}

/*
 * Pull, then grow the tail: the last fragment's room is its page less where its bytes end, which a
 * pull from the first fragment does not change (bpf_xdp_shrink_data moves that fragment's offset).
 */
SEC("xdp.frags")
int xdp_pull_grow(struct xdp_md *ctx)
{
	io.ret = bpf_xdp_pull_data(ctx, io.pull_len);
	io.grown = bpf_xdp_adjust_tail(ctx, io.grow);
	io.buff_len = bpf_xdp_get_buff_len(ctx);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

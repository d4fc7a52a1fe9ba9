// A frame grown at the head into bytes the program leaves unwritten: bpf_xdp_adjust_head(-16), then
// bpf_xdp_adjust_meta(-32). A frame whose first byte is odd gets those 48 bytes filled with 0xa5; any
// other frame keeps what the headroom held, which in a test run is zeros (bpf_test_init allocates the
// buffer zeroed for every BPF_PROG_TEST_RUN), whatever an earlier run wrote there.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_headroom(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 first;

	if (data + 14 > end)
		return XDP_ABORTED;
	first = *(__u8 *)data;
	if (bpf_xdp_adjust_head(ctx, -16) || bpf_xdp_adjust_meta(ctx, -32))
		return XDP_ABORTED;
	if (first & 1) {
		__u8 *meta = (void *)(long)ctx->data_meta;
		__u8 *head = (void *)(long)ctx->data;

		if (meta + 32 > head || (void *)(head + 16) > (void *)(long)ctx->data_end)
			return XDP_ABORTED;
		__builtin_memset(meta, 0xa5, 32);
		__builtin_memset(head, 0xa5, 16);
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

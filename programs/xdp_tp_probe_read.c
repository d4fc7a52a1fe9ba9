// A classic tracepoint program on an XDP event calling bpf_probe_read_kernel_str, which wxdp does
// not provide: refused (PROG_UNSUPPORTED) with the program's type named, not XDP's (the kernel
// selftests' test_xdp_attach_fail.c reads bpf_xdp_link_attach_failed's message this way).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tracepoint/xdp/xdp_exception")
int tp_read_str(void *ctx)
{
	char buf[16];

	return bpf_probe_read_kernel_str(buf, sizeof(buf), ctx) < 0;
}

char _license[] SEC("license") = "GPL";

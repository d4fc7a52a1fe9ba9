// xdp_probe_read: bpf_probe_read_kernel's answers (kernel/trace/bpf_trace.c, mm/maccess.c): a read from
// an address that is no kernel memory (x86-64: below TASK_SIZE_MAX + a page, so NULL and every 32-bit
// address) fails with -ERANGE and zeroes the destination; a read of the program's own stack copies.
// The return value packs them: bit 0 NULL gave -ERANGE, bit 1 its destination was zeroed, bit 2
// 0xfffffff8 gave -ERANGE, bit 3 zeroed, bit 4 the stack copy returned 0 and copied.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_probe_read(struct xdp_md *ctx)
{
	__u64 src = 0x1122334455667788ULL, dst = ~0ULL;
	int ret = 0;

	if (bpf_probe_read_kernel(&dst, sizeof(dst), (void *)0) == -34)
		ret |= 1;
	if (dst == 0)
		ret |= 2;
	dst = ~0ULL;
	if (bpf_probe_read_kernel(&dst, sizeof(dst), (void *)0xfffffff8UL) == -34)
		ret |= 4;
	if (dst == 0)
		ret |= 8;
	if (bpf_probe_read_kernel(&dst, sizeof(dst), &src) == 0 && dst == src)
		ret |= 16;
	return ret;
}

char _license[] SEC("license") = "GPL";

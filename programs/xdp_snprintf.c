// bpf_snprintf (165) in XDP: twelve formats, each answer (s64 return, then the first 24 bytes of the
// 32-byte output buffer) written over the frame, so that data_out carries them; XDP_TX when the frame
// holds OUT_BYTES, else XDP_PASS untouched. tests/programs/base_helpers.test.ts holds the kernel's data_out
// (6.18) and what each case means.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CASES 12
#define OUT_BYTES (CASES * 32)

#define SNPRINTF(i, size, fmt, ...)                                               \
	do {                                                                      \
		static const char f[] = fmt;                                      \
		__u64 a[] = { __VA_ARGS__ };                                      \
		char s[32];                                                       \
		__builtin_memset(s, '.', sizeof(s));                              \
		*(__s64 *)(out + 32 * (i)) = bpf_snprintf(size ? s : 0, size, f, a, sizeof(a)); \
		__builtin_memcpy(out + 32 * (i) + 8, s, 24);                      \
	} while (0)

SEC("xdp")
int xdp_snprintf(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	char *out = data;
	char hi[4] = "hi";
	__u8 v4[4] = { 192, 0, 2, 1 };
	__u8 v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	if (data + OUT_BYTES > end)
		return XDP_PASS;
	SNPRINTF(0, 32, "a=%d b=%-5u| c=%05x", -3, 7, 0xab);
	SNPRINTF(1, 32, "%+d % d %lld %llu", 5, 5, -1, -1);
	SNPRINTF(2, 32, "%x %X %lx %c%c", 0xdeadbeef, 0xbeef, 0x1234567890, 'o', 'k');
	SNPRINTF(3, 32, "%s|%6s|%-4s|", (long)hi, (long)hi, (long)hi);
	SNPRINTF(4, 32, "%pI4 %pi4", (long)v4, (long)v4);
	SNPRINTF(5, 32, "%pI6", (long)v6);
	SNPRINTF(6, 32, "%pi6", (long)v6);
	SNPRINTF(7, 32, "%px|%8x|%-8d|", 0x1234, 0x1234, -12);
	SNPRINTF(8, 8, "hello world %d", 42);
	SNPRINTF(9, 0, "hello world %d", 42);
	SNPRINTF(10, 32, "[%s] %d", 0, 1);
	SNPRINTF(11, 32, "100%% %05d %-3c|", -42, 'x');
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";

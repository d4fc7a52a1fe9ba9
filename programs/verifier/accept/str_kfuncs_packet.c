// Accept: the string kfuncs over a NUL-terminated string in the frame, and over constants.
// Their string arguments are `__ign`: a packet pointer, a .rodata string, even a number pass the
// verifier, and each kfunc reads the bytes itself (__get_kernel_nofault): a number below the kernel's
// address space is -ERANGE, not a fault. Bytes are unsigned chars, as the kernel is built ("\x80" sorts above "a");
// strcasecmp folds Latin-1 too (0xc0 is 0xe0). The 18 results are stored after the string, at byte 64.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"
#include "str_kfuncs.h"

SEC("xdp")
int str_kfuncs_packet(struct xdp_md *ctx)
{
	char *s = (char *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const char *user = (const char *)(long)(0x20 + (ctx->rx_queue_index & 8));
	__s32 *r = (__s32 *)(s + 64);

	if ((void *)(r + 18) > data_end)
		return XDP_ABORTED;
	r[0] = bpf_strlen(s);
	r[1] = bpf_strcmp(s, "GET /");
	r[2] = bpf_strcasecmp(s, "get /index.html http/1.1");
	r[3] = bpf_strchr(s, ':');
	r[4] = bpf_strchrnul(s, '#');
	r[5] = bpf_strnchr(s, 4, ' ');
	r[6] = bpf_strrchr(s, '/');
	r[7] = bpf_strnlen(s, 3);
	r[8] = bpf_strspn(s, "GETS ");
	r[9] = bpf_strcspn(s, "/\r");
	r[10] = bpf_strstr(s, "HTTP");
	r[11] = bpf_strnstr(s, "HTTP", 20);
	r[12] = bpf_strlen(user);
	r[13] = bpf_strcmp("\x80", "a");
	r[14] = bpf_strcasecmp("\xc0x", "\xe0X");
	r[15] = bpf_strchr(s, 0);
	r[16] = bpf_strrchr(s, 0xff);
	r[17] = bpf_strchr(s, 0xff);
	return XDP_PASS;
}

LICENSE;

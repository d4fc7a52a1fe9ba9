// xdp_may_goto: loops bounded by the kernel's may_goto instead of by the verifier, written with the
// can_loop and cond_break macros of the kernel's tools/testing/selftests/bpf/bpf_experimental.h (the
// spelling for compilers without the may_goto mnemonic: clang 14 emits the raw instruction, opcode
// 0xe5 = BPF_JMP | BPF_JCOND, src_reg BPF_MAY_GOTO). The verifier does not bound these loops: it
// explores the jump (the budget spent) first and one more iteration at a time, its imprecise scalars
// widened, until an iteration adds nothing (is_state_visited's RANGE_WITHIN at the may_goto).
//   mg_sum    the bytes at 14 + (i & 31) (a stack copy: a packet pointer plus a variable has no range) for i from the frame's byte 14 (an unknown count) down to 1,
//             can_loop; the sum's low 2 bits are the verdict (0 ABORTED .. 3 TX). The index counts down
//             from an unknown value: it is precise (it addresses the packet), and only ranges that nest
//             ([1, 255], then [1, 254]) let the iterations converge; counting up from 0 never does.
//   mg_tlv    a walk over type-length-value records in the 64 bytes after the Ethernet header (type 0
//             or 200 records end it: offsets wrap modulo 64 and may cycle), cond_break; the last type
//             seen and the records walked go into the frame's first two bytes. XDP_TX, or XDP_PASS for
//             frames under 78 bytes. (A walk that only the budget ends would differ from run to run on
//             x86-64, whose timed may_goto allows 250 ms; the interpreter's 8M is tested by hand.)
//   mg_calls  a static function with its own can_loop loop (the bytes among the frame's first 16 below
//             a limit, counted limit times), called twice with the frame's bytes 12 and 13 as limits:
//             each call has its own budget (a hidden stack slot per subprogram); the sum into byte 0.
// Maps: none. Helpers: none.
#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

/* bpf_experimental.h's little-endian definitions for a compiler without __BPF_FEATURE_MAY_GOTO, their
 * shared `may_goto l_break` (e5 00 off16 00 00 00 00) written once */
#define __may_goto_l_break						\
	asm volatile goto("1:.byte 0xe5;				\
		      .byte 0;						\
		      .long ((%l[l_break] - 1b - 8) / 8) & 0xffff;	\
		      .short 0"						\
		      :::: l_break)

#define can_loop					\
	({ __label__ l_break, l_continue;		\
	bool ret = true;				\
	__may_goto_l_break;				\
	goto l_continue;				\
	l_break: ret = false;				\
	l_continue:;					\
	ret;						\
	})

#define __cond_break(expr)				\
	({ __label__ l_break, l_continue;		\
	__may_goto_l_break;				\
	goto l_continue;				\
	l_break: expr;					\
	l_continue:;					\
	})
#define cond_break __cond_break(break)

SEC("xdp")
int mg_sum(struct xdp_md *ctx)
{
	unsigned char *p = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 buf[32];
	__u32 n, s = 0;

	if ((void *)(p + 14 + 32) > end)
		return XDP_PASS;
	__builtin_memcpy(buf, p + 14, sizeof(buf));
	n = buf[0];
	for (__u64 i = n; i > 0 && can_loop; i--)
		s += buf[i & 31];
	return s & 3;
}

SEC("xdp")
int mg_tlv(struct xdp_md *ctx)
{
	unsigned char *p = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 buf[64];
	__u32 off = 0, last = 0, walked = 0;

	if ((void *)(p + 14 + 64) > end)
		return XDP_PASS;
	__builtin_memcpy(buf, p + 14, sizeof(buf));
	for (;;) {
		__u8 type = buf[off & 63];

		cond_break;
		if (type == 0 || walked == 200)
			break;
		last = type;
		walked++;
		off = (off + 2 + buf[(off + 1) & 63]) & 63;
	}
	p[0] = last;
	p[1] = walked;
	return XDP_TX;
}

static __attribute__((noinline)) __u32 count_below(unsigned char *p, __u32 limit)
{
	__u32 c = 0;

	for (__u64 i = limit; i > 0 && can_loop; i--)
		if (p[i & 15] < limit)
			c++;
	return c;
}

SEC("xdp")
int mg_calls(struct xdp_md *ctx)
{
	unsigned char *p = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u8 buf[16];
	__u32 a, b;

	if ((void *)(p + 16) > end)
		return XDP_PASS;
	__builtin_memcpy(buf, p, sizeof(buf));
	a = count_below(buf, buf[12]);
	b = count_below(buf, buf[13]);
	p[0] = a + b;
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";

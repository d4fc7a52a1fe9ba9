// xdp_sampler: sends a summary of every Nth frame (N = sample_every in .rodata, default 3; the 1st,
// 4th, 7th ... frame) to user space through a BPF_MAP_TYPE_RINGBUF. Deterministic on purpose: a
// counter decides, not bpf_get_prandom_u32. IP frames are written in place with
// bpf_ringbuf_reserve / bpf_ringbuf_submit (or bpf_ringbuf_discard when the frame is shorter than
// 32 bytes), other frames are built on the stack and copied with bpf_ringbuf_output. Each sample
// holds the sequence number, frame length, ethertype and the first 32 bytes (or 14, for short
// frames). `sampler_stats` (ARRAY) counts seen / sampled / discarded / ring-full.
// Ring buffer contents cannot be read by bpftool, so the recorded results show `sampler_stats` and the
// ring buffer is for the wxdp side to check.
// Helpers: bpf_map_lookup_elem, bpf_ringbuf_reserve, bpf_ringbuf_submit, bpf_ringbuf_discard,
// bpf_ringbuf_output.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define HEAD_LEN 32

const volatile __u32 sample_every = 3;

enum { STAT_SEEN, STAT_SAMPLED, STAT_DISCARDED, STAT_RING_FULL, STAT_MAX };

struct sample {
	__u32 seq;
	__u16 frame_len;
	__u16 eth_proto; /* network byte order */
	__u16 head_len;
	__u16 pad;
	__u8 head[HEAD_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, STAT_MAX);
} sampler_stats SEC(".maps");

static __always_inline __u64 bump(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&sampler_stats, &slot);

	if (!n)
		return 0;
	return __sync_fetch_and_add(n, 1);
}

SEC("xdp")
int xdp_sampler(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 zero = STAT_SEEN;
	__u64 *seen;
	__u64 seq;

	seen = bpf_map_lookup_elem(&sampler_stats, &zero);
	if (!seen)
		return XDP_PASS;
	seq = *seen;
	*seen = seq + 1;
	if (sample_every == 0 || seq % sample_every != 0)
		return XDP_PASS;
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	if (eth->h_proto == bpf_htons(ETH_P_IP) || eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct sample *s = bpf_ringbuf_reserve(&samples, sizeof(*s), 0);

		if (!s) {
			bump(STAT_RING_FULL);
			return XDP_PASS;
		}
		if (data + HEAD_LEN > data_end) { /* a truncated IP frame: not worth a sample */
			bpf_ringbuf_discard(s, 0);
			bump(STAT_DISCARDED);
			return XDP_PASS;
		}
		s->seq = seq;
		s->frame_len = data_end - data;
		s->eth_proto = eth->h_proto;
		s->head_len = HEAD_LEN;
		s->pad = 0;
		__builtin_memcpy(s->head, data, HEAD_LEN);
		bpf_ringbuf_submit(s, 0);
	} else {
		struct sample s;

		__builtin_memset(&s, 0, sizeof(s));
		s.seq = seq;
		s.frame_len = data_end - data;
		s.eth_proto = eth->h_proto;
		if (data + HEAD_LEN <= data_end) {
			__builtin_memcpy(s.head, data, HEAD_LEN);
			s.head_len = HEAD_LEN;
		} else {
			__builtin_memcpy(s.head, data, ETH_HLEN);
			s.head_len = ETH_HLEN;
		}
		if (bpf_ringbuf_output(&samples, &s, sizeof(s), 0)) {
			bump(STAT_RING_FULL);
			return XDP_PASS;
		}
	}
	bump(STAT_SAMPLED);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

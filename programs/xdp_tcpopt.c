// xdp_tcpopt: a header walk with a variable count, the loop suite's (xdp_loops.c) fifth shape, in an
// object of its own for its long verification (Linux 6.18 and wxdp both process 262,417 instructions):
// the TCP options of an untagged IPv4 frame (kind, length, as
// many bytes as doff says, 16 options at most), MSS clamped to 1400 with an RFC 1624 checksum update
// (XDP_TX when clamped), the option kinds seen counted once per frame in an ARRAY. Else XDP_PASS.
// Maps: ARRAY. Helpers: bpf_map_lookup_elem.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MSS_CLAMP 1400

/* frames per option kind seen: 0 unused, 1 NOP, 2 MSS, 3 WS, 4 SACK-permitted, 5 SACK, 8 TS, 9 other, 10 clamped */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 11);
} tcpopt_seen SEC(".maps");

/* option kind -> slot of tcpopt_seen */
const volatile __u8 opt_slot[9] = { 0, 1, 2, 3, 4, 5, 9, 9, 8 };

static __always_inline void seen(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&tcpopt_seen, &slot);

	if (c)
		*c += 1;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit word m -> m'. */
static __always_inline __u16 csum_replace2(__u16 check, __u16 old, __u16 new)
{
	__u32 s = (__u16)~check + (__u16)~old + (__u32)new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s;
}

SEC("xdp")
int loop_tcpopt(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct tcphdr *tcp;
	unsigned char *opt;
	__u32 optlen, off = 0, mask = 0;
	__u16 check;

	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl < 5 || ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	tcp = (void *)ip + ip->ihl * 4;
	if ((void *)(tcp + 1) > end || tcp->doff < 5)
		return XDP_PASS;
	opt = (unsigned char *)(tcp + 1);

	/* 16 options at most, walked by an offset the verifier keeps in [0, 64) */
	optlen = tcp->doff * 4 - sizeof(*tcp);
	check = tcp->check;
	for (int i = 0; i < 16; i++) {
		unsigned char *o;
		__u8 kind, len;

		if (off >= optlen)
			break;
		o = opt + (off & 0x3f);
		if ((void *)(o + 2) > end)
			break;
		kind = o[0];
		if (kind == 0)
			break;
		len = kind == 1 ? 1 : o[1];
		if (len == 0)
			break;
		if (kind == 2 && len == 4 && (void *)(o + 4) <= end) {
			__u16 *mss = (__u16 *)(o + 2);
			__u16 old = *mss;

			if (bpf_ntohs(old) > MSS_CLAMP) {
				*mss = bpf_htons(MSS_CLAMP);
				tcp->check = csum_replace2(tcp->check, old, *mss);
			}
		}
		mask |= 1u << (kind < sizeof(opt_slot) ? opt_slot[kind] : 9);
		off += len;
	}
	/* the kinds seen, counted once after the walk: a map update per option multiplies the verifier's states */
	for (__u32 slot = 1; slot < 10; slot++)
		if (mask & (1u << slot))
			seen(slot);
	/* read back from the packet, not kept in a variable: a flag would double the verifier's states */
	if (tcp->check != check) {
		seen(10);
		return XDP_TX;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";

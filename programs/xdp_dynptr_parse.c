// xdp_dynptr_parse: a frame walked only through an XDP dynptr, never through ctx->data. The Ethernet
// header and one 802.1Q tag come through bpf_dynptr_slice with a stack buffer; the IPv4 header through
// bpf_dynptr_slice, its TTL decremented and checksum updated per RFC 1624 when TTL > 1 by
// bpf_dynptr_write of header bytes 8..11 (6.18.44-fc-v1252 refuses bpf_dynptr_slice_rdwr); IPv6's
// first 8 bytes by bpf_dynptr_read; the L4 ports through a clone of the dynptr moved to the L4 header
// with bpf_dynptr_adjust, whose bpf_dynptr_size is recorded. UDP frames get their MACs swapped (the
// source copied to the destination by bpf_dynptr_copy within the dynptr, the old destination written
// back by bpf_dynptr_write) and go back out (XDP_TX); TCP frames to port 9 have their payload's first
// 4 bytes cleared with bpf_dynptr_memset and are dropped. Per-frame facts land in `dyn_stats` (ARRAY,
// slot = L3 kind): counts, the last L4 view size, ports, and what bpf_dynptr_from_xdp with a flag
// (-EINVAL), bpf_dynptr_is_null, _is_rdonly and _size answer (the bools as bytes: the kernel defines
// only the low byte of a kfunc's bool result). A local dynptr over a map value
// (bpf_dynptr_from_mem) receives the frame's first 16 bytes by bpf_dynptr_copy, and bpf_dynptr_data
// of it is read back.
#include "xdp_dynptr.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>

extern int bpf_dynptr_adjust(const struct bpf_dynptr *p, __u32 start, __u32 end) __ksym;
extern _Bool bpf_dynptr_is_null(const struct bpf_dynptr *p) __ksym;
extern _Bool bpf_dynptr_is_rdonly(const struct bpf_dynptr *p) __ksym;
extern __u32 bpf_dynptr_size(const struct bpf_dynptr *p) __ksym;
extern int bpf_dynptr_clone(const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit) __ksym;
extern int bpf_dynptr_copy(struct bpf_dynptr *dst, __u32 dst_off, struct bpf_dynptr *src, __u32 src_off, __u32 size) __ksym;
extern int bpf_dynptr_memset(struct bpf_dynptr *p, __u32 offset, __u32 size, __u8 val) __ksym;

struct dyn_stat {
	__u64 frames;
	__u32 l4_size;
	__u32 ports;
	__s32 bad_flags;
	__u32 null_size;
	__u8 null_bad, null_d, rdonly_d, rdonly_bad;
	__u8 head[16];
	__u32 head_sum;
	__s32 last_err;
};

enum { K_SHORT, K_OTHER, K_IPV4, K_IPV6, K_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct dyn_stat);
	__uint(max_entries, K_MAX);
} dyn_stats SEC(".maps");

static __always_inline __u16 csum_fold_add(__u16 csum, __u16 old, __u16 new)
{
	__u32 s = (__u16)~csum + (__u16)~old + new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s;
}

SEC("xdp")
int xdp_dynptr_parse(struct xdp_md *ctx)
{
	struct bpf_dynptr d, bad, l4, local;
	__u8 ebuf[ETH_HLEN], ibuf[sizeof(struct iphdr)], v6[8], mac[6];
	struct ethhdr *eth;
	const struct iphdr *ip;
	__u32 kind = K_OTHER, off = ETH_HLEN, proto = 0, key;
	__u16 h_proto, ports[2] = {};
	struct dyn_stat *st;
	__u8 *p;
	int verdict = XDP_PASS, have_l4 = 0;
	long err = 0;

	if (bpf_dynptr_from_xdp(ctx, 0, &d))
		return XDP_ABORTED;
	eth = bpf_dynptr_slice(&d, 0, ebuf, sizeof(ebuf));
	if (!eth) {
		kind = K_SHORT;
		goto out;
	}
	h_proto = eth->h_proto;
	if (h_proto == bpf_htons(ETH_P_8021Q)) {
		__u16 *tag = bpf_dynptr_slice(&d, ETH_HLEN + 2, ebuf, 2);

		if (!tag) {
			kind = K_SHORT;
			goto out;
		}
		h_proto = *tag;
		off += 4;
	}
	if (h_proto == bpf_htons(ETH_P_IP)) {
		kind = K_IPV4;
		ip = bpf_dynptr_slice(&d, off, ibuf, sizeof(ibuf));
		if (!ip) {
			kind = K_SHORT;
			goto out;
		}
		proto = ip->protocol;
		if (ip->ttl > 1) {
			// ttl, protocol and check (bytes 8..11), written back whether the slice is the frame or
			// the buffer (a frame in pieces)
			struct { __u8 ttl, protocol; __u16 check; } w = { ip->ttl - 1, ip->protocol, 0 };

			w.check = csum_fold_add(ip->check, *(__u16 *)&ip->ttl, *(__u16 *)&w);
			err = bpf_dynptr_write(&d, off + 8, &w, sizeof(w), 0);
		}
		off += (ip->ihl & 0xf) * 4;
	} else if (h_proto == bpf_htons(ETH_P_IPV6)) {
		kind = K_IPV6;
		err = bpf_dynptr_read(v6, sizeof(v6), &d, off, 0);
		if (err) {
			kind = K_SHORT;
			goto out;
		}
		proto = v6[6];
		off += sizeof(struct ipv6hdr);
	}
	if (kind != K_OTHER && (proto == IPPROTO_UDP || proto == IPPROTO_TCP)) {
		bpf_dynptr_clone(&d, &l4);
		have_l4 = 1;
		err = bpf_dynptr_adjust(&l4, off, bpf_dynptr_size(&d));
		if (!err)
			err = bpf_dynptr_read(ports, sizeof(ports), &l4, 0, 0);
		if (!err && proto == IPPROTO_UDP) {
			if (bpf_dynptr_read(mac, sizeof(mac), &d, 0, 0) == 0 &&
			    bpf_dynptr_copy(&d, 0, &d, 6, 6) == 0 &&
			    bpf_dynptr_write(&d, 6, mac, sizeof(mac), 0) == 0)
				verdict = XDP_TX;
		} else if (!err && ports[1] == bpf_htons(9)) {
			err = bpf_dynptr_memset(&l4, 20, 4, 0);
			verdict = XDP_DROP;
		}
	}
out:
	key = kind;
	st = bpf_map_lookup_elem(&dyn_stats, &key);
	if (!st)
		return XDP_ABORTED;
	st->frames++;
	st->last_err = err;
	if (have_l4) {
		st->l4_size = bpf_dynptr_size(&l4);
		st->ports = ((__u32)bpf_ntohs(ports[0]) << 16) | bpf_ntohs(ports[1]);
	}
	st->bad_flags = bpf_dynptr_from_xdp(ctx, 1, &bad);
	// bool answers are stored as bytes: the kernel defines only the low byte of a kfunc's bool result
	st->null_bad = bpf_dynptr_is_null(&bad);
	st->null_d = bpf_dynptr_is_null(&d);
	st->null_size = bpf_dynptr_size(&bad);
	st->rdonly_d = bpf_dynptr_is_rdonly(&d);
	st->rdonly_bad = bpf_dynptr_is_rdonly(&bad);
	if (bpf_dynptr_from_mem(st->head, sizeof(st->head), 0, &local) == 0 &&
	    bpf_dynptr_copy(&local, 0, &d, 0, sizeof(st->head)) == 0) {
		p = bpf_dynptr_data(&local, 12, 4);
		if (p)
			st->head_sum = p[0] + p[1] + p[2] + p[3];
	}
	return verdict;
}

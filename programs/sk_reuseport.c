// sk_reuseport: a BPF_PROG_TYPE_SK_REUSEPORT program in the shape of the kernel selftests'
// test_select_reuseport_kern.c: the first byte of the UDP payload names the member of the reuseport
// group (an index of reuseport_array) that receives the datagram.
//
//   0x00-0xfb   bpf_sk_select_reuseport(index); an error (ENOENT for an empty slot…) drops
//   0xfe        SK_PASS without a selection: the kernel's choice by hash
//   0xff        SK_DROP
//
//   reuseport_array   REUSEPORT_SOCKARRAY, the group's sockets by index (user space fills it)
//   seen              array[1]: the last context and the last helper error (tests read it)
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} reuseport_array SEC(".maps");

struct reuseport_seen {
	__u32 len;
	__u32 eth_protocol;
	__u32 ip_protocol;
	__u32 bind_inany;
	__u32 hash;
	__u32 sk_family;
	__u32 sk_src_port;
	__s32 err;
	__u32 runs;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct reuseport_seen);
} seen SEC(".maps");

SEC("sk_reuseport")
int select_by_payload(struct sk_reuseport_md *reuse_md)
{
	void *data = reuse_md->data, *data_end = reuse_md->data_end;
	struct udphdr *udp = data;
	struct reuseport_seen *s;
	__u32 zero = 0, index;
	__u8 *cmd;
	long err;

	s = bpf_map_lookup_elem(&seen, &zero);
	if (!s)
		return SK_DROP;
	s->len = reuse_md->len;
	s->eth_protocol = reuse_md->eth_protocol;
	s->ip_protocol = reuse_md->ip_protocol;
	s->bind_inany = reuse_md->bind_inany;
	s->hash = reuse_md->hash;
	s->sk_family = reuse_md->sk->family;
	s->sk_src_port = reuse_md->sk->src_port;
	s->runs++;

	if (reuse_md->ip_protocol != IPPROTO_UDP)
		return SK_DROP;
	cmd = (__u8 *)(udp + 1);
	if ((void *)(cmd + 1) > data_end)
		return SK_DROP;
	if (*cmd == 0xff)
		return SK_DROP;
	if (*cmd == 0xfe)
		return SK_PASS;
	index = *cmd;
	err = bpf_sk_select_reuseport(reuse_md, &reuseport_array, &index, 0);
	s->err = err;
	return err ? SK_DROP : SK_PASS;
}

char _license[] SEC("license") = "GPL";

// sk_reuseport_array_map: refused. bpf_sk_select_reuseport takes a socket map (reuseport array,
// sockmap or sockhash), not an array of numbers.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} not_sockets SEC(".maps");

SEC("sk_reuseport")
int select_from_array(struct sk_reuseport_md *reuse_md)
{
	__u32 index = 0;

	return bpf_sk_select_reuseport(reuse_md, &not_sockets, &index, 0) ? SK_DROP : SK_PASS;
}

char _license[] SEC("license") = "GPL";

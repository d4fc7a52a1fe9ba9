// sk_lookup_nullderef: refused by the verifier (kernel and wxdp alike). A sockmap lookup may find
// nothing; the program reads the socket's family without checking for NULL first
// ("R0 invalid mem access 'map_value_or_null'").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} redir_map SEC(".maps");

SEC("sk_lookup")
int deref_unchecked(struct bpf_sk_lookup *ctx)
{
	__u32 key = 0;
	struct bpf_sock *sk = bpf_map_lookup_elem(&redir_map, &key);
	int family = sk->family;

	bpf_sk_release(sk);
	return family == 2 ? SK_PASS : SK_DROP;
}

char _license[] SEC("license") = "GPL";

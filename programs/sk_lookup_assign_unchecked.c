// sk_lookup_assign_unchecked: refused. A sockmap lookup's result goes to bpf_sk_assign before its
// null check: it is still a map value that may be NULL, not a socket.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} redir_map SEC(".maps");

SEC("sk_lookup")
int assign_unchecked(struct bpf_sk_lookup *ctx)
{
	__u32 key = 0;
	struct bpf_sock *sk = bpf_map_lookup_elem(&redir_map, &key);
	long err = bpf_sk_assign(ctx, sk, 0);

	if (sk)
		bpf_sk_release(sk);
	return err ? SK_DROP : SK_PASS;
}

char _license[] SEC("license") = "GPL";

// sk_lookup_assign_unchecked: a sockmap lookup's result goes to bpf_sk_assign before its null check.
// 6.18.44-fc-v1252 accepts it: the lookup gives sock_or_null, which bpf_sk_assign takes
// (ARG_PTR_TO_SOCKET_OR_NULL). Earlier builds refused it: a map value that may be NULL, not a socket
// ("R2 type=map_value_or_null expected=sock").
#include "sk_reject.h"

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

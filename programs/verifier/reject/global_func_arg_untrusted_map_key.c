// Reject: an arg:untrusted pointer passed to bpf_map_lookup_elem as the key.
// check_reg_type: PTR_UNTRUSTED is in none of ARG_PTR_TO_MAP_KEY's compatible types, so the key is
// refused by its type name: "R2 type=rdonly_untrusted_mem expected=fp, pkt, ...".
// Subprograms: the global function is appended after the entry program and verified separately.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} counts SEC(".maps");

__noinline int known(__u32 *key __arg_untrusted)
{
	return bpf_map_lookup_elem(&counts, key) != 0;
}

SEC("xdp")
int global_func_arg_untrusted_map_key(struct xdp_md *ctx)
{
	__u32 key = 0;

	return known(&key) ? XDP_PASS : XDP_DROP;
}

LICENSE;

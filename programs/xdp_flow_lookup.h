// The flowtable kfunc as net/netfilter/nf_flow_table_bpf.c declares it, for the xdp_flow*.c programs.
// struct flow_offload_tuple_rhash stays opaque: wxdp lets a program compare the result with NULL only.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_flowtable_opts {
	__s32 error;
};

struct flow_offload_tuple_rhash;

extern struct flow_offload_tuple_rhash *
bpf_xdp_flow_lookup(struct xdp_md *ctx, struct bpf_fib_lookup *fib_tuple,
		    struct bpf_flowtable_opts *opts, __u32 opts_len) __ksym;

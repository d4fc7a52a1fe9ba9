// bpf_obj_new of a plain struct larger than bpf_mem_alloc serves (4112 bytes): refused at the call as
// xdp_obj_too_big.c's refcounted one (6.18.44, EINVAL).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"

struct plain {
	__u64 key;
	__u8 pad[4100];
};

SEC("xdp")
int xdp_obj_too_big_plain(struct xdp_md *ctx)
{
	struct plain *p = bpf_obj_new(struct plain);

	if (!p)
		return 1;
	p->pad[4090] = 1;
	bpf_obj_drop(p);
	return 2;
}

char _license[] SEC("license") = "GPL";

// bpf_obj_new of a struct larger than bpf_mem_alloc serves (4088 bytes: its 4096-byte class less the 8-byte
// header): the verifier refuses it at the call (6.18.44: "bpf_obj_new type size (4108) is more than the
// allocator serves", EINVAL). A refcounted one here; xdp_obj_too_big_plain.c a plain one, xdp_obj_max_size.c
// the largest the allocator serves.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"

struct big {
	struct bpf_refcount ref;
	__u32 key;
	__u8 pad[4100];
};

SEC("xdp")
int xdp_obj_too_big(struct xdp_md *ctx)
{
	struct big *b = bpf_obj_new(struct big);
	int r = 1;

	if (b) {
		b->pad[4090] = 1;
		bpf_obj_drop(b);
		r += 1;
	}
	return r;
}

char _license[] SEC("license") = "GPL";

// bpf_obj_new in an object whose BTF the kernel refuses (a list head without a lock: btf_parse_struct_metas
// -EINVAL): libbpf loads the program without BTF and the verifier refuses the allocation: 'bpf_obj_new/
// bpf_percpu_obj_new requires prog BTF' (EINVAL, 6.18.44). tests/programs/btf_refusal.test.ts.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"

struct elem {
	__u64 val;
	struct bpf_list_node node;
};

struct lv {
	__u64 n;
	struct bpf_list_head head __contains(elem, node);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lv);
} lists SEC(".maps");

SEC("xdp")
int xdp_btf_list_push_nolock(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct lv *v = bpf_map_lookup_elem(&lists, &k);
	struct elem *e;

	if (!v)
		return XDP_ABORTED;
	e = bpf_obj_new(struct elem);
	if (!e)
		return XDP_DROP;
	bpf_list_push_front(&v->head, &e->node);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

// A hash value holding a bpf_list_head without a bpf_spin_lock (tests/programs/btf_refusal.test.ts). The
// kernel's BPF_BTF_LOAD parses every struct with such a member (btf_parse_struct_metas) and refuses a list
// head without a lock (-EINVAL): libbpf loads the object without BTF ("BTF is optional, ignoring"), so the
// map has no BTF, the head is 16 plain bytes the program may read, and the program loads (6.18.44).
// Frame u64 [0]: the head's first word as the map holds it, [1]: the value's counter after the run.
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
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct lv);
} lists SEC(".maps");

SEC("xdp")
int xdp_btf_list_nolock(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u64 *f = data;
	__u32 k = 0;
	struct lv *v, nv = { .n = 7, .head = { { 0x1122334455667788ULL, 9 } } };

	BTF_TYPE_ANCHOR(struct elem);
	if (data + 16 > end)
		return XDP_ABORTED;
	bpf_map_update_elem(&lists, &k, &nv, BPF_NOEXIST);
	v = bpf_map_lookup_elem(&lists, &k);
	if (!v)
		return XDP_DROP;
	v->n++;
	f[0] = v->head.__opaque[0];
	f[1] = v->n;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

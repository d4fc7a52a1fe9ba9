// An LRU hash whose value holds a bpf_list_head (tests/programs/obj_graph.test.ts, against the kernel).
// The kernel refuses a bpf_spin_lock in an LRU hash's value (map_check_btf: BPF_MAP_CREATE fails with
// EOPNOTSUPP, libbpf retries without BTF and the program is refused), and a list can only be touched
// under its value's own lock: such a list stays empty, nothing is freed when the LRU evicts its element.
// A program that allocates still has its map updates lowered (control/graph_maps.ts), and they must
// leave the LRU as the kernel's update does: neither a failed update (BPF_NOEXIST on a key that is
// there) nor a new element's insertion marks an element referenced; a replacement marks the new one.
// Map `lru`: max_entries 2. Frame u64s: [0] the case, [1] an update's return, [2..5] keys 0..3 there
// after the case's updates. Each case runs once on a fresh load (one run: one CPU's LRU lists).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"

struct elem {
	__u64 val;
	struct bpf_list_node node;
};

struct lv {
	struct bpf_spin_lock lock;
	struct bpf_list_head head __contains(elem, node);
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct lv);
} lru SEC(".maps");

static __always_inline long upd(__u32 k, __u64 flags)
{
	struct lv nv;

	__builtin_memset(&nv, 0xff, sizeof(nv));
	return bpf_map_update_elem(&lru, &k, &nv, flags);
}

static __always_inline __u64 there(__u32 k)
{
	return bpf_map_lookup_elem(&lru, &k) != 0;
}

SEC("xdp")
int xdp_obj_list_lru(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u64 *f = data;
	struct elem *e;

	if (data + 56 > end)
		return XDP_ABORTED;
	/* an allocation: the program's update / delete calls are lowered in wxdp */
	e = bpf_obj_new(struct elem);
	if (!e)
		return XDP_DROP;
	bpf_obj_drop(e);
	upd(0, BPF_ANY);
	upd(1, BPF_ANY);
	if (f[0] == 0) {
		/* a failed update of key 0, then a new key: which one does the LRU evict? */
		f[1] = upd(0, BPF_NOEXIST);
		upd(2, BPF_ANY);
	} else if (f[0] == 1) {
		/* new keys only */
		f[1] = upd(2, BPF_ANY);
		upd(3, BPF_ANY);
	} else if (f[0] == 2) {
		/* key 0 replaced, then a new key */
		f[1] = upd(0, BPF_ANY);
		upd(2, BPF_ANY);
	} else {
		/* a failed BPF_EXIST update of a missing key, then new keys */
		f[1] = upd(3, BPF_EXIST);
		upd(2, BPF_ANY);
	}
	f[2] = there(0);
	f[3] = there(1);
	f[4] = there(2);
	f[5] = there(3);
	/* the head's bytes: the program's (no BTF, no graph field), not an empty head */
	{
		__u32 k = 2;
		__u64 *v = bpf_map_lookup_elem(&lru, &k);

		f[6] = v ? v[1] : 0xdead;
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

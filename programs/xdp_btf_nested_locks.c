// A map value with a bpf_spin_lock in each of two member structs (tests/programs/btf_refusal.test.ts): each
// struct has one, so the object's BTF loads and the map is made with it; btf_parse_fields keeps the last lock
// (offset 8), and bpf_spin_lock on the first is refused: "off 0 doesn't point to 'struct bpf_spin_lock' that
// is at 8" (EINVAL, 6.18.44). wxdp had refused the map (EINVAL) as if two locks were one struct's.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct a { struct bpf_spin_lock l; int x; };
struct b { struct bpf_spin_lock l; int y; };
struct v { struct a a; struct b b; __u64 n; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct v);
} nested SEC(".maps");

SEC("xdp")
int xdp_btf_nested_locks(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct v *p = bpf_map_lookup_elem(&nested, &k);

	if (!p)
		return XDP_ABORTED;
	bpf_spin_lock(&p->a.l);
	p->n++;
	bpf_spin_unlock(&p->a.l);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

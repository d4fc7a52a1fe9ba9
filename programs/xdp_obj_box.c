// Graph roots inside an allocated object (tests/programs/obj_box.test.ts, against the kernel): a
// bpf_obj_new'd `struct box` holds its own bpf_spin_lock, a bpf_list_head of `elem`s and a bpf_rb_root of
// `tnode`s (btf_parse_fields finds them in the local type; the kfuncs take the object's root under the
// object's lock: check_reg_allocation_locked). The box lives in a map's kptr between runs; dropping it (the
// program's bpf_obj_drop, an update of its map element, the map freed) drops every object on its list and
// in its tree (bpf_obj_free_fields: bpf_list_head_free, bpf_rb_root_free).
// The frame's u64s: [0] the operation, [1] a key; results at [3], [4].
//   0  a new box with elems a, a+1, a+2 pushed back and tnodes 3a, 3a+2, 3a+1 added, stashed; the
//      old box (if any) dropped: [3] 1 if there was one
//   1  the box taken out: pop its list's front and its tree's first, put it back: [3], [4] their keys
//      (0xdead: empty; 0xbad: no box)
//   2  the box taken out, its front / back peeked: [3], [4]; then dropped whole (what it holds with it)
//   3  a box made, filled and dropped in one run (never stashed): [3] its list's back, [4] its tree's first
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier/obj_kfuncs.h"
#include "verifier/kptr.h"

struct elem {
	__u64 key;
	struct bpf_list_node ln;
};

struct tnode {
	struct bpf_rb_node rn;
	__u64 key;
};

struct box {
	struct bpf_spin_lock lock;
	struct bpf_list_head head __contains(elem, ln);
	struct bpf_rb_root root __contains(tnode, rn);
	__u64 tag;
};

KPTR_TYPE(box);

struct slot {
	box_t __kptr *b;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slot);
} boxes SEC(".maps");

#define NONE 0xdead
#define NOBOX 0xbad

static _Bool less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	return container_of(a, struct tnode, rn)->key < container_of(b, struct tnode, rn)->key;
}

/* elem `key` pushed to the back of b's list, tnode `key` added to b's tree (each NULL-tolerant) */
static __noinline int put(struct box *b, __u64 lkey, __u64 tkey)
{
	struct elem *e;
	struct tnode *t;

	if (!b)
		return 0;
	e = bpf_obj_new(struct elem);
	if (!e)
		return 0;
	t = bpf_obj_new(struct tnode);
	if (!t) {
		bpf_obj_drop(e);
		return 0;
	}
	e->key = lkey;
	t->key = tkey;
	bpf_spin_lock(&b->lock);
	bpf_list_push_back(&b->head, &e->ln);
	bpf_rbtree_add(&b->root, &t->rn, less);
	bpf_spin_unlock(&b->lock);
	return 1;
}

static struct box *filled(__u64 a)
{
	struct box *b = bpf_obj_new(struct box);

	if (!b)
		return NULL;
	b->tag = a;
	put(b, a, 3 * a);
	put(b, a + 1, 3 * a + 2);
	put(b, a + 2, 3 * a + 1);
	return b;
}

SEC("xdp")
int xdp_obj_box(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 *f = data;
	__u64 r3 = NONE, r4 = NONE;
	struct bpf_list_node *ln;
	struct bpf_rb_node *rn;
	struct box *b, *old;
	struct slot *s;
	__u32 key = 0;

	if ((void *)(f + 5) > data_end)
		return XDP_ABORTED;
	s = bpf_map_lookup_elem(&boxes, &key);
	if (!s)
		return XDP_ABORTED;
	switch (f[0]) {
	case 0:
		b = filled(f[1]);
		if (!b)
			return XDP_DROP;
		old = bpf_kptr_xchg(&s->b, b);
		r3 = 0;
		if (old) {
			r3 = 1;
			bpf_obj_drop(old);
		}
		break;
	case 1:
		b = bpf_kptr_xchg(&s->b, NULL);
		if (!b) {
			r3 = r4 = NOBOX;
			break;
		}
		bpf_spin_lock(&b->lock);
		ln = bpf_list_pop_front(&b->head);
		rn = bpf_rbtree_first(&b->root);
		if (rn)
			rn = bpf_rbtree_remove(&b->root, rn);
		bpf_spin_unlock(&b->lock);
		if (ln) {
			r3 = container_of(ln, struct elem, ln)->key;
			bpf_obj_drop(container_of(ln, struct elem, ln));
		}
		if (rn) {
			r4 = container_of(rn, struct tnode, rn)->key;
			bpf_obj_drop(container_of(rn, struct tnode, rn));
		}
		old = bpf_kptr_xchg(&s->b, b);
		if (old)
			bpf_obj_drop(old);
		break;
	case 2:
		b = bpf_kptr_xchg(&s->b, NULL);
		if (!b) {
			r3 = r4 = NOBOX;
			break;
		}
		bpf_spin_lock(&b->lock);
		ln = bpf_list_front(&b->head);
		if (ln)
			r3 = container_of(ln, struct elem, ln)->key;
		ln = bpf_list_back(&b->head);
		if (ln)
			r4 = container_of(ln, struct elem, ln)->key;
		bpf_spin_unlock(&b->lock);
		bpf_obj_drop(b);
		break;
	case 3:
		b = filled(f[1]);
		if (!b)
			return XDP_DROP;
		bpf_spin_lock(&b->lock);
		ln = bpf_list_back(&b->head);
		if (ln)
			r3 = container_of(ln, struct elem, ln)->key;
		rn = bpf_rbtree_first(&b->root);
		if (rn)
			r4 = container_of(rn, struct tnode, rn)->key;
		bpf_spin_unlock(&b->lock);
		bpf_obj_drop(b);
		break;
	default:
		return XDP_DROP;
	}
	f[3] = r3;
	f[4] = r4;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

// xdp_for_each: bpf_for_each_map_elem (helper 164) over each map type the kernel iterates, as a program
// walks its tables (counting, ageing out, finding). Each program fills its map, walks it with a callback
// that records the keys in visiting order into `order` (slot 0 holds the count), and returns what
// bpf_for_each_map_elem returned. The hash maps are created with BPF_F_ZERO_SEED, so the bucket order
// is the kernel's jhash order and wxdp must visit in exactly that order.
//   walk_hash     keys 1..12 into a HASH; walk deleting every odd value (deletion during the walk, as
//                 the kernel's hlist_nulls_for_each_entry_safe allows), then a second walk that stops at
//                 key 8; returns (first << 16) | second
//   walk_array    ARRAY of 10: values key * 3; the callback stops at the first value >= args[0] * 3
//   walk_percpu   PERCPU_ARRAY and PERCPU_HASH: this CPU's values summed (callback writes value + 1)
//   walk_lru      LRU_HASH keys 1..6, counted
//   walk_flags    flags from args[1] (unknown to the verifier): -EINVAL unless 0
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 16);
} hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 10);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} pcpu_arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 8);
} pcpu_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 8);
} lru SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 32);
} order SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} args SEC(".maps");

struct walk_ctx {
	__u64 limit;
	__u64 sum;
	__u32 seen;
	__u32 del;
};

static void record(__u32 key)
{
	__u32 zero = 0;
	__u32 *n = bpf_map_lookup_elem(&order, &zero);
	__u32 slot;

	if (!n)
		return;
	slot = *n + 1;
	if (slot < 32)
		bpf_map_update_elem(&order, &slot, &key, 0);
	*n = slot;
}

/* (always inlined: one update per key, no loop for the verifier to walk) */
static __always_inline void put(void *map, __u32 key, __u64 value)
{
	bpf_map_update_elem(map, &key, &value, 0);
}

static int visit(struct bpf_map *map, __u32 *key, __u64 *value, struct walk_ctx *c)
{
	record(*key);
	c->seen++;
	c->sum += *value;
	if (c->del && (*value & 1))
		bpf_map_delete_elem(map, key);
	return *key == c->limit;
}

SEC("xdp")
int walk_hash(struct xdp_md *ctx)
{
	struct walk_ctx c = { .del = 1 };
	long first, second;

	_Pragma("unroll")
	for (int i = 1; i <= 12; i++)
		put(&hash, i, i * 5);
	first = bpf_for_each_map_elem(&hash, visit, &c, 0);
	c.del = 0;
	c.limit = 8;
	second = bpf_for_each_map_elem(&hash, visit, &c, 0);
	return (first << 16) | second;
}

static int stop_at(struct bpf_map *map, __u32 *key, __u64 *value, struct walk_ctx *c)
{
	record(*key);
	return *value >= c->limit;
}

SEC("xdp")
int walk_array(struct xdp_md *ctx)
{
	struct walk_ctx c = {};
	__u32 zero = 0;
	__u64 *lim = bpf_map_lookup_elem(&args, &zero);

	if (!lim)
		return -1;
	_Pragma("unroll")
	for (int i = 0; i < 10; i++)
		put(&arr, i, i * 3);
	c.limit = *lim * 3;
	return bpf_for_each_map_elem(&arr, stop_at, &c, 0);
}

static int bump(struct bpf_map *map, __u32 *key, __u64 *value, struct walk_ctx *c)
{
	*value += 1;
	c->sum += *value;
	c->seen++;
	return 0;
}

SEC("xdp")
int walk_percpu(struct xdp_md *ctx)
{
	struct walk_ctx c = {};
	long a, h;

	_Pragma("unroll")
	for (int i = 0; i < 3; i++)
		put(&pcpu_hash, i, i + 10);
	a = bpf_for_each_map_elem(&pcpu_arr, bump, &c, 0);
	h = bpf_for_each_map_elem(&pcpu_hash, bump, &c, 0);
	return (a << 24) | (h << 16) | c.sum;
}

SEC("xdp")
int walk_lru(struct xdp_md *ctx)
{
	struct walk_ctx c = {};

	_Pragma("unroll")
	for (int i = 1; i <= 6; i++)
		put(&lru, i, i);
	return bpf_for_each_map_elem(&lru, visit, &c, 0) * 1000 + c.sum;
}

SEC("xdp")
int walk_flags(struct xdp_md *ctx)
{
	struct walk_ctx c = {};
	__u32 one = 1;
	__u64 *flags = bpf_map_lookup_elem(&args, &one);

	if (!flags)
		return -1;
	return bpf_for_each_map_elem(&arr, stop_at, &c, *flags);
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_ZERO_SEED);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 16);
} purge SEC(".maps");

static __always_inline void drop_other(__u32 k, __u32 keep)
{
	if (k != keep)
		bpf_map_delete_elem(&purge, &k);
}

static int purge_others(struct bpf_map *map, __u32 *key, __u64 *value, struct walk_ctx *c)
{
	__u32 keep = *key;

	record(keep);
	if (c->del) {
		c->del = 0;
		_Pragma("unroll")
		for (int i = 1; i <= 12; i++)
			drop_other(i, keep);
	}
	return 0;
}

SEC("xdp")
int walk_purge(struct xdp_md *ctx)
{
	struct walk_ctx c = { .del = 1 };

	_Pragma("unroll")
	for (int i = 1; i <= 12; i++)
		put(&purge, i, i);
	return bpf_for_each_map_elem(&purge, purge_others, &c, 0);
}

char LICENSE[] SEC("license") = "GPL";

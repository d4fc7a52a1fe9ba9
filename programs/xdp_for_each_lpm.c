// Refused: an LPM_TRIE has no map_for_each_callback ("callback function not allowed for map", -ENOTSUPP).
#include "xdp_for_each_bad.h"

struct key4 {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct key4);
	__type(value, __u64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4);
} trie SEC(".maps");

static int cb(struct bpf_map *map, struct key4 *key, __u64 *value, void *ctx)
{
	return 0;
}

SEC("xdp")
int xdp_for_each_lpm(struct xdp_md *ctx)
{
	return bpf_for_each_map_elem(&trie, cb, 0, 0);
}

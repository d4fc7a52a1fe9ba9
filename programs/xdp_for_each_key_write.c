// Refused: the callback writes through its key pointer (PTR_TO_MAP_KEY is read only).
#include "xdp_for_each_bad.h"

static int cb(struct bpf_map *map, __u32 *key, __u64 *value, void *ctx)
{
	*key = 1;
	return 0;
}

SEC("xdp")
int xdp_for_each_key_write(struct xdp_md *ctx)
{
	return bpf_for_each_map_elem(&hash, cb, 0, 0);
}

// Refused: the callback returns 2, outside bpf_for_each_map_elem's [0, 1].
#include "xdp_for_each_bad.h"

static int cb(struct bpf_map *map, __u32 *key, __u64 *value, void *ctx)
{
	return 2;
}

SEC("xdp")
int xdp_for_each_ret(struct xdp_md *ctx)
{
	return bpf_for_each_map_elem(&hash, cb, 0, 0);
}

// Refused: the callback reads past its 8-byte value.
#include "xdp_for_each_bad.h"

static int cb(struct bpf_map *map, __u32 *key, __u64 *value, void *ctx)
{
	return value[1] & 1;
}

SEC("xdp")
int xdp_for_each_value_oob(struct xdp_md *ctx)
{
	return bpf_for_each_map_elem(&hash, cb, 0, 0);
}

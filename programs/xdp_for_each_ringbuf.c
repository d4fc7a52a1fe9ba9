// Refused: a RINGBUF takes only the ringbuf helpers (check_map_func_compatibility).
#include "xdp_for_each_bad.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

static int cb(struct bpf_map *map, void *key, void *value, void *ctx)
{
	return 0;
}

SEC("xdp")
int xdp_for_each_ringbuf(struct xdp_md *ctx)
{
	return bpf_for_each_map_elem(&rb, cb, 0, 0);
}

// Reject: helper given a map of the wrong type.
// bpf_redirect_map() takes a DEVMAP, DEVMAP_HASH, CPUMAP or XSKMAP; check_map_func_compatibility
// refuses an ARRAY (map_type 2).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

ARRAY_MAP(ports, __u32, 4);

SEC("xdp")
int helper_wrong_map_type(struct xdp_md *ctx)
{
	return bpf_redirect_map(&ports, 0, XDP_PASS);
}

LICENSE;

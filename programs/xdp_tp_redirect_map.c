// tp_btf programs on xdp_redirect_map and xdp_redirect_map_err: tracepoints older kernels define and
// never raise (include/trace/events/xdp.h: "not used anymore, but kept around so as not to break old
// programs"; a redirect through a map reports on xdp_redirect / xdp_redirect_err) and Linux 6.18 no
// longer has (libbpf: failed to find kernel BTF type ID of 'xdp_redirect_map': -ESRCH). wxdp loads
// them for objects that still carry them; they count nothing (tests/datapath/tracepoints_bench.test.ts).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct net_device;
struct bpf_prog;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} counts SEC(".maps");

static void add(__u32 k)
{
	__u64 *c = bpf_map_lookup_elem(&counts, &k);

	if (c)
		__sync_fetch_and_add(c, 1);
}

SEC("tp_btf/xdp_redirect_map")
int BPF_PROG(tp_redirect_map, const struct net_device *dev, const struct bpf_prog *xdp, const void *tgt, int err,
	     int map_type, __u32 map_id, __u32 index)
{
	add(0);
	return 0;
}

SEC("tp_btf/xdp_redirect_map_err")
int BPF_PROG(tp_redirect_map_err, const struct net_device *dev, const struct bpf_prog *xdp, const void *tgt,
	     int err, int map_type, __u32 map_id, __u32 index)
{
	add(1);
	return 0;
}

char _license[] SEC("license") = "GPL";

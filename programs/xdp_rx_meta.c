// The XDP RX-metadata kfuncs as a program asks for them (xdp-hints style): hash, timestamp and VLAN tag
// of the frame, each answer and its return code stored in an ARRAY for user space. A program not bound
// to a device (no BPF_F_XDP_DEV_BOUND_ONLY) gets the kfuncs' generic answers, -EOPNOTSUPP, in the kernel
// and in wxdp alike; wxdp's devices answer -ENODATA where they have no such metadata, as veth does.
//   kfuncs: bpf_xdp_metadata_rx_hash, bpf_xdp_metadata_rx_timestamp, bpf_xdp_metadata_rx_vlan_tag (__ksym)
//   maps: rx_meta (ARRAY, one struct rx_meta)
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum xdp_rss_hash_type { XDP_RSS_TYPE_NONE = 0 };

extern int bpf_xdp_metadata_rx_hash(const struct xdp_md *ctx, __u32 *hash, enum xdp_rss_hash_type *rss_type) __ksym;
extern int bpf_xdp_metadata_rx_timestamp(const struct xdp_md *ctx, __u64 *timestamp) __ksym;
extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto, __u16 *vlan_tci) __ksym;

struct rx_meta {
	__s32 hash_ret;
	__u32 hash;
	__u32 rss_type;
	__s32 ts_ret;
	__u64 timestamp;
	__s32 vlan_ret;
	__u16 vlan_proto;
	__u16 vlan_tci;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rx_meta);
} rx_meta SEC(".maps");

SEC("xdp")
int xdp_rx_meta(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct rx_meta *m = bpf_map_lookup_elem(&rx_meta, &zero);
	__u32 hash = 0;
	enum xdp_rss_hash_type type = 0;
	__u64 ts = 0;
	__be16 proto = 0;
	__u16 tci = 0;

	if (!m)
		return XDP_ABORTED;
	m->hash_ret = bpf_xdp_metadata_rx_hash(ctx, &hash, &type);
	m->hash = hash;
	m->rss_type = type;
	m->ts_ret = bpf_xdp_metadata_rx_timestamp(ctx, &ts);
	m->timestamp = ts;
	m->vlan_ret = bpf_xdp_metadata_rx_vlan_tag(ctx, &proto, &tci);
	m->vlan_proto = proto;
	m->vlan_tci = tci;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

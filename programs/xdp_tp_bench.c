// tp_btf counters over wxdp's redirect paths, as xdp-bench and xdp-monitor keep them (xdp-tools'
// xdp_sample.bpf.c): xdp_devmap_xmit (frames sent, dropped, bulks, errors, per from → to device),
// xdp_cpumap_enqueue (processed, dropped, bulks per target CPU), xdp_cpumap_kthread (processed,
// dropped, the entry program's pass / drop / redirect), xdp_redirect / _err (redirects, errors),
// mem_connect / mem_disconnect (pool registrations: mem.type, mem.id, queue). (Linux 6.18 has no
// xdp_redirect_map / _map_err tracepoints any more: xdp_tp_redirect_map.c.) `xdp_bench` makes the events: cfg[0]
// picks the redirect (0 bpf_redirect(cfg[1]), 1 the devmap `tx_port` slot 0, 2 the cpumap `cpus`
// slot cfg[1], 3 BPF_F_BROADCAST over `tx_port`); `cpu_pass` and `cpu_drop` are cpumap entry
// programs. CO-RE: the kernel's structs declared with preserve_access_index, as vmlinux.h would.
// Used by tests/datapath/tracepoints_bench.test.ts (the kernel on veths in a namespace, and wxdp).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct net_device {
	int ifindex;
} __attribute__((preserve_access_index));
struct xdp_cpumap_stats {
	unsigned int redirect;
	unsigned int pass;
	unsigned int drop;
} __attribute__((preserve_access_index));
struct xdp_mem_info {
	__u32 type;
	__u32 id;
} __attribute__((preserve_access_index));
struct xdp_mem_allocator {
	struct xdp_mem_info mem;
} __attribute__((preserve_access_index));
struct xdp_rxq_info {
	__u32 queue_index;
} __attribute__((preserve_access_index));
struct bpf_prog;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 2);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 4);
} tx_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
	__uint(max_entries, 4);
} cpus SEC(".maps");

enum {
	DX_SENT, DX_DROPS, DX_BULKS, DX_ERRS, DX_LAST_FROM, DX_LAST_TO,
	CE_PROCESSED, CE_DROPS, CE_BULKS, CE_LAST_CPU, CE_MAP_OK,
	CK_PROCESSED, CK_DROPS, CK_PASS, CK_DROP, CK_REDIRECT, CK_SCHED, CK_BATCHES,
	RD_OK, RD_ERR,
	MC_CONNECT, MC_DISCONNECT, MC_LAST_TYPE, MC_ID_SET, MC_LAST_QUEUE,
	N_COUNTS
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 32);
} counts SEC(".maps");

static void add(__u32 k, __u64 v)
{
	__u64 *c = bpf_map_lookup_elem(&counts, &k);

	if (c)
		__sync_fetch_and_add(c, v);
}

static void put(__u32 k, __u64 v)
{
	bpf_map_update_elem(&counts, &k, &v, BPF_ANY);
}

SEC("xdp")
int xdp_bench(struct xdp_md *ctx)
{
	__u32 k0 = 0, k1 = 1;
	__u32 *mode = bpf_map_lookup_elem(&cfg, &k0);
	__u32 *arg = bpf_map_lookup_elem(&cfg, &k1);

	if (!mode || !arg)
		return XDP_PASS;
	switch (*mode) {
	case 0:
		return bpf_redirect(*arg, 0);
	case 1:
		return bpf_redirect_map(&tx_port, 0, 0);
	case 2:
		return bpf_redirect_map(&cpus, *arg, 0);
	default:
		return bpf_redirect_map(&tx_port, 0, BPF_F_BROADCAST);
	}
}

SEC("xdp/cpumap")
int cpu_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("xdp/cpumap")
int cpu_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("tp_btf/xdp_devmap_xmit")
int BPF_PROG(tp_devmap_xmit, const struct net_device *from_dev, const struct net_device *to_dev, int sent,
	     int drops, int err)
{
	add(DX_SENT, sent);
	add(DX_DROPS, drops);
	add(DX_BULKS, 1);
	if (err || drops < 0)
		add(DX_ERRS, 1);
	put(DX_LAST_FROM, from_dev->ifindex);
	put(DX_LAST_TO, to_dev->ifindex);
	return 0;
}

SEC("tp_btf/xdp_cpumap_enqueue")
int BPF_PROG(tp_cpumap_enqueue, int map_id, unsigned int processed, unsigned int drops, int to_cpu)
{
	add(CE_PROCESSED, processed);
	add(CE_DROPS, drops);
	if (processed > 0)
		add(CE_BULKS, 1);
	put(CE_LAST_CPU, to_cpu);
	put(CE_MAP_OK, map_id > 0);
	return 0;
}

SEC("tp_btf/xdp_cpumap_kthread")
int BPF_PROG(tp_cpumap_kthread, int map_id, unsigned int processed, unsigned int drops, int sched,
	     struct xdp_cpumap_stats *xdp_stats)
{
	add(CK_PROCESSED, processed);
	add(CK_DROPS, drops);
	add(CK_PASS, xdp_stats->pass);
	add(CK_DROP, xdp_stats->drop);
	add(CK_REDIRECT, xdp_stats->redirect);
	add(CK_BATCHES, 1);
	return 0;
}

SEC("tp_btf/xdp_redirect")
int BPF_PROG(tp_redirect, const struct net_device *dev, const struct bpf_prog *xdp, const void *tgt, int err,
	     int map_type, __u32 map_id, __u32 index)
{
	add(RD_OK, 1);
	return 0;
}

SEC("tp_btf/xdp_redirect_err")
int BPF_PROG(tp_redirect_err, const struct net_device *dev, const struct bpf_prog *xdp, const void *tgt, int err,
	     int map_type, __u32 map_id, __u32 index)
{
	add(RD_ERR, 1);
	return 0;
}

SEC("tp_btf/mem_connect")
int BPF_PROG(tp_mem_connect, const struct xdp_mem_allocator *xa, const struct xdp_rxq_info *rxq)
{
	add(MC_CONNECT, 1);
	put(MC_LAST_TYPE, xa->mem.type);
	put(MC_ID_SET, xa->mem.id != 0);
	put(MC_LAST_QUEUE, rxq->queue_index);
	return 0;
}

SEC("tp_btf/mem_disconnect")
int BPF_PROG(tp_mem_disconnect, const struct xdp_mem_allocator *xa)
{
	add(MC_DISCONNECT, 1);
	put(MC_LAST_TYPE, xa->mem.type);
	return 0;
}

char _license[] SEC("license") = "GPL";

// An object written for a loader that configures it between open and load, as xdp-tools' xdp-bench
// is (its xdp_sample maps are declared with max_entries 0 and sized to the CPU count by
// bpf_map__set_max_entries; its settings are `const volatile` globals the skeleton sets): loaded as it
// is, `rx_cnt` and `seen` have max_entries 0 and the kernel refuses them (EINVAL). Loaded with
// maxEntries / globals (wxdp: LoadOptions, --max-entries MAP=N, --global VAR=VALUE), it counts per CPU
// into rx_cnt[cpu] (cpu < nr_cpus, else XDP_ABORTED), returns `action`, adds the frame's bytes when
// `count_bytes`, writes the first 6 bytes of `tag` over the Ethernet source address when tag[0] is not
// 0, keeps the EtherTypes seen in the hash `seen`, and counts every `sample_every`-th frame (.data)
// in `sampled` (.bss); LINUX_KERNEL_VERSION (.kconfig) is the loader's to fill in. Used by tests/elf/configure.test.ts (wxdp, and the kernel through libbpf).
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct rec {
	__u64 processed;
	__u64 dropped;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct rec);
	__uint(max_entries, 0);
} rx_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u16);
	__type(value, __u64);
	__uint(max_entries, 0);
} seen SEC(".maps");

const volatile __u32 nr_cpus = 0;
const volatile enum xdp_action action = XDP_PASS;
const volatile bool count_bytes = 0;
const volatile char tag[8] = "";
__u32 sample_every = 1;
__u64 frames;
__u64 sampled;
extern __u32 LINUX_KERNEL_VERSION __kconfig;

SEC("xdp")
int xdp_config(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 cpu = bpf_get_smp_processor_id();
	struct ethhdr *eth = data;
	struct rec *r;

	if (cpu >= nr_cpus || LINUX_KERNEL_VERSION == 0)
		return XDP_ABORTED;
	r = bpf_map_lookup_elem(&rx_cnt, &cpu);
	if (!r)
		return XDP_ABORTED;
	r->processed++;
	if (count_bytes)
		r->bytes += data_end - data;
	frames++;
	if (sample_every && frames % sample_every == 0)
		sampled++;
	if ((void *)(eth + 1) <= data_end) {
		__u16 proto = bpf_ntohs(eth->h_proto);
		__u64 one = 1, *n = bpf_map_lookup_elem(&seen, &proto);

		if (n)
			__sync_fetch_and_add(n, 1);
		else
			bpf_map_update_elem(&seen, &proto, &one, BPF_NOEXIST);
		if (tag[0]) {
			for (int i = 0; i < ETH_ALEN; i++)
				eth->h_source[i] = tag[i];
		}
	}
	if (action == XDP_DROP)
		r->dropped++;
	return action;
}

char LICENSE[] SEC("license") = "GPL";

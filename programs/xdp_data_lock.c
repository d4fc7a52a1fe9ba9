// A bpf_spin_lock in a custom global data section (tests/verifier/data_lock57.test.ts, against the kernel):
// libbpf makes `.data.A` an array map whose value is the section (its BTF a DATASEC), and the kernel finds the
// lock among the section's variables (btf_find_datasec_var), so bpf_spin_lock takes it. Each run adds the
// frame's u64 [0] to the counter under the lock and writes the counter at [1].
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_spin_lock lk SEC(".data.A");
__u64 counter SEC(".data.A") = 1;

SEC("xdp")
int xdp_data_lock(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 *f = data;

	if ((void *)(f + 2) > data_end)
		return XDP_ABORTED;
	bpf_spin_lock(&lk);
	counter += f[0];
	f[1] = counter;
	bpf_spin_unlock(&lk);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

// fib_lookup_bench: the kernel's side of `wxdp bench fib` (bench/fib.ts). bpf_fib_lookup on every IPv4
// destination the frame carries, under BPF_PROG_TEST_RUN in the network namespace that holds the route
// table; BPF_FIB_LOOKUP_DIRECT (no policy rules: the main table, as a bare LPM is) and
// BPF_FIB_LOOKUP_SKIP_NEIGH (no neighbour lookup), so what is timed is the FIB's longest-prefix match
// and the result it fills in.
//
// Frame (written by the bench; XDP test_run only needs 14 bytes of it to look like Ethernet):
//   +0 u32 ingress ifindex   +4 u32 (out)   +8 u32 (out)   +12 u32 destinations (network order) ... to the end
// Written back: +4 lookups that returned BPF_FIB_LKUP_RET_SUCCESS, +8 the sum of their egress ifindex
// (the input fields stay as they were: test_run's repeats run on the same buffer).
// Helpers: bpf_fib_lookup. A bounded loop of MAX_DSTS iterations.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define AF_INET 2
#define MAX_DSTS 800

SEC("xdp")
int fib_lookup_bench(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 *hdr = data;
	struct bpf_fib_lookup p;
	__u32 ok = 0, sum = 0;

	if ((void *)(hdr + 3) > end)
		return XDP_ABORTED;
	__u32 ifindex = hdr[0];
	for (int i = 0; i < MAX_DSTS; i++) {
		__u32 *d = hdr + 3 + i;
		if ((void *)(d + 1) > end)
			break;
		__builtin_memset(&p, 0, sizeof(p));
		p.family = AF_INET;
		p.ipv4_dst = *d;
		p.ifindex = ifindex;
		if (bpf_fib_lookup(ctx, &p, sizeof(p), BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_SKIP_NEIGH) ==
		    BPF_FIB_LKUP_RET_SUCCESS) {
			ok++;
			sum += p.ifindex;
		}
	}
	hdr[1] = ok;
	hdr[2] = sum;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";

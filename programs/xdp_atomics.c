// xdp_atomics: the BPF atomic instructions on map values, compiled for ISA v3 so that clang also
// emits 32-bit ALU and JMP32 instructions throughout:
// cflags: -mcpu=v3
// Each frame derives a 64-bit value v from its bytes 6..13 (source MAC and ethertype) and a 32-bit
// w from bytes 12..15, then applies to `atoms[0]` (ARRAY, initial values installed by the recorder):
//   64-bit: fetch_add, fetch_or, fetch_and, fetch_xor (BPF_FETCH forms: the old value is used),
//           xchg, cmpxchg (swaps in v when the field equals its expected value)
//   32-bit: the same six on 32-bit fields
//   plain:  a non-fetching add (the old XADD encoding)
// The old values the fetching forms returned go to `atoms[1]`, so every result is recorded. The
// verdict uses signed and unsigned 32-bit comparisons of w (JMP32): w < 0 as s32 -> XDP_DROP,
// w > 0x80000 unsigned -> XDP_PASS, else XDP_TX.
// Helpers: bpf_map_lookup_elem. Instructions: BPF_ATOMIC (ADD/OR/AND/XOR with and without BPF_FETCH,
// XCHG, CMPXCHG; 32 and 64 bit), ALU32, JMP32.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct atoms {
	__u64 add64, or64, and64, xor64, xchg64, cmpxchg64;
	__u32 add32, or32, and32, xor32, xchg32, cmpxchg32;
	__u64 plain_add;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct atoms);
	__uint(max_entries, 2);
} atoms SEC(".maps");

SEC("xdp")
int xdp_atomics(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 k0 = 0, k1 = 1;
	struct atoms *a, *old;
	__u64 v;
	__u32 w;

	if (data + 16 > data_end)
		return XDP_ABORTED;
	v = *(__u64 *)(data + 6);
	w = bpf_ntohl(*(__u32 *)(data + 12));

	a = bpf_map_lookup_elem(&atoms, &k0);
	old = bpf_map_lookup_elem(&atoms, &k1);
	if (!a || !old)
		return XDP_ABORTED;

	old->add64 = __sync_fetch_and_add(&a->add64, v);
	old->or64 = __sync_fetch_and_or(&a->or64, v);
	old->and64 = __sync_fetch_and_and(&a->and64, v);
	old->xor64 = __sync_fetch_and_xor(&a->xor64, v);
	old->xchg64 = __sync_lock_test_and_set(&a->xchg64, v);
	old->cmpxchg64 = __sync_val_compare_and_swap(&a->cmpxchg64, 0x1122334455667788ull, v);

	old->add32 = __sync_fetch_and_add(&a->add32, w);
	old->or32 = __sync_fetch_and_or(&a->or32, w);
	old->and32 = __sync_fetch_and_and(&a->and32, w);
	old->xor32 = __sync_fetch_and_xor(&a->xor32, w);
	old->xchg32 = __sync_lock_test_and_set(&a->xchg32, w);
	old->cmpxchg32 = __sync_val_compare_and_swap(&a->cmpxchg32, 0x86dd6000, w);

	__sync_fetch_and_add(&a->plain_add, w);

	if ((__s32)w < 0)
		return XDP_DROP;
	if (w > 0x80000)
		return XDP_PASS;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";

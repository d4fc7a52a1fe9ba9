// Base helpers XDP programs call for parsing and clocks: bpf_strtol (105), bpf_strtoul (106),
// bpf_strncmp (182), bpf_get_numa_node_id (42), bpf_ktime_get_tai_ns (208) and bpf_map_lookup_percpu_elem
// (195). Each case's answer is written over the frame as two s64 (the helper's return, then its result),
// so that data_out carries them; XDP_TX when the frame holds OUT_BYTES, else XDP_PASS untouched.
// tests/programs/base_helpers.test.ts holds the kernel's data_out (6.18) and what each case means.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CASES 34
#define OUT_BYTES (CASES * 16)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} pcpu_arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} pcpu_hash SEC(".maps");

/* bpf_strncmp's s2: a NUL-terminated string in .rodata (frozen, read-only) */
const char target[] = "hello";

/* the string, without its NUL, copied to the stack: strtol/strtoul read `n` bytes of it */
#define STRTOX(i, fn, s, flags)                                                   \
	do {                                                                      \
		char b[sizeof(s)] = s;                                            \
		__u64 r = 0x5a5a5a5a5a5a5a5a;                                     \
		out[2 * (i)] = fn(b, sizeof(s) - 1, flags, (void *)&r);           \
		out[2 * (i) + 1] = r;                                             \
	} while (0)

#define STRNCMP(i, s, n)                                                          \
	do {                                                                      \
		char b[sizeof(s)] = s;                                            \
		out[2 * (i)] = bpf_strncmp(b, n, target);                         \
		out[2 * (i) + 1] = 0;                                             \
	} while (0)

SEC("xdp")
int xdp_base_helpers(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__s64 *out = data;

	if (data + OUT_BYTES > end)
		return XDP_PASS;

	STRTOX(0, bpf_strtol, "123", 0);
	STRTOX(1, bpf_strtol, "  -0x1F", 0);
	STRTOX(2, bpf_strtol, "0x", 16);
	STRTOX(3, bpf_strtol, "077", 0);
	STRTOX(4, bpf_strtol, "9223372036854775808", 0);
	STRTOX(5, bpf_strtol, "-9223372036854775808", 0);
	STRTOX(6, bpf_strtol, "18446744073709551616", 0);
	STRTOX(7, bpf_strtol, "12", 3);
	STRTOX(8, bpf_strtol, "12", 0x20 | 10);
	STRTOX(9, bpf_strtol, "   ", 0);
	STRTOX(10, bpf_strtol, "12ab", 10);
	STRTOX(11, bpf_strtol, "zz", 0);
	STRTOX(12, bpf_strtol, "0xg", 0);
	STRTOX(13, bpf_strtol, "\t+5", 0);
	STRTOX(14, bpf_strtoul, "-1", 0);
	STRTOX(15, bpf_strtoul, "18446744073709551615", 0);
	STRTOX(16, bpf_strtoul, "ff", 16);
	STRTOX(17, bpf_strtoul, "0000000000000000000000000000000000000000000000000000000000000000000001", 0);
	STRTOX(18, bpf_strtoul, "0x10", 10);
	STRTOX(19, bpf_strtoul, "0X1a", 16);
	STRTOX(20, bpf_strtol, "\xa0" "7", 8);
	STRTOX(21, bpf_strtol, "-", 0);
	STRTOX(22, bpf_strtoul, "-0", 0);
	STRNCMP(23, "hello", 5);
	STRNCMP(24, "help!", 5);
	STRNCMP(25, "hell", 3);
	STRNCMP(26, "hello world", 11);
	STRNCMP(27, "hea", 3);

	out[56] = bpf_get_numa_node_id();
	out[57] = bpf_ktime_get_tai_ns() > 1600000000000000000ULL;

	/* every CPU's value of element 0 set through its own pointer; the running CPU's lookup sees its own */
	__u32 key = 0;
	__u32 cpu = bpf_get_smp_processor_id();
	for (__u32 c = 0; c < 2; c++) {
		__u64 *v = bpf_map_lookup_percpu_elem(&pcpu_arr, &key, c);
		if (v)
			*v = 100 + c;
	}
	__u64 *mine = bpf_map_lookup_elem(&pcpu_arr, &key);
	out[58] = mine ? *mine == 100 + cpu : -1;
	out[59] = bpf_map_lookup_percpu_elem(&pcpu_arr, &key, 2) == 0;
	key = 2;
	out[60] = bpf_map_lookup_percpu_elem(&pcpu_arr, &key, 0) == 0;

	/* a program's update sets the running CPU's value and zeroes the others' (pcpu_init_value) */
	__u32 hk = 7;
	__u64 val = 42;
	out[61] = bpf_map_update_elem(&pcpu_hash, &hk, &val, BPF_ANY);
	__u64 sum = 0;
	int found = 0;
	for (__u32 c = 0; c < 2; c++) {
		__u64 *v = bpf_map_lookup_percpu_elem(&pcpu_hash, &hk, c);
		if (v) {
			sum += *v;
			found++;
		}
	}
	out[62] = sum;
	out[63] = found;
	hk = 8;
	out[64] = bpf_map_lookup_percpu_elem(&pcpu_hash, &hk, 0) == 0;
	out[65] = bpf_map_lookup_percpu_elem(&pcpu_hash, &hk, 5) == 0;
	out[66] = 0;
	out[67] = 0;
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";

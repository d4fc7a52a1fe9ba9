// xdp_pin_count / xdp_pin_read / xdp_pin_mismatch: a map shared between objects through libbpf's
// LIBBPF_PIN_BY_NAME. xdp_pin_count adds the frame's length to pin_shared[0] and counts the frame in
// pin_shared[1]; xdp_pin_read (another object) returns pin_shared[1] as its verdict's source: XDP_TX
// (3) once the count reaches 3, else XDP_PASS, and copies both words to the frame's first 16 bytes.
// xdp_pin_mismatch declares pin_shared with 8 entries: libbpf refuses to reuse the pin ("couldn't
// reuse pinned map at '/sys/fs/bpf/pin_shared': parameter mismatch", -EINVAL).
// (the map, in pin_shared.h, is included by each object)
// tests/control/pinning.test.ts loads them into one Datapath; Linux 6.18 with bpftool (libbpf 1.1)
// answers the same (the comment there).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, PIN_ENTRIES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pin_shared SEC(".maps");

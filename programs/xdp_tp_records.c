// Classic tracepoint programs on every XDP tracepoint wxdp raises: each copies its event's record,
// past the 8-byte common header and up to the record's end (tracefs' format on Linux 6.18), as u32
// words into `recs` at the event's key, and counts the event in `seen`. A read past the end would be
// refused at attach, so the copy stops exactly at each record's size. Used by
// tests/datapath/tracepoints_classic.test.ts with programs/xdp_tp_bench's XDP program making the events.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct rec {
  __u32 w[10];
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, struct rec);
  __uint(max_entries, 16);
} recs SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 16);
} seen SEC(".maps");

// (the common header, the record's first 8 bytes, is not the program's to read: tp_prog_is_valid_access)
#define REC(event, key, size)                                                   \
  SEC("tracepoint/xdp/" #event)                                                 \
  int rec_##event(void *ctx) {                                                  \
    __u32 k = key;                                                              \
    struct rec *r = bpf_map_lookup_elem(&recs, &k);                             \
    __u64 *n = bpf_map_lookup_elem(&seen, &k);                                  \
    if (!r || !n) return 0;                                                     \
    _Pragma("unroll") for (int o = 8; o < size; o += 4)                         \
      r->w[(o - 8) / 4] = *(volatile __u32 *)((char *)ctx + o);                 \
    __sync_fetch_and_add(n, 1);                                                 \
    return 0;                                                                   \
  }

REC(xdp_exception, 0, 20)
REC(xdp_bulk_tx, 1, 28)
REC(xdp_redirect, 2, 36)
REC(xdp_redirect_err, 3, 36)
REC(xdp_cpumap_kthread, 6, 44)
REC(xdp_cpumap_enqueue, 7, 32)
REC(xdp_devmap_xmit, 8, 32)
REC(mem_disconnect, 9, 32)
REC(mem_connect, 10, 44)

char _license[] SEC("license") = "GPL";

// A tp_btf program compiled as against vmlinux.h: struct net_device's ifindex is not at offset 0 in
// this declaration, so only CO-RE (preserve_access_index, relocated against the running kernel's BTF or
// wxdp's) makes dev->ifindex read the device's ifindex. out[0] = dev->ifindex of the last
// xdp_exception, out[1] = whether struct net_device has `mtu` where the program runs (Linux's and
// wxdp's do), out[2] = dev->mtu when it has, out[3] = a field no kernel has when it is there: it never
// is, and libbpf (or wxdp) poisons its guarded read, dead code either way.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

struct net_device {
  char name[16];
  unsigned long long state;
  char pad[200];
  unsigned int mtu;
  int ifindex;
  unsigned int wxdp_absent;
} __attribute__((preserve_access_index));
struct bpf_prog;

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 4);
} out SEC(".maps");

static void put(__u32 k, __u64 v) {
  bpf_map_update_elem(&out, &k, &v, BPF_ANY);
}

SEC("xdp")
int xdp_abort(struct xdp_md *ctx) {
  return XDP_ABORTED;
}

SEC("tp_btf/xdp_exception")
int BPF_PROG(tp_exception_core, const struct net_device *dev, const struct bpf_prog *xdp, __u32 act) {
  put(0, dev->ifindex);
  if (bpf_core_field_exists(dev->mtu)) {
    put(1, 1);
    put(2, dev->mtu);
  }
  if (bpf_core_field_exists(dev->wxdp_absent))
    put(3, dev->wxdp_absent);
  return 0;
}

char _license[] SEC("license") = "GPL";

// The conntrack kfuncs (net/netfilter/nf_conntrack_bpf.c, nf_nat_bpf.c) as the BPF selftests' test_bpf_nf.c
// declares them, for the kfunc_ct_* programs: every entry a `struct nf_conn *` here (libbpf matches a
// __ksym's prototype by kinds, not struct names); the kernel's BTF says which are nf_conn___init.
#include <linux/in.h>

struct bpf_ct_opts___v { __s32 netns_id; __s32 error; __u8 l4proto; __u8 dir; __u16 ct_zone_id; __u8 ct_zone_dir; __u8 reserved[3]; };
struct nf_conn { unsigned long status; __u32 mark; } __attribute__((preserve_access_index));
union nf_inet_addr___v { __u32 all[4]; __be32 ip; __be32 ip6[4]; };
enum nf_nat_manip_type___v { NF_NAT_MANIP_SRC___v, NF_NAT_MANIP_DST___v };
extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts___v *, __u32) __ksym;
extern struct nf_conn *bpf_xdp_ct_alloc(struct xdp_md *, struct bpf_sock_tuple *, __u32, struct bpf_ct_opts___v *, __u32) __ksym;
extern struct nf_conn *bpf_ct_insert_entry(struct nf_conn *) __ksym;
extern void bpf_ct_release(struct nf_conn *) __ksym;
extern void bpf_ct_set_timeout(struct nf_conn *, __u32) __ksym;
extern int bpf_ct_change_timeout(struct nf_conn *, __u32) __ksym;
extern int bpf_ct_set_status(struct nf_conn *, __u32) __ksym;
extern int bpf_ct_change_status(struct nf_conn *, __u32) __ksym;
extern int bpf_ct_set_nat_info(struct nf_conn *, union nf_inet_addr___v *, int, enum nf_nat_manip_type___v) __ksym;

/* a TCP tuple of documentation addresses, the default namespace and zone */
#define CT_DECLS                                                                       \
	struct bpf_sock_tuple tup = { .ipv4 = { .saddr = 0x010200c0, .daddr = 0x020200c0, \
						.sport = 0x3412, .dport = 0x5000 } };      \
	struct bpf_ct_opts___v opts = { .netns_id = -1, .l4proto = IPPROTO_TCP }
#define CT_ARGS ctx, &tup, sizeof(tup.ipv4), &opts, sizeof(opts)

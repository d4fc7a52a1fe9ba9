// sk_lookup: BPF_PROG_TYPE_SK_LOOKUP programs in the shape of the kernel selftests' test_sk_lookup.c.
// Each runs before the socket tables for a UDP (or TCP) packet to a local address and either leaves
// the lookup to the tables (SK_PASS without a socket), steers it to a socket of redir_map with
// bpf_sk_assign, or drops it (SK_DROP).
//
//   redir_map   sockmap, key 0 = server A, key 1 = server B, 2 and 3 for the tests' own sockets
//   seen        array[1]: the last context a program saw, field by field (tests read it)
//   assign_cfg  array[1]: which socket assign_configured assigns with which flags, and the result
//
// Steering rules (constants, as the selftests' DST_PORT / DST_IP4): port 7007 or address 192.0.2.77
// go to server A; select_b_no_reuseport sends everything to B with BPF_SK_LOOKUP_F_NO_REUSEPORT.
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define DST_PORT 7007
#define DST_IP4 0xc000024d /* 192.0.2.77 */

static const __u32 KEY_SERVER_A = 0;
static const __u32 KEY_SERVER_B = 1;

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} redir_map SEC(".maps");

struct assign_cfg {
	__u32 key;
	__u32 flags;
	__s32 err;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct assign_cfg);
} assign_cfg SEC(".maps");

struct lookup_seen {
	__u32 family;
	__u32 protocol;
	__u32 remote_ip4;
	__u32 remote_ip6[4];
	__u32 remote_port;
	__u32 local_ip4;
	__u32 local_ip6[4];
	__u32 local_port;
	__u32 ingress_ifindex;
	__u32 had_sk;
	__u32 runs;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lookup_seen);
} seen SEC(".maps");

/* bpf_sk_assign(redir_map[key], flags): SK_PASS when the slot is empty, SK_DROP when the assign fails. */
static __always_inline int assign_from_map(struct bpf_sk_lookup *ctx, __u32 key, __u64 flags)
{
	struct bpf_sock *sk = bpf_map_lookup_elem(&redir_map, &key);
	long err;

	if (!sk)
		return SK_PASS;
	err = bpf_sk_assign(ctx, sk, flags);
	bpf_sk_release(sk);
	return err ? SK_DROP : SK_PASS;
}

/* Steer to server A when the local port is DST_PORT (the selftests' redir_port). */
SEC("sk_lookup")
int redir_port(struct bpf_sk_lookup *ctx)
{
	if (ctx->local_port != DST_PORT)
		return SK_PASS;
	return assign_from_map(ctx, KEY_SERVER_A, 0);
}

/* Steer to server A when the local address is DST_IP4 (redir_ip4). */
SEC("sk_lookup")
int redir_ip4(struct bpf_sk_lookup *ctx)
{
	if (ctx->family != 2 /* AF_INET */ || ctx->local_ip4 != bpf_htonl(DST_IP4))
		return SK_PASS;
	return assign_from_map(ctx, KEY_SERVER_A, 0);
}

/* Everything to server B, past its reuseport group (BPF_SK_LOOKUP_F_NO_REUSEPORT). */
SEC("sk_lookup")
int select_b_no_reuseport(struct bpf_sk_lookup *ctx)
{
	return assign_from_map(ctx, KEY_SERVER_B, BPF_SK_LOOKUP_F_NO_REUSEPORT);
}

/*
 * Server B, over whatever an earlier program chose: without BPF_SK_LOOKUP_F_REPLACE the assign
 * fails with EEXIST and the program drops; with it, B wins (the selftests' sk_assign_eexist and
 * sk_assign_replace_flag).
 */
SEC("sk_lookup")
int replace_with_b(struct bpf_sk_lookup *ctx)
{
	struct bpf_sock *sk;
	long err;

	sk = bpf_map_lookup_elem(&redir_map, &KEY_SERVER_B);
	if (!sk)
		return SK_PASS;

	err = bpf_sk_assign(ctx, sk, 0);
	if (err == -17 /* EEXIST */)
		err = bpf_sk_assign(ctx, sk, BPF_SK_LOOKUP_F_REPLACE);
	bpf_sk_release(sk);
	return err ? SK_DROP : SK_PASS;
}

/* Undo an earlier program's choice: assigning NULL needs BPF_SK_LOOKUP_F_REPLACE too. */
SEC("sk_lookup")
int unassign(struct bpf_sk_lookup *ctx)
{
	return bpf_sk_assign(ctx, NULL, BPF_SK_LOOKUP_F_REPLACE) ? SK_DROP : SK_PASS;
}

/* Record the context, every field, in `seen` (narrow loads of ports and addresses included). */
SEC("sk_lookup")
int record_ctx(struct bpf_sk_lookup *ctx)
{
	__u32 zero = 0;
	struct lookup_seen *s = bpf_map_lookup_elem(&seen, &zero);

	if (!s)
		return SK_PASS;
	s->family = ctx->family;
	s->protocol = ctx->protocol;
	s->remote_ip4 = ctx->remote_ip4;
	s->remote_ip6[0] = ctx->remote_ip6[0];
	s->remote_ip6[1] = ctx->remote_ip6[1];
	s->remote_ip6[2] = ctx->remote_ip6[2];
	s->remote_ip6[3] = ctx->remote_ip6[3];
	s->remote_port = ctx->remote_port;
	s->local_ip4 = ctx->local_ip4;
	s->local_ip6[0] = ctx->local_ip6[0];
	s->local_ip6[1] = ctx->local_ip6[1];
	s->local_ip6[2] = ctx->local_ip6[2];
	s->local_ip6[3] = ctx->local_ip6[3];
	s->local_port = *(__u16 *)&ctx->local_port;
	s->ingress_ifindex = ctx->ingress_ifindex;
	s->had_sk = ctx->sk ? ctx->sk->family : 0;
	s->runs++;
	return SK_PASS;
}

/*
 * bpf_sk_assign(redir_map[cfg.key], cfg.flags), its result in cfg.err (-ENOENT when the slot is
 * empty); SK_PASS whatever happened, so that only the assign decides.
 */
SEC("sk_lookup")
int assign_configured(struct bpf_sk_lookup *ctx)
{
	__u32 zero = 0;
	struct assign_cfg *cfg = bpf_map_lookup_elem(&assign_cfg, &zero);
	struct bpf_sock *sk;

	if (!cfg)
		return SK_PASS;
	sk = bpf_map_lookup_elem(&redir_map, &cfg->key);
	if (!sk) {
		cfg->err = -2;
		return SK_PASS;
	}
	cfg->err = bpf_sk_assign(ctx, sk, cfg->flags);
	bpf_sk_release(sk);
	return SK_PASS;
}

SEC("sk_lookup")
int lookup_drop(struct bpf_sk_lookup *ctx)
{
	return SK_DROP;
}

SEC("sk_lookup")
int lookup_pass(struct bpf_sk_lookup *ctx)
{
	return SK_PASS;
}

char _license[] SEC("license") = "GPL";

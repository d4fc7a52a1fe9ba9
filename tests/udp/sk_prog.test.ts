// The socket lookup's programmable steps at run time: sk_lookup programs (programs/sk_lookup.c) and an
// sk_reuseport program (programs/sk_reuseport.c) loaded from C, attached, and run the way the socket
// lookup runs them (skLookupRun, skReuseportRun), over sockets made with the socket API and put in
// socket maps; then whole datagrams through the receive path, steered by the programs. Expected results follow
// the kernel's rules, cited per test: bpf_sk_lookup_run_v4/v6 and BPF_PROG_SK_LOOKUP_RUN_ARRAY
// (include/linux/filter.h), bpf_sk_lookup_assign and sk_select_reuseport (net/core/filter.c),
// bpf_run_sk_reuseport (net/core/sock_reuseport.c users).

import { beforeEach, describe, expect, it } from 'vitest';
import type { BpfObject } from '../../src/control/datapath.js';
import { AttachError } from '../../src/control/sk_programs.js';
import { eth, ipv4, stackUnready, udp4 } from '../net/support.js';
import { AF_INET, AF_INET6, H_MAC, IPPROTO_UDPLITE, R_MAC, SkEnv, u32le, u64le } from './sk_prog_support.js';

const unready = await stackUnready();

const BPF_SK_LOOKUP_F_REPLACE = 1;
const BPF_SK_LOOKUP_F_NO_REUSEPORT = 2;
const EEXIST = 17;
const EINVAL = 22;
const ENOENT = 2;
const EPROTOTYPE = 91;
const ESOCKTNOSUPPORT = 94;
const EAFNOSUPPORT = 97;
const EBADFD = 77;

const to7007 = { saddr: '198.51.100.1', sport: 40000, daddr: '192.0.2.1', dport: 7007 };
const to9 = { saddr: '198.51.100.1', sport: 40000, daddr: '192.0.2.1', dport: 9 };

describe.skipIf(unready !== '')('sk_lookup programs', () => {
  let env: SkEnv;
  let socks: SkEnv;
  let dp: SkEnv['dp'];
  let obj: BpfObject;
  /** Sockets: A, B, connected, UDP-Lite, dual-stack IPv6, IPV6_V6ONLY. */
  let A: number, B: number, CONN: number, LITE: number, DUAL: number, V6ONLY: number;
  /** Put socket `id` at `key` of redir_map (the kernel takes an fd; wxdp a socket id). */
  const put = (key: number, id: number): void => obj.map('redir_map').update(u32le(key), u64le(id));

  beforeEach(async () => {
    env = socks = await SkEnv.create();
    dp = env.dp;
    A = env.sock({ addr: '192.0.2.1', port: 7007 });
    B = env.sock({ port: 8008 });
    CONN = env.sock({ port: 53, connect: ['192.0.2.2', 53] });
    LITE = env.sock({ port: 5000, protocol: 'udplite' });
    DUAL = env.sock({ family: 'inet6', port: 6000 });
    V6ONLY = env.sock({ family: 'inet6', port: 6001, ipv6Only: true });
    obj = await dp.loadObject('programs/sk_lookup.o');
    put(0, A);
    put(1, B);
  });

  it('with no program attached, the tables decide (0)', () => {
    expect(socks.lookup(to7007)).toBe(0);
  });

  it('redir_port steers port 7007 to server A and leaves other ports to the tables', () => {
    dp.attachSkLookup(obj.program('redir_port'));
    expect(socks.lookup(to7007)).toBe(A);
    expect(socks.noReuseport()).toBe(false);
    expect(socks.lookup(to9)).toBe(0);
  });

  it('redir_ip4 steers by local address (192.0.2.77), IPv4 only', () => {
    dp.attachSkLookup(obj.program('redir_ip4'));
    expect(socks.lookup({ ...to9, daddr: '192.0.2.77' })).toBe(A);
    expect(socks.lookup(to9)).toBe(0);
    expect(socks.lookup({ family: AF_INET6, saddr: '2001:db8::1', sport: 1, daddr: '2001:db8::77', dport: 9 })).toBe(0);
  });

  it('SK_DROP alone drops; SK_PASS alone leaves the lookup to the tables', () => {
    const drop = dp.attachSkLookup(obj.program('lookup_drop'));
    expect(socks.lookup(to9)).toBe('drop');
    drop.detach();
    dp.attachSkLookup(obj.program('lookup_pass'));
    expect(socks.lookup(to9)).toBe(0);
  });

  it('a drop counts only when no program selected a socket (BPF_PROG_SK_LOOKUP_RUN_ARRAY), in either order', () => {
    dp.attachSkLookup(obj.program('lookup_drop'));
    dp.attachSkLookup(obj.program('redir_port'));
    expect(socks.lookup(to7007)).toBe(A);
    expect(socks.lookup(to9)).toBe('drop');
  });

  it('a later program sees the earlier choice in ctx->sk and replaces it only with BPF_SK_LOOKUP_F_REPLACE', () => {
    dp.attachSkLookup(obj.program('redir_port'));
    dp.attachSkLookup(obj.program('record_ctx'));
    dp.attachSkLookup(obj.program('replace_with_b'));
    expect(socks.lookup(to7007)).toBe(B);
    // record_ctx ran second: ctx->sk was server A (AF_INET).
    const seen = new DataView(obj.map('seen').lookup(u32le(0))!.buffer);
    expect(seen.getUint32(60, true)).toBe(AF_INET);
  });

  it('an assign refused with EEXIST makes its program drop, but the earlier choice stands', () => {
    // replace_with_b first (B chosen), then redir_port: its assign of A fails with EEXIST, it returns
    // SK_DROP; a socket was selected, so the result is B.
    dp.attachSkLookup(obj.program('replace_with_b'));
    dp.attachSkLookup(obj.program('redir_port'));
    expect(socks.lookup(to7007)).toBe(B);
  });

  it('a program that un-assigns (NULL with F_REPLACE) and passes leaves the last non-NULL socket chosen', () => {
    dp.attachSkLookup(obj.program('redir_port'));
    dp.attachSkLookup(obj.program('unassign'));
    expect(socks.lookup(to7007)).toBe(A);
  });

  it('BPF_SK_LOOKUP_F_NO_REUSEPORT is handed to the lookup with the socket', () => {
    dp.attachSkLookup(obj.program('select_b_no_reuseport'));
    expect(socks.lookup(to9)).toBe(B);
    expect(socks.noReuseport()).toBe(true);
  });

  it('a detached program stops running; links keep their order', () => {
    const a = dp.attachSkLookup(obj.program('redir_port'));
    dp.attachSkLookup(obj.program('lookup_drop'));
    expect(socks.lookup(to9)).toBe('drop');
    a.detach();
    expect(socks.lookup(to7007)).toBe('drop');
    expect(() => a.detach()).toThrow(AttachError);
  });

  it('the context holds the datagram: family, protocol, addresses, ports (remote be16, local host order), ifindex', () => {
    dp.attachSkLookup(obj.program('record_ctx'));
    socks.lookup({ ...to7007, ifindex: 3 });
    let v = new DataView(obj.map('seen').lookup(u32le(0))!.buffer);
    expect([v.getUint32(0, true), v.getUint32(4, true)]).toEqual([AF_INET, 17]);
    expect(v.getUint32(8, false)).toBe(0xc6336401); // remote_ip4 198.51.100.1 in network order
    expect([v.getUint32(12, true), v.getUint32(24, true)]).toEqual([0, 0]); // remote_ip6 stays zero
    expect(v.getUint32(28, true)).toBe(0x409c); // remote_port: htons(40000)
    expect(v.getUint32(32, false)).toBe(0xc0000201); // local_ip4 192.0.2.1
    expect([v.getUint32(52, true), v.getUint32(56, true), v.getUint32(60, true)]).toEqual([7007, 3, 0]);
    socks.lookup({ family: AF_INET6, saddr: '2001:db8::1', sport: 53, daddr: '2001:db8::2', dport: 7007, ifindex: 4 });
    v = new DataView(obj.map('seen').lookup(u32le(0))!.buffer);
    expect([v.getUint32(0, true), v.getUint32(8, true)]).toEqual([AF_INET6, 0]);
    expect([v.getUint32(12, false), v.getUint32(24, false)]).toEqual([0x20010db8, 1]);
    expect([v.getUint32(36, false), v.getUint32(48, false)]).toEqual([0x20010db8, 2]);
    expect(v.getUint32(28, true)).toBe(0x3500);
    expect(v.getUint32(64, true)).toBe(2); // runs
  });

  describe('bpf_sk_assign refusals (bpf_sk_lookup_assign)', () => {
    const assign = (key: number, flags: number, lookup = to9): { err: number; result: number | 'drop' } => {
      const cfg = new Uint8Array(12);
      new DataView(cfg.buffer).setUint32(0, key, true);
      new DataView(cfg.buffer).setUint32(4, flags, true);
      obj.map('assign_cfg').update(u32le(0), cfg);
      const result = socks.lookup(lookup);
      return { err: new DataView(obj.map('assign_cfg').lookup(u32le(0))!.buffer).getInt32(8, true), result };
    };
    beforeEach(() => {
      put(2, CONN);
      put(3, DUAL);
      dp.attachSkLookup(obj.program('assign_configured'));
    });

    it('unknown flags: EINVAL', () => expect(assign(0, 4).err).toBe(-EINVAL));
    it('a connected UDP socket: ESOCKTNOSUPPORT', () => expect(assign(2, 0)).toEqual({ err: -ESOCKTNOSUPPORT, result: 0 }));
    it('an unconnected one: chosen', () => expect(assign(0, 0)).toEqual({ err: 0, result: A }));
    it('an IPv6 dual-stack socket for an IPv4 datagram: chosen', () => expect(assign(3, 0)).toEqual({ err: 0, result: DUAL }));
    it('an IPv4 socket for an IPv6 datagram: EAFNOSUPPORT', () =>
      expect(assign(0, 0, { family: AF_INET6, saddr: '2001:db8::1', sport: 1, daddr: '2001:db8::2', dport: 9 }).err).toBe(-EAFNOSUPPORT));
    it('an IPV6_V6ONLY socket for an IPv4 datagram: EAFNOSUPPORT', () => {
      put(3, V6ONLY);
      expect(assign(3, 0).err).toBe(-EAFNOSUPPORT);
    });
    it('a UDP-Lite socket for a UDP datagram: EPROTOTYPE (sockmaps refuse UDP-Lite, so a program sees none)', () => {
      expect(() => put(2, LITE)).toThrow(/EOPNOTSUPP/);
    });
    it('a UDP socket for a UDP-Lite lookup: EPROTOTYPE', () => expect(assign(0, 0, { ...to9, protocol: IPPROTO_UDPLITE }).err).toBe(-EPROTOTYPE));
    it('over an earlier choice without F_REPLACE: EEXIST; with it: replaced', () => {
      dp.attachSkLookup(obj.program('assign_configured'));
      expect(assign(0, 0).err).toBe(-EEXIST);
      expect(assign(1, BPF_SK_LOOKUP_F_REPLACE)).toEqual({ err: 0, result: B });
    });
    it('with F_NO_REUSEPORT: chosen, the flag handed on', () => {
      expect(assign(1, BPF_SK_LOOKUP_F_NO_REUSEPORT)).toEqual({ err: 0, result: B });
      expect(socks.noReuseport()).toBe(true);
    });
    it('an empty slot: the lookup finds nothing (NULL)', () => {
      obj.map('redir_map').delete(u32le(1));
      expect(assign(1, 0).err).toBe(-ENOENT);
    });
    it('a closed socket leaves the map', () => {
      env.t.close(A);
      expect(assign(0, 0).err).toBe(-ENOENT);
      expect(obj.map('redir_map').lookup(u32le(0))).toBeUndefined();
    });
  });

  it('attaching a program of another type: AttachError EINVAL', async () => {
    const rp = await dp.loadObject('programs/sk_reuseport.o');
    expect(() => dp.attachSkLookup(rp.program())).toThrow(/sk_reuseport program; this attach takes sk_lookup \(EINVAL\)/);
    expect(() => obj.program('redir_port').fd).toThrow(/not XDP/);
  });

  it('at most 64 programs (netns_bpf_max_progs): the 65th is E2BIG', () => {
    for (let i = 0; i < 64; i++) dp.attachSkLookup(obj.program('lookup_pass'));
    expect(() => dp.attachSkLookup(obj.program('lookup_pass'))).toThrow(/E2BIG/);
  });
});

describe.skipIf(unready !== '')('sk_reuseport programs', () => {
  let env: SkEnv;
  let socks: SkEnv;
  let dp: SkEnv['dp'];
  let obj: BpfObject;
  /** Three members of one group on :9000, one of another group (192.0.2.1:9000), one IPv6 group, one without. */
  let M: number[];
  let OTHER: number, OTHER6: number, LONE: number, GROUP: number;
  const udp = (cmd: number, payload = 4): Uint8Array => {
    const b = new Uint8Array(8 + payload);
    const v = new DataView(b.buffer);
    v.setUint16(0, 40000);
    v.setUint16(2, 9000);
    v.setUint16(4, 8 + payload);
    b[8] = cmd;
    return b;
  };
  const seen = (): DataView => new DataView(obj.map('seen').lookup(u32le(0))!.buffer);

  beforeEach(async () => {
    env = socks = await SkEnv.create();
    dp = env.dp;
    M = [0, 1, 2].map(() => env.sock({ port: 9000, reusePort: true }));
    OTHER = env.sock({ addr: '192.0.2.1', port: 9000, reusePort: true });
    OTHER6 = env.sock({ family: 'inet6', addr: '2001:db8:1::1', port: 9000, reusePort: true });
    LONE = env.sock({ port: 9001 });
    GROUP = env.group(M[0]!);
    obj = await dp.loadObject('programs/sk_reuseport.o');
    M.forEach((id, k) => obj.map('reuseport_array').update(u32le(k), u64le(id)));
    dp.attachReuseport(M[0]!, obj.program('select_by_payload'));
  });

  it('the sockets of one bind form one group, the others their own', () => {
    expect(M.map((id) => env.group(id))).toEqual([GROUP, GROUP, GROUP]);
    expect(GROUP).not.toBe(0);
    expect([env.group(OTHER), env.group(OTHER6)]).not.toContain(GROUP);
    expect(env.group(LONE)).toBe(0);
  });

  it('picks the member the payload names; 0xfe leaves it to the hash (0); 0xff drops', () => {
    expect(socks.reuseport(GROUP, udp(2), 7)).toBe(M[2]);
    expect(socks.reuseport(GROUP, udp(0), 7)).toBe(M[0]);
    expect(socks.reuseport(GROUP, udp(0xfe), 7)).toBe(0);
    expect(socks.reuseport(GROUP, udp(0xff), 7)).toBe('drop');
  });

  it('an empty index: ENOENT, the program drops', () => {
    expect(socks.reuseport(GROUP, udp(3), 7)).toBe('drop');
    expect(seen().getInt32(28, true)).toBe(-ENOENT);
  });

  it('a socket of another group: EBADFD (same family and protocol), EAFNOSUPPORT (other family)', () => {
    obj.map('reuseport_array').update(u32le(3), u64le(OTHER));
    expect(socks.reuseport(GROUP, udp(3), 7)).toBe('drop');
    expect(seen().getInt32(28, true)).toBe(-EBADFD);
    obj.map('reuseport_array').delete(u32le(3));
    obj.map('reuseport_array').update(u32le(3), u64le(OTHER6));
    expect(socks.reuseport(GROUP, udp(3), 7)).toBe('drop');
    expect(seen().getInt32(28, true)).toBe(-EAFNOSUPPORT);
  });

  it('the context: len from the UDP header, eth_protocol, ip_protocol, bind_inany, hash, ctx->sk', () => {
    socks.reuseport(GROUP, udp(0, 12), 0xdeadbeef);
    const v = seen();
    expect(v.getUint32(0, true)).toBe(20);
    expect(v.getUint32(4, true)).toBe(0x0008); // htons(ETH_P_IP)
    expect(v.getUint32(8, true)).toBe(17);
    expect(v.getUint32(12, true)).toBe(1);
    expect(v.getUint32(16, true)).toBe(0xdeadbeef);
    expect([v.getUint32(20, true), v.getUint32(24, true)]).toEqual([AF_INET, 9000]);
  });

  it('a datagram too short for the command byte: SK_DROP (the packet bound proven by the verifier holds)', () => {
    expect(socks.reuseport(GROUP, udp(0, 0), 7)).toBe('drop');
  });

  it('groups without a program, and detached ones, are left to the hash', () => {
    expect(socks.reuseport(env.group(OTHER), udp(0), 7)).toBe(0);
    dp.detachReuseport(M[1]!);
    expect(socks.reuseport(GROUP, udp(0), 7)).toBe(0);
    expect(() => dp.detachReuseport(M[1]!)).toThrow(/ENOENT/);
  });

  it('attach and detach need a socket in a reuseport group (EINVAL) that exists (EBADF)', () => {
    expect(() => dp.attachReuseport(LONE, obj.program('select_by_payload'))).toThrow(/not in a reuseport group.*\(EINVAL\)/);
    expect(() => dp.attachReuseport(999, obj.program('select_by_payload'))).toThrow(/EBADF/);
    expect(() => dp.detachReuseport(LONE)).toThrow(/EINVAL/);
  });

  it('attach refuses a program loaded unverified: socket programs run verified only (EINVAL)', async () => {
    const unverified = await dp.loadObject('programs/sk_reuseport.o', { verify: false });
    expect(() => dp.attachReuseport(M[0]!, unverified.program('select_by_payload'))).toThrow(/loaded unverified \(runs checked\); sk_reuseport programs run verified only \(EINVAL\)/);
  });
});

describe.skipIf(unready !== '')('datagrams through the receive path, steered by the programs', () => {
  const payload = (cmd: number): Uint8Array => Uint8Array.from([cmd, 1, 2, 3]);
  const frame = (dst: string, dport: number, data: Uint8Array, sport = 40000): Uint8Array =>
    eth({ dst: R_MAC, src: H_MAC, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst, proto: 17 }, udp4('192.0.2.2', dst, sport, dport, data)));
  /** Which sockets (by id) got a datagram, reading every queue. */
  const receivers = (env: SkEnv, ids: number[]): number[] => ids.flatMap((id) => (env.t.recv(id) ? [id] : []));

  it('sk_lookup: port 7007 goes to the socket in redir_map (bound elsewhere), past the socket bound to it; SK_DROP answers as no socket', async () => {
    const env = await SkEnv.create();
    const owner = env.sock({ addr: '192.0.2.1', port: 7007 });
    const server = env.sock({ port: 8008 });
    const obj = await env.dp.loadObject('programs/sk_lookup.o');
    obj.map('redir_map').update(u32le(0), u64le(server));
    env.fx.rx('eth0', frame('192.0.2.1', 7007, payload(1)));
    expect(receivers(env, [owner, server])).toEqual([owner]);
    const link = env.dp.attachSkLookup(obj.program('redir_port'));
    env.fx.rx('eth0', frame('192.0.2.1', 7007, payload(2)));
    env.fx.rx('eth0', frame('192.0.2.1', 8008, payload(3)));
    expect(receivers(env, [owner, server])).toEqual([server]);
    expect(env.t.recv(server)).toBeDefined(); // the one sent to 8008 itself
    link.detach();
    env.dp.attachSkLookup(obj.program('lookup_drop'));
    const before = env.dp.stack.mib()['Udp:NoPorts'] ?? 0;
    const out = env.fx.rx('eth0', frame('192.0.2.1', 7007, payload(4)));
    expect(receivers(env, [owner, server])).toEqual([]);
    expect(env.dp.stack.mib()['Udp:NoPorts']).toBe(before + 1);
    expect(out.size).toBe(1); // the ICMP port unreachable __udp4_lib_rcv sends for no socket
  });

  it('sk_reuseport: the member the payload names receives; 0xfe leaves it to the hash; 0xff refuses', async () => {
    const env = await SkEnv.create();
    const members = [0, 1, 2].map(() => env.sock({ port: 9000, reusePort: true }));
    const obj = await env.dp.loadObject('programs/sk_reuseport.o');
    members.forEach((id, k) => obj.map('reuseport_array').update(u32le(k), u64le(id)));
    env.dp.attachReuseport(members[1]!, obj.program('select_by_payload'));
    for (const k of [2, 0, 1, 2]) {
      env.fx.rx('eth0', frame('192.0.2.1', 9000, payload(k), 40000 + k));
      expect(receivers(env, members)).toEqual([members[k]]);
    }
    env.fx.rx('eth0', frame('192.0.2.1', 9000, payload(0xfe)));
    expect(receivers(env, members)).toHaveLength(1);
    env.fx.rx('eth0', frame('192.0.2.1', 9000, payload(0xff)));
    expect(receivers(env, members)).toEqual([]);
  });
});

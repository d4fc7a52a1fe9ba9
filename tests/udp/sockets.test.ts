// SocketTable's surface: argument errors (WxdpError USAGE), refused calls (SocketError SOCKET with the
// kernel's errno name and number), the state a call leaves behind (getsockname / getpeername after
// bind, connect, disconnect — __udp_disconnect's rules, read from its code), the port range, ids and
// cookies, and the fast path's layout constants TypeScript mirrors.

import { describe, expect, it } from 'vitest';
import { Fixture, stackUnready, eth, ipv4, udp4 } from '../net/support.js';
import { WxdpError } from '../../src/errors.js';
import { RM_SIZE, SOCKET_OPTION, SocketError, errnoName } from '../../src/control/sockets.js';
import { H_MAC, LINKS, NEIGH, R_MAC } from './support.js';

const unready = await stackUnready();
const setup = async () => {
  const fx = await Fixture.create(LINKS, [], NEIGH);
  return { fx, t: fx.dp.socketTable };
};
const u4 = (dport: number, n = 4): Uint8Array =>
  eth({ dst: R_MAC, src: H_MAC, type: 0x0800 }, ipv4({ src: '192.0.2.2', dst: '192.0.2.1', proto: 17 }, udp4('192.0.2.2', '192.0.2.1', 1111, dport, new Uint8Array(n))));

describe.skipIf(unready !== '')('SocketTable', () => {
  it('argument errors are USAGE errors naming the argument', async () => {
    const { t } = await setup();
    expect(() => t.create({ family: 'inet7' as 'inet' })).toThrowError(/socket family must be 'inet' or 'inet6'/);
    expect(() => t.create({ family: 'inet', protocol: 'tcp' as 'udp' })).toThrowError(/protocol must be 'udp' or 'udplite'/);
    const s = t.create({ family: 'inet' });
    for (const f of [() => t.bind(s, undefined, 70000), () => t.connect(s, '192.0.2.2', -1), () => t.bind(s, undefined, 1.5)]) {
      expect(f).toThrowError(WxdpError);
      expect(f).toThrowError(/port must be an integer 0-65535/);
    }
    expect(() => t.setOption(s, 'SO_NOPE' as 'SO_MARK', 1)).toThrowError(/unknown socket option 'SO_NOPE'/);
    expect(() => t.setOption(s, 'SO_MARK', 1.5)).toThrowError(/value must be an integer/);
    expect(() => t.bind(s, 'not-an-address', 1)).toThrowError(/is not an IPv4 address/);
    expect(() => t.createRaw('inet', 0)).toThrowError(/IP protocol must be 1-255/);
  });

  it('refused calls throw SocketError: code SOCKET, errno name and number, the call, strerror words', async () => {
    const { t } = await setup();
    const s = t.create({ family: 'inet' });
    t.bind(s, '192.0.2.1', 4000);
    const e = (() => {
      try {
        t.bind(s, '192.0.2.1', 4001);
      } catch (x) {
        return x as SocketError;
      }
      return undefined;
    })()!;
    expect(e).toBeInstanceOf(SocketError);
    expect([e.code, e.errno, e.errnoValue, e.syscall]).toEqual(['SOCKET', 'EINVAL', 22, 'bind']);
    expect(e.message).toBe('bind 192.0.2.1:4001: Invalid argument (EINVAL)');
    expect(() => t.bind(t.create({ family: 'inet' }), '192.0.2.1', 4000)).toThrowError('bind 192.0.2.1:4000: Address already in use (EADDRINUSE)');
    expect(() => t.bind(s, '2001:db8::1', 1)).toThrowError(/EAFNOSUPPORT/);
    expect([errnoName(98), errnoName(-111), errnoName(4242)]).toEqual(['EADDRINUSE', 'ECONNREFUSED', 'E4242']);
  });

  it('a closed id is EBADF everywhere, and may be given to a new socket', async () => {
    const { t } = await setup();
    const s = t.create({ family: 'inet' });
    t.close(s);
    expect(t.has(s)).toBe(false);
    for (const f of [() => t.close(s), () => t.bind(s, undefined, 1), () => t.recv(s), () => t.address(s), () => t.getOption(s, 'SO_RCVBUF'), () => t.takeError(s), () => t.stats(s)]) {
      expect(f).toThrowError(/EBADF/);
    }
    const again = t.create({ family: 'inet' });
    expect(t.has(again)).toBe(true);
    expect(t.count).toBe(1);
  });

  it('getsockname / getpeername through bind, connect and disconnect (__udp_disconnect)', async () => {
    const { t } = await setup();
    // an explicit port stays bound and hashed; an address chosen by connect goes back to the wildcard
    const a = t.create({ family: 'inet' });
    t.bind(a, undefined, 4100);
    expect(t.remoteAddress(a)).toBeUndefined();
    t.connect(a, '192.0.2.2', 53);
    expect([t.address(a), t.remoteAddress(a)]).toEqual([{ address: '192.0.2.1', family: 'IPv4', port: 4100 }, { address: '192.0.2.2', family: 'IPv4', port: 53 }]);
    t.disconnect(a);
    expect([t.address(a), t.remoteAddress(a)]).toEqual([{ address: '0.0.0.0', family: 'IPv4', port: 4100 }, undefined]);
    // an autobound port (connect without bind, or bind to port 0) is given up by disconnect
    const b = t.create({ family: 'inet' });
    t.connect(b, '192.0.2.2', 53);
    expect(t.address(b).port).toBeGreaterThanOrEqual(32768);
    t.disconnect(b);
    expect(t.address(b)).toEqual({ address: '0.0.0.0', family: 'IPv4', port: 0 });
    // an explicitly bound address survives disconnect (SOCK_BINDADDR_LOCK)
    const c = t.create({ family: 'inet6' });
    t.bind(c, '2001:db8:1::1', 4101);
    t.connect(c, '2001:db8:1::2', 53);
    expect(t.remoteAddress(c)).toEqual({ address: '2001:db8:1::2', family: 'IPv6', port: 53 });
    t.disconnect(c);
    expect(t.address(c)).toEqual({ address: '2001:db8:1::1', family: 'IPv6', port: 4101 });
    // a dual-stack socket connected to an IPv4 peer sees it v4-mapped
    const d = t.create({ family: 'inet6' });
    t.connect(d, '192.0.2.2', 53);
    expect(t.remoteAddress(d)).toEqual({ address: '::ffff:192.0.2.2', family: 'IPv6', port: 53 });
    expect(t.address(d).address).toBe('::ffff:192.0.2.1');
  });

  it('a link-local address binds with its scope, which binds the device too (__inet6_bind); none: EINVAL; an unknown one: ENODEV', async () => {
    const fx = await Fixture.create([{ ...LINKS[0]!, v6: ['2001:db8:1::1/64', 'fe80::1/64'] }], [], NEIGH);
    const t = fx.dp.socketTable;
    const eth0 = fx.devs.get('eth0')!.ifindex;
    const s = t.create({ family: 'inet6' });
    expect(() => t.bind(s, 'fe80::1', 4400)).toThrowError(/EINVAL/);
    expect(() => t.bind(s, 'fe80::1%99', 4400)).toThrowError(/ENODEV/);
    t.bind(s, 'fe80::1%eth0', 4400);
    expect([t.address(s).address, t.getOption(s, 'SO_BINDTODEVICE')]).toEqual(['fe80::1', eth0]);
    const n = t.create({ family: 'inet6' });
    t.bind(n, `fe80::1%${eth0}`, 4401);
    expect(t.getOption(n, 'SO_BINDTODEVICE')).toBe(eth0);
  });

  it('the port range: ephemeral ports from it, EADDRINUSE once every port of it is taken; a bad range is EINVAL', async () => {
    const { t } = await setup();
    t.setPortRange(40000, 40002);
    const ports = [0, 1, 2].map(() => {
      const s = t.create({ family: 'inet' });
      t.bind(s, undefined, 0);
      return t.address(s).port;
    });
    expect(ports.sort()).toEqual([40000, 40001, 40002]);
    expect(() => t.bind(t.create({ family: 'inet' }), undefined, 0)).toThrowError(/EADDRINUSE/);
    expect(() => t.setPortRange(5, 4)).toThrowError(/EINVAL/);
  });

  it('options: SO_TYPE, SO_PROTOCOL, SO_DOMAIN, SO_COOKIE distinct per socket, SO_ERROR takes the error', async () => {
    const { t } = await setup();
    const a = t.create({ family: 'inet6', protocol: 'udplite' });
    const b = t.create({ family: 'inet' });
    expect([t.getOption(a, 'SO_TYPE'), t.getOption(a, 'SO_PROTOCOL'), t.getOption(a, 'SO_DOMAIN')]).toEqual([2, 136, 10]);
    expect(t.stats(a).cookie).not.toBe(t.stats(b).cookie);
    expect(t.getOption(b, 'SO_ERROR')).toBe(0);
    expect(() => t.setOption(b, 'UDPLITE_RECV_CSCOV', 8)).toThrowError(/ENOPROTOOPT/);
    t.setOption(a, 'UDPLITE_SEND_CSCOV', 3);
    expect(t.getOption(a, 'UDPLITE_SEND_CSCOV')).toBe(8); // 1-7 become 8 (udp_lib_setsockopt)
    expect(Object.keys(SOCKET_OPTION).length).toBeGreaterThan(20);
  });

  it('recvBatch packs datagrams 8-aligned and stops before one that does not fit (the first is cut instead); stats count datagrams taken and queued', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet' });
    t.bind(s, undefined, 4200);
    for (const n of [5, 9, 1]) fx.rx('eth0', u4(4200, n));
    // datagrams and payload bytes queued since the socket was made: those taken and those still queued
    const rx = () => { const st = t.stats(s); return [st.rxPackets, st.rxBytes]; };
    expect(rx()).toEqual([3, 15]);
    expect(t.recv(s)?.data.length).toBe(5);
    expect(rx()).toEqual([3, 15]);
    const b = t.recvBatch(s, 8);
    expect(b.map((d) => [d.size, d.data.length, d.truncated])).toEqual([[9, 9, false], [1, 1, false]]);
    expect(t.recvBatch(s, 8)).toEqual([]);
    fx.rx('eth0', u4(4200, 7));
    expect(rx()).toEqual([4, 22]);
  });

  it('recvBatchView: the same datagrams as recvBatch, read in place; an index out of the batch is a USAGE error', async () => {
    const { fx, t } = await setup();
    const s = t.create({ family: 'inet' });
    t.bind(s, undefined, 4250);
    for (const n of [3, 70]) fx.rx('eth0', u4(4250, n));
    const b = t.recvBatchView(s, 8);
    expect(b.count).toBe(2);
    expect([0, 1].map((i) => [b.size(i), b.data(i).length, b.port(i), b.address(i), b.family(i), b.truncated(i), b.ifindex(i)])).toEqual([
      [3, 3, 1111, '192.0.2.2', 'IPv4', false, fx.devs.get('eth0')!.ifindex],
      [70, 70, 1111, '192.0.2.2', 'IPv4', false, fx.devs.get('eth0')!.ifindex],
    ]);
    expect(() => b.data(2)).toThrowError(/datagram 2 of a batch of 2/);
    expect(t.recvBatchView(s).count).toBe(0);
  });

  it('the ready list names each socket once until reported, and not after close', async () => {
    const { fx, t } = await setup();
    const a = t.create({ family: 'inet' });
    const b = t.create({ family: 'inet' });
    t.bind(a, undefined, 4300);
    t.bind(b, undefined, 4301);
    fx.rx('eth0', u4(4300));
    fx.rx('eth0', u4(4300));
    fx.rx('eth0', u4(4301));
    expect(t.ready()).toEqual([a, b]);
    fx.rx('eth0', u4(4301));
    t.close(b);
    expect(t.ready()).toEqual([]);
    expect(t.queued(a)).toBe(2);
  });

  it('RM_SIZE and the record layout agree with the module', async () => {
    const { fx } = await setup();
    const g = (n: string): number => (fx.dp.fastPath.exports[n] as WebAssembly.Global).value as number;
    expect(g('RM_SIZE')).toBe(RM_SIZE);
    for (const [k, v] of Object.entries({ RM_FAMILY: 0, RM_FLAGS: 1, RM_PORT: 2, RM_IFINDEX: 4, RM_LEN: 8, RM_OFF: 12, RM_ADDR: 16, IO_ADDR: 0, IO_META: 64, IO_META_MAX: 1024, IO_DATA: 65536, IO_DATA_SIZE: 196608 })) {
      expect(g(k), k).toBe(v);
    }
    for (const [k, v] of Object.entries(SOCKET_OPTION)) expect(g(`SKO_${k}`), k).toBe(v);
  });

  it('reuseport groups closed give their packed blocks to the next groups: the reclaimer takes nothing more', async () => {
    const { fx, t } = await setup();
    const fn = <T>(n: string) => fx.dp.fastPath.fn<T>(n);
    const rcBytes = () => Number(fn<() => bigint>('rc_arena_bytes')());
    // 2500 groups of two (128 bytes each: more than one packed slab of 256 KiB), all closed, reclaimed
    const round = () => {
      const ids: number[] = [];
      for (let p = 0; p < 2500; p++) {
        for (let i = 0; i < 2; i++) {
          const id = t.create({ family: 'inet', reusePort: true });
          t.bind(id, '192.0.2.1', 20000 + p);
          ids.push(id);
        }
      }
      for (const id of ids) t.close(id);
      fn<() => number>('rc_reclaim')();
      fn<() => number>('rc_reclaim')();
    };
    round();
    const rc1 = rcBytes();
    for (let r = 0; r < 3; r++) round();
    expect(rcBytes()).toBe(rc1);
  });

  it('a reuseport group holds 32768 members: one more is EADDRINUSE (reuseport_grow: max_socks doubled from 128 while at most U16_MAX)', async () => {
    const { t } = await setup();
    const mk = () => {
      const id = t.create({ family: 'inet', reusePort: true });
      t.bind(id, '192.0.2.1', 5000);
      return id;
    };
    const ids = Array.from({ length: 32768 }, mk);
    expect(t.address(ids[32767]!)).toMatchObject({ address: '192.0.2.1', port: 5000 });
    // reuseport_add_sock's -ENOMEM; udp_lib_get_port fails the bind (inet_num back to 0)
    const over = t.create({ family: 'inet', reusePort: true });
    expect(() => t.bind(over, '192.0.2.1', 5000)).toThrowError(/EADDRINUSE/);
    expect(t.address(over)).toMatchObject({ address: '0.0.0.0', port: 0 });
    // a member gone, there is room again
    t.close(ids[5]!);
    t.bind(over, '192.0.2.1', 5000);
    expect(t.address(over).port).toBe(5000);
  }, 120_000);
});

// The environments node:dgram's behaviour is checked in (dgram.test.ts, dgram_node.test.ts,
// dgram_compat.test.ts): node:dgram on the kernel's loopback, wxdp's sockets on two Datapaths joined by a
// wire, and wxdp's on one Datapath with nothing but its loopback; each with host a and b.
//
//   node:   host a = host b = 127.0.0.1 / ::1 (the kernel's loopback)
//   wxdp:   host a = Datapath A (192.0.2.1/24, 2001:db8::1/64) ──wire── Datapath B (192.0.2.2/24, 2001:db8::2/64)
//   wxdp lo: host a = host b = 127.0.0.1 / ::1 of one Datapath (lo up, no device)

import * as dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { Datapath } from '../../src/control/datapath.js';
import { Poller } from '../../src/control/poller.js';
import type { Wire } from '../../src/control/wire.js';

export type Sock = dgram.Socket;
export type Create = (type: 'udp4' | 'udp6' | dgram.SocketOptions, listener?: (msg: Buffer, rinfo: dgram.RemoteInfo) => void) => Sock;

export interface Env {
  name: string;
  /** Why the environment cannot run here ('' when it can). */
  unavailable(): Promise<string>;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** createSocket on host a or b. */
  on(host: 'a' | 'b'): Create;
  a: { v4: string; v6: string };
  b: { v4: string; v6: string };
  /**
   * Link-local addresses of host a and b on one link, and the link's name (undefined: the host has none;
   * node's are the host's own, reached through its loopback).
   */
  linkLocal(): { a: string; b: string; ifname: string } | undefined;
  /** An IPv4 subnet broadcast address host a sends to (SO_BROADCAST rules). */
  broadcast4: string;
  /** net.ipv4.ip_local_port_range, net.core.rmem_default. */
  portRange(): [number, number];
  rmemDefault(): number;
}

export const nodeEnv: Env = {
  name: 'node:dgram on loopback',
  async unavailable() {
    return '';
  },
  async setup() {},
  async teardown() {},
  on: () => dgram.createSocket as Create,
  a: { v4: '127.0.0.1', v6: '::1' },
  b: { v4: '127.0.0.1', v6: '::1' },
  linkLocal() {
    for (const [ifname, entries] of Object.entries(networkInterfaces())) {
      const ll = entries?.find((e) => e.family === 'IPv6' && e.address.startsWith('fe80:'));
      if (ll) return { a: ll.address, b: ll.address, ifname };
    }
    return undefined;
  },
  broadcast4: '127.255.255.255',
  portRange() {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return [lo!, hi!];
  },
  rmemDefault: () => Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8').trim()),
};

export function wxdpEnv(): Env {
  let a: Datapath | undefined;
  let b: Datapath | undefined;
  let wire: Wire | undefined;
  return {
    name: 'wxdp on two Datapaths joined by a wire',
    async unavailable() {
      const dp = await Datapath.create();
      try {
        dp.udp.backend();
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    },
    async setup() {
      a = await Datapath.create();
      b = await Datapath.create();
      const da = a.addDevice({ name: 'w0', mac: '02:00:00:00:0a:01' });
      const db = b.addDevice({ name: 'w0', mac: '02:00:00:00:0b:01' });
      for (const line of ['link set lo up', 'link set w0 up', 'addr add 192.0.2.1/24 dev w0', 'addr add 2001:db8::1/64 dev w0 nodad', 'addr add fe80::a/64 dev w0 nodad']) a.ip(line);
      for (const line of ['link set lo up', 'link set w0 up', 'addr add 192.0.2.2/24 dev w0', 'addr add 2001:db8::2/64 dev w0 nodad', 'addr add fe80::b/64 dev w0 nodad']) b.ip(line);
      wire = Datapath.wire(a, da, b, db, process.env.WIRE_LOG ? { tap: (f, from) => console.log('WIRE', performance.now().toFixed(0), from, f.length, Buffer.from(f.subarray(12, 14)).toString('hex')) } : {});
      Poller.of(a).kick();
      Poller.of(b).kick();
    },
    async teardown() {
      wire?.close();
    },
    on: (host) => (host === 'a' ? a! : b!).udp.createSocket as unknown as Create,
    a: { v4: '192.0.2.1', v6: '2001:db8::1' },
    b: { v4: '192.0.2.2', v6: '2001:db8::2' },
    linkLocal: () => ({ a: 'fe80::a', b: 'fe80::b', ifname: 'w0' }),
    broadcast4: '192.0.2.255',
    portRange() {
      try {
        const v = a!.sysctl('net.ipv4.ip_local_port_range');
        if (Array.isArray(v)) return [Number(v[0]), Number(v[1])];
        if (typeof v === 'string') return v.trim().split(/\s+/).map(Number) as [number, number];
      } catch {
        // not a sysctl of this build: the kernel's default range
      }
      return [32768, 60999];
    },
    // dp.udp's sockets take net.core.{r,w}mem_* from the machine (udp_backend.ts hostMemLimits), as a
    // namespace's do; the kernel's default (SK_RMEM_MAX) where /proc has none
    rmemDefault: () => {
      try {
        return Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8').trim());
      } catch {
        return 212992;
      }
    },
  };
}

/**
 * wxdp on one Datapath with nothing but its loopback (lo up, no device): a program written for
 * node:dgram on 127.0.0.1 / ::1, server and client in one process, as node's loopback env has them.
 */
export function wxdpLoopbackEnv(): Env {
  let dp: Datapath | undefined;
  return {
    ...nodeEnv,
    name: 'wxdp on one Datapath, loopback only',
    async unavailable() {
      const d = await Datapath.create();
      try {
        d.udp.backend();
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    },
    async setup() {
      dp = await Datapath.create();
      dp.ip('link set lo up');
    },
    async teardown() {
      dp?.udp.closeAll();
    },
    on: () => dp!.udp.createSocket as unknown as Create,
    // the host's link-local addresses are not this Datapath's
    linkLocal: () => undefined,
    portRange: () => [32768, 60999],
    rmemDefault: () => {
      try {
        return Number(readFileSync('/proc/sys/net/core/rmem_default', 'utf8').trim());
      } catch {
        return 212992;
      }
    },
  };
}

/** What a system error shows: the fields programs read. */
export const sysErr = (e: unknown) => {
  const x = e as Record<string, unknown>;
  return { name: (e as Error).name, message: (e as Error).message, code: x.code, errno: x.errno, syscall: x.syscall, address: x.address, port: x.port, keys: Object.keys(x) };
};
/** What a node ERR_* shows. */
export const nodeErr = (e: unknown) => ({ ctor: (e as Error).constructor.name, name: (e as Error).name, code: (e as { code: string }).code, message: (e as Error).message, text: String(e), keys: Object.keys(e as object) });
export const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
};


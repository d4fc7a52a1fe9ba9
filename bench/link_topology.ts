// Real Linux clients reaching wxdp through a VXLAN link: the pieces `wxdp bench link`, tests/link and
// tests/e2e build their topologies from.
//
//   this process (root netns)                             namespace wx-<owner>-<pid>-<n>
//   wxdp link socket ── HOST 198.51.100.<4k+1>/30 ══ veth ══ c0 198.51.100.<4k+2>/30 ── vxlan dev (inner addresses)
//                       2001:db8:1:<k>::1/64                     2001:db8:1:<k>::2/64
//
// Linux bypasses the UDP encapsulation when a vxlan's remote is an address of its own namespace, hence the
// namespace and the veth. HOST is created with its peer in the namespace, so deleting the namespace removes
// both ends. `k` (the slot, 0..63) picks the /30, so files running at once must use different slots.
//
// Programs run in a namespace through runIn / runReady, never spawnSync: wxdp answers from this process's
// event loop while `ping` waits.

import { execFile, spawn, spawnSync } from 'node:child_process';
import { Datapath } from '../src/control/datapath.js';
import type { Device } from '../src/control/device.js';
import type { LinkSpec } from '../src/control/link.js';
import type { Netns } from '../src/oracle/netns.js';

export interface Underlay {
  ns: Netns;
  /** The root-namespace end of the veth, and its address (wxdp's socket binds it). */
  hostIf: string;
  hostAddr: string;
  /** The namespace's end (`ifname`, default c0) and its address. */
  nsIf: string;
  nsAddr: string;
  /** IPv6 addresses of the two ends (2001:db8:1:<slot>::1 here, ::2 there; no DAD). */
  hostAddr6: string;
  nsAddr6: string;
}

let serial = 0;

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

/**
 * A veth from the root namespace into `ns` (198.51.100.<4·slot+1>/30 here, .<4·slot+2>/30 there, and
 * 2001:db8:1:<slot>::1/64 and ::2/64), up.
 * The root end is created with its peer in `ns`, so deleting the namespace removes both.
 */
export function rootUnderlay(ns: Netns, slot: number, nsIf = 'c0'): Underlay {
  if (!Number.isInteger(slot) || slot < 0 || slot > 63) throw new Error(`underlay slot ${slot}: 0..63`);
  const hostIf = `wxl${process.pid % 100000}h${serial++}`;
  const hostAddr = `198.51.100.${slot * 4 + 1}`;
  const nsAddr = `198.51.100.${slot * 4 + 2}`;
  ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf, 'netns', ns.name);
  ip('addr', 'add', `${hostAddr}/30`, 'dev', hostIf);
  ip('link', 'set', hostIf, 'up');
  ns.ip('addr', 'add', `${nsAddr}/30`, 'dev', nsIf);
  const hostAddr6 = `2001:db8:1:${slot.toString(16)}::1`;
  const nsAddr6 = `2001:db8:1:${slot.toString(16)}::2`;
  ip('addr', 'add', `${hostAddr6}/64`, 'dev', hostIf, 'nodad');
  ns.ip('addr', 'add', `${nsAddr6}/64`, 'dev', nsIf, 'nodad');
  ns.ip('link', 'set', nsIf, 'up');
  return { ns, hostIf, hostAddr, nsIf, nsAddr, hostAddr6, nsAddr6 };
}

/** A Linux vxlan device `name` in `ns` (VNI `vni`, port 4789), from `local` to `remote`, down and without addresses. */
export function linuxVxlan(ns: Netns, name: string, vni: number, local: string, remote: string, mtu = 1450): void {
  ns.ip('link', 'add', name, 'mtu', String(mtu), 'type', 'vxlan', 'id', String(vni), 'local', local, 'remote', remote, 'dstport', '4789');
}

/** The spec of wxdp's end of the vxlan linuxVxlan(u.ns, …, vni, u.nsAddr, u.hostAddr) makes. */
export function vxlanSpec(u: Underlay, vni: number): LinkSpec {
  return { type: 'vxlan', vni, local: u.hostAddr, remote: u.nsAddr };
}

/**
 * A namespace's vxlan to wxdp over `u`, with `addrs` (CIDR, IPv6 without DAD), up. Its TX checksum
 * offload is turned off (softwareChecksums): the TCP and UDP it sends then carry finished checksums.
 */
export function vxlanClient(u: Underlay, opts: { dev?: string; vni: number; mtu?: number; addrs: readonly string[] }): string {
  const dev = opts.dev ?? 'vx0';
  linuxVxlan(u.ns, dev, opts.vni, u.nsAddr, u.hostAddr, opts.mtu ?? 1450);
  for (const a of opts.addrs) u.ns.ip('addr', 'add', a, 'dev', dev, ...(a.includes(':') ? ['nodad'] : []));
  softwareChecksums(u.ns, dev);
  u.ns.ip('link', 'set', dev, 'up');
  return dev;
}

export interface WxdpRouter {
  dp: Datapath;
  /** 192.0.2.2/24, VNI 42 over the first underlay (mtu 1450). */
  vx0: Device;
  /** 203.0.113.2/24, VNI 45 over the second (mtu `farMtu`, default 1450). */
  vx1: Device;
}

/**
 * wxdp as the router in the middle: a Datapath in this process with a device on each underlay (their
 * namespaces' ends: linuxVxlan / vxlanClient with VNI 42 and 45) and IPv4 forwarding on.
 */
export async function wxdpRouter(left: Underlay, right: Underlay, opts: { farMtu?: number } = {}): Promise<WxdpRouter> {
  const dp = await Datapath.create({ umemFrames: 4096 });
  const vx0 = dp.addDevice({ name: 'vx0', mac: '02:00:00:00:00:02', mtu: 1450, ringSize: 1024 });
  const vx1 = dp.addDevice({ name: 'vx1', mac: '02:00:00:00:00:03', mtu: opts.farMtu ?? 1450, ringSize: 1024 });
  for (const line of ['link set vx0 up', 'link set vx1 up', 'addr add 192.0.2.2/24 dev vx0', 'addr add 203.0.113.2/24 dev vx1']) dp.ip(line);
  dp.sysctl('net.ipv4.ip_forward', 1);
  await vx0.attachLink(vxlanSpec(left, 42));
  await vx1.attachLink(vxlanSpec(right, 45));
  return { dp, vx0, vx1 };
}

// ETHTOOL_STXCSUM through SIOCETHTOOL (linux/ethtool.h, linux/sockios.h): what `ethtool -K DEV tx off`
// does, for machines without ethtool. struct ifreq is 40 bytes on 64-bit: the name, then ifr_data.
const TX_CSUM_OFF = `
import ctypes, fcntl, socket, struct, sys
value = ctypes.create_string_buffer(struct.pack('II', 0x17, 0), 8)  # ETHTOOL_STXCSUM, data 0
ifr = struct.pack('16sP', sys.argv[1].encode(), ctypes.addressof(value)).ljust(40, b'\\0')
s = socket.socket()
fcntl.ioctl(s.fileno(), 0x8946, ifr)  # SIOCETHTOOL
`;

/**
 * Turn off `dev`'s TX checksum offload in `ns`. Linux's vxlan over a veth otherwise leaves the inner
 * TCP/UDP checksum CHECKSUM_PARTIAL (the veth offers offload): the bytes leaving the namespace carry only
 * the pseudo-header sum, and a receiver of the bytes — wxdp's stack, or a Linux host behind wxdp — drops
 * them as bad checksums. Without offload the kernel finishes the sum before the vxlan device (skb_checksum_help).
 */
export function softwareChecksums(ns: Netns, dev: string): void {
  const r = spawnSync('ip', ['netns', 'exec', ns.name, 'python3', '-c', TX_CSUM_OFF, dev], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${ns.name}: turning off ${dev}'s tx checksum offload: ${(r.stderr || r.error?.message || '').trim()}`);
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `argv` in `ns` without blocking the event loop (wxdp answers from this process meanwhile). */
export function runIn(ns: Netns, argv: readonly string[], timeoutMs = 15_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', ns.name, ...argv], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Run `argv` in `ns`; `ready` settles when its stdout has a line matching `readyRe` (or it ends), `done`
 * when it ends; killed after `timeoutMs`.
 */
export function runReady(ns: Netns, argv: readonly string[], timeoutMs: number, readyRe = /^ready$/m): { ready: Promise<void>; done: Promise<RunResult>; stdout: () => string } {
  const child = spawn('ip', ['netns', 'exec', ns.name, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((res) => (markReady = res));
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (readyRe.test(stdout)) markReady();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<RunResult>((res) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      markReady();
      res({ code: code ?? -1, stdout, stderr });
    });
  });
  return { ready, done, stdout: () => stdout };
}

/** '' when `tool` runs here, else why not (the Debian package to install). */
export function toolMissing(tool: string, pkg: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return r.status === 0 ? '' : `${tool} not found (install ${pkg})`;
}

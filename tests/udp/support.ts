// The host tests/udp/ builds on both sides (wxdp's fixture and the kernel's namespace): one Ethernet
// link with two IPv4 subnets and an IPv6 one, the peer's neighbours permanent.

import type { LinkCfg, NeighCfg } from '../net/support.js';

export const R_MAC = '02:00:00:00:00:01';
export const H_MAC = '02:00:00:00:00:02';
export const LINKS: LinkCfg[] = [{ name: 'eth0', mac: R_MAC, v4: ['192.0.2.1/24', '198.51.100.1/24'], v6: ['2001:db8:1::1/64'] }];
export const NEIGH: NeighCfg[] = [
  { dev: 'eth0', addr: '192.0.2.2', mac: H_MAC },
  { dev: 'eth0', addr: '2001:db8:1::2', mac: H_MAC },
];
export const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];

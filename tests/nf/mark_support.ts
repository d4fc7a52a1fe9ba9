// The router of the mark tests (mark_route_kernel, mark_output_kernel): eth0 inside, eth1 and eth2 both leading to
// 203.0.113.0/24 and 2001:db8:3::/48 — main by eth1's gateway, table 100 by eth2's, `fwmark 7` looking up table 100.

import type { LinkCfg, NeighCfg, RouteCfg } from '../net/support.js';
import { H0, H1, M0, M1 } from './ct_support.js';

export const M2 = '02:00:00:00:01:02'; // router eth2
export const H2 = '02:00:00:00:02:02'; // the gateway behind eth2

export const MARK_LINKS: LinkCfg[] = [
  { name: 'eth0', mac: M0, forwarding: true, v4: ['192.0.2.1/24'], v6: ['2001:db8:1::1/64'] },
  { name: 'eth1', mac: M1, forwarding: true, v4: ['198.51.100.1/25'], v6: ['2001:db8:2::1/64'] },
  { name: 'eth2', mac: M2, forwarding: true, v4: ['198.51.100.129/25'], v6: ['2001:db8:4::1/64'] },
];
export const MARK_ROUTES: RouteCfg[] = [
  { dst: '203.0.113.0/24', via: '198.51.100.2', dev: 'eth1' },
  { dst: '2001:db8:3::/48', via: '2001:db8:2::2', dev: 'eth1' },
];
export const MARK_NEIGH: NeighCfg[] = [
  { dev: 'eth0', addr: '192.0.2.2', mac: H0 },
  { dev: 'eth1', addr: '198.51.100.2', mac: H1 },
  { dev: 'eth2', addr: '198.51.100.130', mac: H2 },
  { dev: 'eth0', addr: '2001:db8:1::2', mac: H0 },
  { dev: 'eth1', addr: '2001:db8:2::2', mac: H1 },
  { dev: 'eth2', addr: '2001:db8:4::2', mac: H2 },
];
/** `ip` lines after the links (`ip -n ROUTER LINE` on Linux, dp.ip in wxdp): table 100 and the fwmark rules. */
export const MARK_IP: string[] = [
  'route add 203.0.113.0/24 via 198.51.100.130 dev eth2 table 100',
  '-6 route add 2001:db8:3::/48 via 2001:db8:4::2 dev eth2 table 100',
  'rule add fwmark 7 lookup 100 pref 100',
  '-6 rule add fwmark 7 lookup 100 pref 100',
];

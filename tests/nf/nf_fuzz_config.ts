// The router nf_fuzz_kernel and nf_fuzz_cases run: tests/net/fixtures/router.batch with the short
// conntrack timeouts raised on both sides (to distinct values, so the timeout the kernel picked is still
// seen) so nothing expires in the middle of a run of a few minutes on one side only, and neighbour
// probes slowed down (NEIGH_QUIET).

import { readFileSync } from 'node:fs';
import { parseRouterConfig } from '../support/router.js';
import { MARK_RULES } from './nf_fuzz_gen.js';

export const CT_TIMEOUTS: Array<[string, number]> = [
  ['net.netfilter.nf_conntrack_tcp_timeout_syn_sent', 1120],
  ['net.netfilter.nf_conntrack_tcp_timeout_syn_recv', 1060],
  ['net.netfilter.nf_conntrack_tcp_timeout_fin_wait', 1130],
  ['net.netfilter.nf_conntrack_tcp_timeout_close_wait', 1070],
  ['net.netfilter.nf_conntrack_tcp_timeout_last_ack', 1030],
  ['net.netfilter.nf_conntrack_tcp_timeout_time_wait', 1140],
  ['net.netfilter.nf_conntrack_tcp_timeout_close', 1010],
  ['net.netfilter.nf_conntrack_tcp_timeout_max_retrans', 1300],
  ['net.netfilter.nf_conntrack_tcp_timeout_unacknowledged', 1310],
  ['net.netfilter.nf_conntrack_udp_timeout', 1090],
  ['net.netfilter.nf_conntrack_udp_timeout_stream', 1180],
  ['net.netfilter.nf_conntrack_icmp_timeout', 1040],
  ['net.netfilter.nf_conntrack_icmpv6_timeout', 1050],
];

/**
 * A neighbour the router must resolve (a DNAT target off its permanent table, say) gets the first
 * ARP/NS probe at once, with the packet that needed it, on both sides; the next ones come retrans_time
 * later and the failure's host-unreachable after mcast_solicit of them. Those come from timers: the
 * kernel's fire in real time, rounded up by its timer wheel (tens of ms for a 1 s timer), wxdp's when
 * its clock is moved to the next step, so they land in different steps' 60 ms capture windows (seed 18:
 * a re-probe a step apart either way, the failure's error a step earlier in wxdp). Ten minutes between
 * probes keeps every run to the first probe and the INCOMPLETE entry's queue.
 */
export const NEIGH_QUIET: Array<[string, number]> = ['ipv4', 'ipv6'].flatMap((f) => ['eth0', 'eth1', 'eth2'].map((d): [string, number] => [`net.${f}.neigh.${d}.retrans_time_ms`, 600_000]));

const base = readFileSync(new URL('../net/fixtures/router.batch', import.meta.url), 'utf8');
export const NF_CONFIG = parseRouterConfig(`${base}\n${[...CT_TIMEOUTS, ...NEIGH_QUIET].map(([k, v]) => `sysctl ${k}=${v}`).join('\n')}\n`);
/** NF_CONFIG with genRuleset's fwmark rules and their tables (nf_fuzz_gen's MARK_RULES). */
export const NF_MARK_CONFIG = parseRouterConfig(`${base}\n${MARK_RULES.join('\n')}\n${[...CT_TIMEOUTS, ...NEIGH_QUIET].map(([k, v]) => `sysctl ${k}=${v}`).join('\n')}\n`);

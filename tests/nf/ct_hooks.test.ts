// The hook registration nft15's evaluator uses (netfilter.ts nf_hook_register / nf_hook_unregister): the
// lists per family and hook, conntrack's own entries (in at PRE_ROUTING and LOCAL_OUT, confirm at
// POST_ROUTING and LOCAL_IN) there while conntrack has users (nf_ct_netns_get / nf_ct_netns_put, per
// family), NAT's steps while the family has NAT chains (nf_nat_register_fn / nf_nat_unregister_fn), NAT
// chains kept apart, and the refusals (-EINVAL, -ENOENT).

import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';

interface HookExports {
  nf_hook_register(pf: number, hook: number, prio: number, kind: number, arg: number): number;
  nf_hook_unregister(pf: number, hook: number, prio: number, kind: number, arg: number): number;
  nf_hook_count(pf: number, hook: number, nat: number): number;
  nf_ct_netns_get(pf: number, seed: number): number;
  nf_ct_netns_put(pf: number): number;
  nf_nat_register_fn(pf: number): number;
  nf_nat_unregister_fn(pf: number): number;
  nf_netdev_hook_register(hook: number, ifindex: number, prio: number, arg: number): number;
  nf_netdev_hook_unregister(hook: number, ifindex: number, prio: number, arg: number): number;
  nf_netdev_hook_count(hook: number, ifindex: number): number;
  rc_reclaim(): number;
  rc_arena_bytes(): bigint;
  arena_top(): number;
}
const PRE = 0, IN = 1, FWD = 2, OUT = 3, POST = 4;
const CHAIN = 3, NAT_CHAIN = 4;

describe('netfilter hook registration', () => {
  it('lists conntrack and NAT steps where the kernel has them, chains where registered, NAT chains apart', async () => {
    const dp = await Datapath.create();
    dp.stack;
    const x = dp.fastPath.exports as unknown as HookExports;
    expect([PRE, IN, FWD, OUT, POST].map((h) => x.nf_hook_count(2, h, 0))).toEqual([0, 0, 0, 0, 0]);
    expect(x.nf_hook_register(2, FWD, 0, CHAIN, 7)).toBe(0);
    // a chain brings no conntrack (nf_register_net_hook alone; the kernel's ct expressions take it)
    expect([PRE, IN, FWD, OUT, POST].map((h) => x.nf_hook_count(2, h, 0))).toEqual([0, 0, 1, 0, 0]);
    expect(x.nf_ct_netns_get(2, 1)).toBe(0);
    // conntrack's first user: in at PRE_ROUTING and LOCAL_OUT, confirm at POST_ROUTING and LOCAL_IN, and
    // nf_defrag_ipv4 at PRE_ROUTING (-400); NAT's steps are not conntrack's
    expect([PRE, IN, FWD, OUT, POST].map((h) => x.nf_hook_count(2, h, 0))).toEqual([2, 1, 1, 1, 1]);
    expect([PRE, IN, FWD, OUT, POST].map((h) => x.nf_hook_count(10, h, 0))).toEqual([0, 0, 0, 0, 0]);
    // a second user adds nothing, and its put leaves the first one's
    expect(x.nf_ct_netns_get(2, 1)).toBe(0);
    expect(x.nf_hook_count(2, PRE, 0)).toBe(2);
    expect(x.nf_ct_netns_put(2)).toBe(0);
    expect([PRE, IN, FWD, OUT, POST].map((h) => x.nf_hook_count(2, h, 0))).toEqual([2, 1, 1, 1, 1]);
    // a NAT chain: the chain in the NAT list, NAT's four steps (DNAT at PRE_ROUTING and LOCAL_OUT, SNAT at
    // POST_ROUTING and LOCAL_IN) in the main one with its first registration only
    expect(x.nf_hook_register(2, POST, 100, NAT_CHAIN, 8)).toBe(0);
    expect(x.nf_nat_register_fn(2)).toBe(0);
    expect(x.nf_nat_register_fn(2)).toBe(0);
    expect(x.nf_hook_count(2, POST, 1)).toBe(1);
    expect([PRE, IN, FWD, OUT, POST].map((h) => x.nf_hook_count(2, h, 0))).toEqual([3, 2, 1, 2, 2]);
    // the last conntrack user's put: the chains and NAT's steps stay, conntrack's entries go; a put more is refused
    expect(x.nf_ct_netns_put(2)).toBe(0);
    expect([PRE, IN, FWD, OUT, POST].map((h) => x.nf_hook_count(2, h, 0))).toEqual([1, 1, 1, 1, 1]);
    expect(x.nf_hook_count(2, POST, 1)).toBe(1);
    expect(x.nf_ct_netns_put(2)).toBe(-2);
    expect(x.nf_ct_netns_put(10)).toBe(-2);
    // NAT's steps go with their last user
    expect(x.nf_nat_unregister_fn(2)).toBe(0);
    expect(x.nf_hook_count(2, PRE, 0)).toBe(1);
    expect(x.nf_nat_unregister_fn(2)).toBe(0);
    expect([PRE, IN, FWD, OUT, POST].map((h) => x.nf_hook_count(2, h, 0))).toEqual([0, 0, 1, 0, 0]);
    expect(x.nf_nat_unregister_fn(2)).toBe(-2);
    expect(x.nf_hook_unregister(2, FWD, 0, CHAIN, 7)).toBe(0);
    expect(x.nf_hook_count(2, FWD, 0)).toBe(0);
    expect(x.nf_hook_unregister(2, FWD, 0, CHAIN, 7)).toBe(-2);
    expect(x.nf_hook_unregister(2, POST, 100, NAT_CHAIN, 9)).toBe(-2);
    // the table of connections stays made
    expect(dp.conntrack.enabled).toBe(true);
  });

  it('refuses a bad family, hook or kind with -EINVAL', async () => {
    const dp = await Datapath.create();
    dp.stack;
    const x = dp.fastPath.exports as unknown as HookExports;
    expect(x.nf_hook_register(7, FWD, 0, CHAIN, 1)).toBe(-22);
    expect(x.nf_hook_register(2, 5, 0, CHAIN, 1)).toBe(-22);
    expect(x.nf_hook_register(2, FWD, 0, 1, 1)).toBe(-22);
    expect(x.nf_hook_count(3, 0, 0)).toBe(-22);
  });

  it('gives every replaced list back for reuse, and a removed device\'s netdev lists with it: the arena stops growing', async () => {
    const dp = await Datapath.create();
    dp.stack;
    const x = dp.fastPath.exports as unknown as HookExports;
    const INGRESS = 0, EGRESS = 1;
    // each registration publishes a copy of its list one entry longer, each unregistration one shorter
    const cycle = () => {
      for (let p = 0; p < 8; p++) expect(x.nf_hook_register(2, FWD, p, CHAIN, 10 + p)).toBe(0);
      for (let p = 0; p < 8; p++) expect(x.nf_hook_unregister(2, FWD, p, CHAIN, 10 + p)).toBe(0);
      dp.links.add({ name: 'd0', kind: 'dummy' });
      const ifindex = dp.links.ifindex('d0');
      for (let p = 0; p < 8; p++) expect(x.nf_netdev_hook_register(INGRESS, ifindex, p, 20 + p)).toBe(0);
      expect(x.nf_netdev_hook_register(EGRESS, ifindex, 0, 30)).toBe(0);
      expect(x.nf_netdev_hook_unregister(INGRESS, ifindex, 0, 20)).toBe(0);
      expect(x.nf_netdev_hook_count(INGRESS, ifindex)).toBe(7);
      // the device goes with its lists still holding chains (nft's netdev chains are unhooked by the device's removal)
      dp.links.del('d0');
      expect(x.nf_netdev_hook_count(INGRESS, ifindex)).toBe(-19);
      x.rc_reclaim();
      x.rc_reclaim();
    };
    cycle();
    cycle();
    const top = x.arena_top() >>> 0;
    const rc = x.rc_arena_bytes();
    for (let i = 0; i < 20; i++) cycle();
    // 20 cycles publish 360 lists (of 16–100 bytes): taken again from reclaim.ts's free lists, none from the arena
    expect(x.rc_arena_bytes()).toBe(rc);
    expect((x.arena_top() >>> 0) - top).toBeLessThan(4096);
    expect(x.nf_hook_count(2, FWD, 0)).toBe(0);
  });
});

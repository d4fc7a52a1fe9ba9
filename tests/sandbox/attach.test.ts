// A Program belongs to the Datapath it was loaded into (its memory, its slot in that table): attaching
// it to another Datapath is refused at attach time with PROG_ATTACH, before anything is stored.

import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm/index.js';
import { Datapath } from '../../src/control/datapath.js';
import { WxdpError } from '../../src/errors.js';
import { frame } from '../datapath/support.js';

function refused(f: () => unknown): WxdpError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WxdpError);
    return e as WxdpError;
  }
  throw new Error('not refused');
}

describe('programs do not cross Datapaths', () => {
  it('eth0.attachXdp(program of another Datapath) throws PROG_ATTACH and leaves the device as it was', async () => {
    const a = await Datapath.create();
    const b = await Datapath.create();
    const eth0 = a.addDevice({ name: 'eth0' });
    b.addDevice({ name: 'eth0' });
    const drop = await a.loadInsns(assemble('r0 = 1\nexit'));
    const other = await b.loadInsns(assemble('r0 = 1\nexit'));
    eth0.attachXdp(drop);
    const e = refused(() => eth0.attachXdp(other));
    expect(e.code).toBe('PROG_ATTACH');
    expect(e.message).toMatch(/device eth0: program .* another Datapath/);
    expect(eth0.program).toBe(drop);
    eth0.inject(frame(60));
    expect(eth0.poll()).toBe(1);
    expect(eth0.stats().verdicts.XDP_DROP).toBe(1);
  });

  it('attachSkLookup and attachReuseport refuse a program of another Datapath', async () => {
    const a = await Datapath.create();
    const b = await Datapath.create();
    const sk = await b.loadInsns(assemble('r0 = 1\nexit'), { type: 'sk_lookup' });
    const ru = await b.loadInsns(assemble('r0 = 1\nexit'), { type: 'sk_reuseport' });
    expect(refused(() => a.attachSkLookup(sk)).code).toBe('PROG_ATTACH');
    expect(refused(() => a.attachReuseport(0, ru)).code).toBe('PROG_ATTACH');
  });
});

describe('socket programs run verified only', () => {
  it('attachSkLookup refuses a program loaded unverified (checked), naming why (attachReuseport: tests/udp/sk_prog)', async () => {
    const dp = await Datapath.create();
    const sk = await dp.loadInsns(assemble('r0 = 1\nexit'), { type: 'sk_lookup', verify: false });
    const e = refused(() => dp.attachSkLookup(sk));
    expect(e.code).toBe('PROG_ATTACH');
    expect(e.message).toMatch(/loaded unverified \(runs checked\); sk_lookup programs run verified only \(EINVAL\)/);
    // verified, the same program attaches
    expect(dp.attachSkLookup(await dp.loadInsns(assemble('r0 = 1\nexit'), { type: 'sk_lookup' })).isAttached).toBe(true);
  });
});

// parseLinkSpec: what a config's link entry may say, and the error that names the field and the place
// when it says something else.

import { describe, expect, it } from 'vitest';
import { LinkSpecError, parseLinkSpec } from '../../src/control/link.js';
import { Datapath } from '../../src/control/datapath.js';

describe('parseLinkSpec', () => {
  it('takes the three kinds, with the optional ports left out when not given', () => {
    expect(parseLinkSpec({ type: 'vxlan', vni: 42, local: '198.51.100.1', remote: '198.51.100.2' }, 'x')).toEqual({
      type: 'vxlan',
      vni: 42,
      local: '198.51.100.1',
      remote: '198.51.100.2',
    });
    expect(parseLinkSpec({ type: 'geneve', vni: 0xffffff, local: '2001:DB8::1', remote: '2001:db8::2', dstport: 6081, port: 16081 }, 'x')).toEqual({
      type: 'geneve',
      vni: 0xffffff,
      local: '2001:db8::1',
      remote: '2001:db8::2',
      dstport: 6081,
      port: 16081,
    });
    expect(parseLinkSpec({ type: 'udp', local: '127.0.0.1', port: 0, remote: '127.0.0.1', remotePort: 5000 }, 'x')).toEqual({
      type: 'udp',
      local: '127.0.0.1',
      port: 0,
      remote: '127.0.0.1',
      remotePort: 5000,
    });
  });

  const bad: Array<[string, unknown, string, RegExp]> = [
    ['not an object', 'vxlan', 'spec', /must be an object, not 'vxlan'/],
    ['an array', [], 'spec', /must be an object/],
    ['an unknown type', { type: 'gre' }, 'type', /must be 'vxlan', 'geneve' or 'udp', not 'gre'/],
    ['no type', {}, 'type', /not missing/],
    ['a field of another kind', { type: 'vxlan', vni: 1, local: '192.0.2.1', remote: '192.0.2.2', remotePort: 1 }, 'remotePort', /is not a field of a vxlan link/],
    ['a VNI past 24 bits', { type: 'vxlan', vni: 0x1000000, local: '192.0.2.1', remote: '192.0.2.2' }, 'vni', /0\.\.16777215, not 16777216/],
    ['a fractional VNI', { type: 'geneve', vni: 1.5, local: '192.0.2.1', remote: '192.0.2.2' }, 'vni', /integer/],
    ['no VNI', { type: 'vxlan', local: '192.0.2.1', remote: '192.0.2.2' }, 'vni', /not missing/],
    ['a host name for local', { type: 'vxlan', vni: 1, local: 'localhost', remote: '192.0.2.2' }, 'local', /IPv4 or IPv6 address, not 'localhost'/],
    ['no remote', { type: 'udp', local: '192.0.2.1', port: 1, remotePort: 2 }, 'remote', /not missing/],
    ['the unspecified address as remote', { type: 'vxlan', vni: 1, local: '192.0.2.1', remote: '0.0.0.0' }, 'remote', /an address to send to/],
    ['families that differ', { type: 'vxlan', vni: 1, local: '192.0.2.1', remote: '2001:db8::2' }, 'remote', /different families/],
    ['a port past 65535', { type: 'vxlan', vni: 1, local: '192.0.2.1', remote: '192.0.2.2', dstport: 65536 }, 'dstport', /1\.\.65535, not 65536/],
    ['destination port 0', { type: 'udp', local: '192.0.2.1', port: 1, remote: '192.0.2.2', remotePort: 0 }, 'remotePort', /1\.\.65535/],
    ['a port as a string', { type: 'udp', local: '192.0.2.1', port: '4789', remote: '192.0.2.2', remotePort: 1 }, 'port', /0\.\.65535, not '4789'/],
    ['a udp link without its local port', { type: 'udp', local: '192.0.2.1', remote: '192.0.2.2', remotePort: 1 }, 'port', /not missing/],
  ];
  it.each(bad)('refuses %s, naming the field and the place', (_what, value, field, message) => {
    let err: unknown;
    try {
      parseLinkSpec(value, 'config line 3');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LinkSpecError);
    expect(err).toMatchObject({ code: 'USAGE', field, where: 'config line 3' });
    expect((err as Error).message).toMatch(new RegExp(`^config line 3: link ${field}: `));
    expect((err as Error).message).toMatch(message);
  });

  it('Device.attachLink checks the spec the same way, naming the device', async () => {
    const dp = await Datapath.create();
    const dev = dp.addDevice({ name: 'vx0' });
    await expect(dev.attachLink({ type: 'vxlan', vni: -1, local: '127.0.0.1', remote: '127.0.0.1' })).rejects.toThrow(/^device vx0: link vni: /);
    expect(dev.link).toBeUndefined();
  });
});

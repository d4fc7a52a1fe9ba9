import { it } from 'vitest';
import { once } from 'node:events';
import { Datapath } from '../../src/control/datapath.js';
import { Poller } from '../../src/control/poller.js';
it('ll', async () => {
  const a = await Datapath.create(); const b = await Datapath.create();
  const da = a.addDevice({ name: 'w0', mac: '02:00:00:00:0a:01' }); const db = b.addDevice({ name: 'w0', mac: '02:00:00:00:0b:01' });
  for (const l of ['link set lo up', 'link set w0 up', 'addr add 192.0.2.1/24 dev w0', 'addr add 2001:db8::1/64 dev w0 nodad', 'addr add fe80::a/64 dev w0 nodad']) a.ip(l);
  for (const l of ['link set lo up', 'link set w0 up', 'addr add 192.0.2.2/24 dev w0', 'addr add 2001:db8::2/64 dev w0 nodad', 'addr add fe80::b/64 dev w0 nodad']) b.ip(l);
  const wire = Datapath.wire(a, da, b, db); Poller.of(a).kick(); Poller.of(b).kick();
  const log = (...x: unknown[]) => console.log(...x);
  const r = b.udp.createSocket('udp6'); r.on('error', (e) => log('r error', e.message));
  r.bind({ address: 'fe80::b%w0', port: 0 }); await once(r, 'listening');
  log('r addr', r.address());
  r.on('message', (m, ri) => log('msg', m.toString(), ri));
  const s = a.udp.createSocket('udp6'); s.bind(0); await once(s, 'listening');
  s.send('scoped', r.address().port, 'fe80::b%w0', (e, n) => log('send scoped', e?.message, n));
  s.send('unscoped', r.address().port, 'fe80::b', (e, n) => log('send unscoped', e?.message, n));
  const c = a.udp.createSocket('udp6');
  c.connect(r.address().port, 'fe80::b', (e) => log('connect unscoped', e?.message));
  await new Promise((res) => setTimeout(res, 100));
  const d = a.udp.createSocket('udp6');
  d.connect(r.address().port, 'fe80::b%w0', (e) => { log('connect scoped', e?.message); if (!e) { log(d.remoteAddress(), d.address()); d.send('from d'); } });
  const bb = a.udp.createSocket('udp6'); bb.on('error', (e) => log('bb error', e.message)); bb.bind(0, 'fe80::a', () => log('bb bound', bb.address()));
  await new Promise((res) => setTimeout(res, 300));
  for (const x of [r, s, c, d, bb]) try { x.close() } catch {}
  wire.close();
});

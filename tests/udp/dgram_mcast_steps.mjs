// The steps of tests/udp/dgram_mcast.test.ts: node:dgram's multicast calls in one order, each result or
// error (code, message, errno) recorded. Run by the test on wxdp's sockets, and as a script
// (`node dgram_mcast_steps.mjs` inside a namespace with a0 192.0.2.1/24 up) on node:dgram.

/** Every step's outcome: [name, 'ok', value] or [name, code, message, errno]. */
export function steps(createSocket) {
  const out = [];
  const t = (name, f) => { try { const r = f(); out.push([name, 'ok', r ?? null]); } catch (e) { out.push([name, e.code, e.message, e.errno ?? null]); } };
  const s = createSocket('udp4');
  t('addMembership unbound', () => s.addMembership('239.1.1.1', '192.0.2.1'));
  t('address after', () => s.address().address + ':' + (s.address().port > 0));
  t('again', () => s.addMembership('239.1.1.1', '192.0.2.1'));
  t('no iface, no route', () => s.addMembership('239.1.1.2'));
  t('not mcast', () => s.addMembership('192.0.2.1', '192.0.2.1'));
  t('bad text', () => s.addMembership('hello'));
  t('bad iface', () => s.addMembership('239.1.1.3', 'nope'));
  t('v6 group on udp4', () => s.addMembership('ff02::1:3'));
  t('drop unjoined', () => s.dropMembership('239.9.9.9', '192.0.2.1'));
  t('drop', () => s.dropMembership('239.1.1.1', '192.0.2.1'));
  t('ssm', () => s.addSourceSpecificMembership('192.0.2.2', '232.1.1.1', '192.0.2.1'));
  t('ssm again', () => s.addSourceSpecificMembership('192.0.2.2', '232.1.1.1', '192.0.2.1'));
  t('ssm drop other', () => s.dropSourceSpecificMembership('192.0.2.3', '232.1.1.1', '192.0.2.1'));
  t('ssm drop', () => s.dropSourceSpecificMembership('192.0.2.2', '232.1.1.1', '192.0.2.1'));
  t('ssm bad source', () => s.addSourceSpecificMembership('ff02::1', '232.1.1.1'));
  t('mcif', () => s.setMulticastInterface('192.0.2.1'));
  t('mcif not ours', () => s.setMulticastInterface('203.0.113.1'));
  t('mcif any', () => s.setMulticastInterface('0.0.0.0'));
  t('mcif bad', () => s.setMulticastInterface('x'));
  t('loop', () => s.setMulticastLoopback(false));
  t('ttl', () => s.setMulticastTTL(0));
  const u = createSocket('udp6');
  t('v6 mcif unbound', () => u.setMulticastInterface('::%a0'));
  t('v6 loop unbound', () => u.setMulticastLoopback(true));
  t('v6 join unbound', () => u.addMembership('ff12::1', '::%a0'));
  t('v6 join again', () => u.addMembership('ff12::1', '::%a0'));
  t('v6 join no iface', () => u.addMembership('ff12::2'));
  t('v6 mcif', () => u.setMulticastInterface('::%a0'));
  t('v6 mcif bad', () => u.setMulticastInterface('::%nope'));
  t('v6 ttl', () => u.setMulticastTTL(7));
  t('v6 loop', () => u.setMulticastLoopback(false));
  t('v6 ssm', () => u.addSourceSpecificMembership('2001:db8::2', 'ff32::8000:1', '::%a0'));
  t('v6 drop', () => u.dropMembership('ff12::1', '::%a0'));
  t('v6 drop unjoined', () => u.dropMembership('ff12::7'));
  t('v4 group on udp6', () => u.addMembership('239.1.1.5', '192.0.2.1'));
  s.close(); u.close();
  t('closed', () => s.addMembership('239.1.1.1'));
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dgram = await import('node:dgram');
  console.log(JSON.stringify(steps(dgram.createSocket)));
}

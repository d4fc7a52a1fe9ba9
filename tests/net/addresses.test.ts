// addresses.ts, the control plane's one reader and printer of addresses: IPv6 text is glibc's
// inet_ntop (the judge, through python3's socket.inet_ntop, for random and hand-picked addresses;
// skipped with the reason without python3), link-layer addresses, IPv4 numbers, prefix arithmetic.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  inetBytes, inetText, ipv4Bytes, ipv4Text, ipv4TextOf, ipv4Value, ipv6Bytes, ipv6Text, lladdrBytes, macBytes, macText, prefixBytes, prefixMatch,
} from '../../src/control/addresses.js';
import { addrText } from '../../src/control/ip/syntax.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('IPv6 text', () => {
  // what glibc's inet_ntop printed for these (python3 -c 'socket.inet_ntop(AF_INET6, inet_pton(...))')
  const GLIBC: Array<[string, string]> = [
    ['::2', '::2'],
    ['::1', '::1'],
    ['::', '::'],
    ['1::', '1::'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::1.2.3.4', '::1.2.3.4'],
    ['::a00:1', '::10.0.0.1'],
    ['::ffff:0:1.2.3.4', '::ffff:0:102:304'],
    ['0:0:0:0:0:1:0:0', '::1:0:0'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['fe80:0:0:0:1:0:0:0', 'fe80::1:0:0:0'], // equal runs: the first is compressed
  ];

  it.each(GLIBC)('%s prints as glibc prints it: %s', (text, want) => {
    expect(ipv6Text(ipv6Bytes(text))).toBe(want);
    // the ip front end prints through the same function
    expect(addrText(10, ipv6Bytes(text))).toBe(want);
  });

  const python = spawnSync('python3', ['-c', 'print(1)'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!python)('agrees with glibc on 2,000 random addresses with runs of zero groups', () => {
    let seed = 0x2468ace1;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16);
    const addrs: Uint8Array[] = [];
    for (let n = 0; n < 2000; n++) {
      const b = new Uint8Array(16);
      for (let g = 0; g < 8; g++) {
        const r = rand() % 4;
        const w = r < 2 ? 0 : r === 2 ? rand() : rand() % 3; // many zero groups, and 0/1/2 values
        b[2 * g] = w >> 8;
        b[2 * g + 1] = w & 0xff;
      }
      if (n % 7 === 0) b.fill(0, 0, 10), b.fill(0xff, 10, 12); // IPv4-mapped
      addrs.push(b);
    }
    const r = spawnSync('python3', ['-c', 'import sys,socket\nfor l in sys.stdin: print(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(l.strip())))'], {
      input: addrs.map(hex).join('\n') + '\n',
      encoding: 'utf8',
    });
    const glibc = r.stdout.trim().split('\n');
    expect(addrs.map((b) => ipv6Text(b))).toEqual(glibc);
    // and the text reads back to the same bytes
    for (const b of addrs) expect(hex(ipv6Bytes(ipv6Text(b)))).toBe(hex(b));
  });

  it('refuses what is not IPv6 text, naming it', () => {
    for (const bad of ['1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', ':::', 'g::', '1:2:3:4:5:6:7', '::1.2.3.256']) {
      expect(() => ipv6Bytes(bad)).toThrow(`'${bad}' is not an`);
    }
  });
});

describe('IPv4, either family, link-layer addresses', () => {
  it('reads dotted quads as bytes and as host-order numbers, and prints both', () => {
    expect([...ipv4Bytes('198.51.100.7')]).toEqual([198, 51, 100, 7]);
    expect(ipv4Value('198.51.100.7')).toBe(0xc6336407);
    expect(ipv4TextOf(0xc6336407)).toBe('198.51.100.7');
    expect(ipv4Text(Uint8Array.of(203, 0, 113, 255))).toBe('203.0.113.255');
    for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.x', '']) expect(() => ipv4Bytes(bad)).toThrow(`'${bad}' is not an IPv4 address`);
  });

  it('tells the family by the text and prints either', () => {
    expect(inetBytes('192.0.2.1').family).toBe('inet');
    expect(inetBytes('2001:db8::1').family).toBe('inet6');
    expect(inetText('inet6', inetBytes('2001:db8::1').bytes)).toBe('2001:db8::1');
    expect(inetText('inet', inetBytes('192.0.2.1').bytes)).toBe('192.0.2.1');
  });

  it('reads MACs and longer link-layer addresses, and prints every byte given', () => {
    expect(macText(macBytes('02-AA-bb-0c-D-ee'))).toBe('02:aa:bb:0c:0d:ee');
    expect(() => macBytes('02:aa:bb:cc:dd')).toThrow("'02:aa:bb:cc:dd' is not a MAC address");
    expect(macText(lladdrBytes('1:2:3:4:5:6:7:8'))).toBe('01:02:03:04:05:06:07:08');
    expect(() => lladdrBytes('1:2:zz')).toThrow('is not a link-layer address');
    expect(() => lladdrBytes(Array(33).fill('1').join(':'))).toThrow('is not a link-layer address');
  });
});

describe('prefixes', () => {
  it('match on the first bits only, and clear what is past them', () => {
    const a = ipv6Bytes('2001:db8:ff00::1');
    const b = ipv6Bytes('2001:db8:ff80::');
    expect([prefixMatch(a, b, 40), prefixMatch(a, b, 41), prefixMatch(a, b, 0), prefixMatch(a, b, -1)]).toEqual([true, false, true, true]);
    expect(ipv6Text(prefixBytes(a, 36))).toBe('2001:db8:f000::');
    expect(ipv4Text(prefixBytes(ipv4Bytes('198.51.100.77'), 26))).toBe('198.51.100.64');
    expect(prefixMatch(ipv4Bytes('198.51.100.77'), ipv4Bytes('198.51.100.64'), 26)).toBe(true);
    // 77 = 0100 1101, 64 = 0100 0000: the same first 28 bits, not 29
    expect(prefixMatch(ipv4Bytes('198.51.100.77'), ipv4Bytes('198.51.100.64'), 28)).toBe(true);
    expect(prefixMatch(ipv4Bytes('198.51.100.77'), ipv4Bytes('198.51.100.64'), 29)).toBe(false);
  });
});

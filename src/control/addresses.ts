// Text forms of link and network addresses to bytes: MAC (aa:bb:cc:dd:ee:ff), IPv4 dotted quad,
// IPv6 (RFC 4291 text, with '::' and a trailing dotted quad).

import { WxdpError } from '../errors.js';

export function macBytes(text: string): Uint8Array {
  const m = /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i.exec(text);
  if (!m) throw new WxdpError('USAGE', `'${text}' is not a MAC address`);
  return Uint8Array.from(m.slice(1), (h) => parseInt(h, 16));
}

export function ipv4Bytes(text: string): Uint8Array {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new WxdpError('USAGE', `'${text}' is not an IPv4 address`);
  }
  return Uint8Array.from(parts, Number);
}

export function ipv6Bytes(text: string): Uint8Array {
  const bad = (): never => {
    throw new WxdpError('USAGE', `'${text}' is not an IPv6 address`);
  };
  let s = text;
  const tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const v4 = ipv4Bytes(dotted[2]!);
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    s = dotted[1]!.endsWith('::') ? dotted[1]! : dotted[1]!.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) bad();
  const groups = (h: string): number[] => (h === '' ? [] : h.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : bad())));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const fill = 8 - head.length - rest.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) bad();
  const words = [...head, ...new Array<number>(fill).fill(0), ...rest, ...tail];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

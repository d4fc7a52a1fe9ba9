// A kernel frame whose TCP or UDP checksum was left to the device, completed as the device would: a
// packet a router made itself (a TCP reset, say: tcp_v6_send_response's __tcp_v6_send_check) leaves a
// veth with CHECKSUM_PARTIAL, its checksum field holding only the pseudo-header's folded sum. Applied to
// what is captured from the kernel's side: KernelRouter.run (tests/support/router.ts) and
// tests/nf/nf_fuzz_kernel's rounds.

const sum16 = (b: Uint8Array): number => {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
};

/** The L4 header's offset and protocol of an Ethernet frame (an IPv6 Fragment header skipped), or undefined past the first fragment. */
function l4Of(f: Uint8Array): { v6: boolean; proto: number; l4: number } | undefined {
  const t = (f[12]! << 8) | f[13]!;
  if (t === 0x0800 && f.length >= 34) {
    if ((((f[20]! << 8) | f[21]!) & 0x1fff) !== 0) return undefined;
    return { v6: false, proto: f[23]!, l4: 14 + (f[14]! & 15) * 4 };
  }
  if (t === 0x86dd && f.length >= 54) {
    if (f[20] !== 44) return { v6: true, proto: f[20]!, l4: 54 };
    if (f.length < 62 || ((f[56]! << 8) | f[57]!) >> 3 !== 0) return undefined;
    return { v6: true, proto: f[54]!, l4: 62 };
  }
  return undefined;
}

/** `f` with a partial TCP or UDP checksum completed (a copy); any other frame is returned as it is. */
export function completePartial(f: Uint8Array): Uint8Array {
  const q = l4Of(f);
  if (!q || (q.proto !== 6 && q.proto !== 17)) return f;
  const at = q.l4 + (q.proto === 6 ? 16 : 6);
  if (at + 2 > f.length) return f;
  const len = f.length - q.l4;
  const ph = q.v6
    ? Uint8Array.from([...f.subarray(22, 54), 0, 0, len >> 8, len & 0xff, 0, 0, 0, q.proto])
    : Uint8Array.from([...f.subarray(26, 34), 0, q.proto, len >> 8, len & 0xff]);
  if (((f[at]! << 8) | f[at + 1]!) !== sum16(ph)) return f;
  const whole = (b: Uint8Array): number => sum16(Uint8Array.from([...ph, ...b.subarray(q.l4), ...(len % 2 ? [0] : [])]));
  if (whole(f) === 0xffff) return f;
  const c = f.slice();
  c[at] = c[at + 1] = 0;
  const full = ~whole(c) & 0xffff;
  c[at] = full >> 8;
  c[at + 1] = full & 0xff;
  return c;
}

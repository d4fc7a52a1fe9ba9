// Codecs turn typed keys and values into the bytes a map stores and back. A codec is any object of
// this shape (the BTF codecs from the ELF loader are too). Integers are little-endian, as wasm and the
// kernel on x86/arm64 store them.

import { WxdpError } from '../errors.js';

export interface Codec<T = unknown> {
  /** Encoded size in bytes (the map's key_size or value_size). */
  readonly size: number;
  encode(v: T): Uint8Array;
  decode(b: Uint8Array): T;
}

function fixed<T>(size: number, write: (dv: DataView, v: T) => void, read: (dv: DataView) => T): Codec<T> {
  return {
    size,
    encode(v: T): Uint8Array {
      const b = new Uint8Array(size);
      write(new DataView(b.buffer), v);
      return b;
    },
    decode(b: Uint8Array): T {
      return read(new DataView(b.buffer, b.byteOffset, b.byteLength));
    },
  };
}

export const u8: Codec<number> = fixed(1, (dv, v) => dv.setUint8(0, v), (dv) => dv.getUint8(0));
export const u16: Codec<number> = fixed(2, (dv, v) => dv.setUint16(0, v, true), (dv) => dv.getUint16(0, true));
export const u32: Codec<number> = fixed(4, (dv, v) => dv.setUint32(0, v >>> 0, true), (dv) => dv.getUint32(0, true));
export const i32: Codec<number> = fixed(4, (dv, v) => dv.setInt32(0, v | 0, true), (dv) => dv.getInt32(0, true));
export const u64: Codec<bigint> = fixed(
  8,
  (dv, v) => dv.setBigUint64(0, BigInt.asUintN(64, v), true),
  (dv) => dv.getBigUint64(0, true),
);
export const i64: Codec<bigint> = fixed(
  8,
  (dv, v) => dv.setBigInt64(0, BigInt.asIntN(64, v), true),
  (dv) => dv.getBigInt64(0, true),
);

/** Raw bytes of a fixed size (shorter input is zero-padded, longer is an error). */
export function bytes(size: number): Codec<Uint8Array> {
  return {
    size,
    encode(v: Uint8Array): Uint8Array {
      if (v.length > size) throw new WxdpError('USAGE', `bytes codec: ${v.length} bytes do not fit in ${size}`);
      const b = new Uint8Array(size);
      b.set(v);
      return b;
    },
    decode: (b) => b.slice(),
  };
}

/** An LPM trie key, struct bpf_lpm_trie_key_u8: u32 prefixlen (host order) then `dataSize` bytes. */
export interface LpmKey {
  prefixlen: number;
  data: Uint8Array;
}

export function lpmKey(dataSize: number): Codec<LpmKey> {
  return {
    size: 4 + dataSize,
    encode(v: LpmKey): Uint8Array {
      if (v.data.length > dataSize) throw new WxdpError('USAGE', `lpm key: ${v.data.length} data bytes do not fit in ${dataSize}`);
      const b = new Uint8Array(4 + dataSize);
      new DataView(b.buffer).setUint32(0, v.prefixlen >>> 0, true);
      b.set(v.data, 4);
      return b;
    },
    decode(b: Uint8Array): LpmKey {
      return { prefixlen: new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true), data: b.slice(4, 4 + dataSize) };
    },
  };
}

/** An IPv4 LPM key written as 'a.b.c.d/len' (or 'a.b.c.d' for /32). */
export const ipv4Prefix: Codec<string> = {
  size: 8,
  encode(v: string): Uint8Array {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(v.trim());
    const parts = m ? m.slice(1, 5).map(Number) : [];
    const len = m?.[5] === undefined ? 32 : Number(m[5]);
    if (!m || parts.some((p) => p > 255) || len > 32) throw new WxdpError('USAGE', `'${v}' is not an IPv4 prefix`);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, len, true);
    b.set(parts, 4);
    return b;
  },
  decode(b: Uint8Array): string {
    const len = new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
    return `${b[4]}.${b[5]}.${b[6]}.${b[7]}/${len}`;
  },
};

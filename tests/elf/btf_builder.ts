// A small writer of raw .BTF / .BTF.ext blobs, for kinds clang 14 cannot emit (ENUM64) and for
// malformed inputs. Layouts as in src/elf/btf.ts and src/elf/btf_ext.ts.

export class BtfBuilder {
  private strs: number[] = [0];
  private strIndex = new Map<string, number>([['', 0]]);
  private words: number[] = [];
  private nextId = 1;

  str(s: string): number {
    const have = this.strIndex.get(s);
    if (have !== undefined) return have;
    const off = this.strs.length;
    this.strs.push(...Buffer.from(s, 'utf8'), 0);
    this.strIndex.set(s, off);
    return off;
  }

  /** One type record; returns its id. `extra` are the kind-specific u32 words. */
  type(kind: number, name: string, vlen: number, sizeOrType: number, extra: number[] = [], kflag = false): number {
    this.words.push(this.str(name), ((kflag ? 1 : 0) << 31) | (kind << 24) | vlen, sizeOrType, ...extra);
    return this.nextId++;
  }

  int(name: string, size: number, encoding = 0, bits = size * 8, offset = 0): number {
    return this.type(1, name, 0, size, [(encoding << 24) | (offset << 16) | bits]);
  }

  build(opts: { magic?: number; version?: number; hdrLen?: number } = {}): Uint8Array {
    const hdrLen = opts.hdrLen ?? 24;
    const types = new Uint8Array(new Uint32Array(this.words.map((w) => w >>> 0)).buffer);
    const strs = Uint8Array.from(this.strs);
    const out = new Uint8Array(hdrLen + types.length + strs.length);
    const v = new DataView(out.buffer);
    v.setUint16(0, opts.magic ?? 0xeb9f, true);
    v.setUint8(2, opts.version ?? 1);
    v.setUint8(3, 0);
    v.setUint32(4, hdrLen, true);
    v.setUint32(8, 0, true);
    v.setUint32(12, types.length, true);
    v.setUint32(16, types.length, true);
    v.setUint32(20, strs.length, true);
    out.set(types, hdrLen);
    out.set(strs, hdrLen + types.length);
    return out;
  }
}

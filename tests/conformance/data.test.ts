import { describe, expect, it } from 'vitest';
import { ConformanceFormatError, parseConformance, rawToBytes } from '../../src/conformance/data.js';

describe('parseConformance()', () => {
  it('reads asm, mem and result sections (result hex or decimal)', () => {
    const v = parseConformance('# c\n-- asm\nmov %r0, 1\nexit\n-- mem\n00 01\nff\n-- result\n0x10\n', 'dir/x.data');
    expect(v.name).toBe('x');
    expect(v.asm).toEqual({ text: 'mov %r0, 1\nexit', line: 3 });
    expect(v.mem).toEqual(Uint8Array.of(0, 1, 0xff));
    expect(v.result).toBe(16n);
    expect(parseConformance('-- asm\nexit\n-- result\n-1\n').result).toBe(0xffffffffffffffffn);
  });

  it('reads raw instruction words as little-endian bytes', () => {
    const v = parseConformance('-- raw\n0x0000000000000095\n-- result\n0\n');
    expect(rawToBytes(v.raw!)).toEqual(Uint8Array.of(0x95, 0, 0, 0, 0, 0, 0, 0));
  });

  it('ignores the informational c and "no register offset" sections', () => {
    const v = parseConformance('-- c\nint x;\n-- asm\nexit\n-- result\n0\n-- no register offset\ncall instruction\n');
    expect(v.result).toBe(0n);
  });

  it('names file and line for malformed input', () => {
    expect(() => parseConformance('-- asm\nexit\n-- mem\n0g\n-- result\n0', 'f.data')).toThrow(ConformanceFormatError);
    expect(() => parseConformance('-- asm\nexit\n-- mem\n0g\n-- result\n0', 'f.data')).toThrow(/f\.data:4: bad memory byte '0g'/);
    expect(() => parseConformance('-- asm\nexit\n-- wat\n', 'f.data')).toThrow(/f\.data:3: unknown section/);
    expect(() => parseConformance('-- asm\nexit\n', 'f.data')).toThrow(/no '-- result' or '-- error'/);
    expect(() => parseConformance('-- result\n1\n', 'f.data')).toThrow(/no '-- asm' or '-- raw'/);
    expect(() => parseConformance('-- asm\nexit\n-- result\nzz\n', 'f.data')).toThrow(/f\.data:4: bad result 'zz'/);
  });
});

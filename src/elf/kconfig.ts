// resolveKconfig(): the values of an object's `extern … __kconfig` variables, as libbpf's
// bpf_object__resolve_externs fills the .kconfig map before load:
//
//   LINUX_KERNEL_VERSION        KERNEL_VERSION(6, 18, 0): the kernel whose behaviour wxdp implements
//   LINUX_HAS_BPF_COOKIE        1 (that kernel has it)
//   LINUX_HAS_SYSCALL_WRAPPER   1 (x86-64's syscall wrappers)
//   other LINUX_*               0 when __weak, else EINVAL ("unrecognized virtual extern")
//   CONFIG_*                    from the kconfig text given (libbpf's bpf_object_open_opts.kconfig, the
//                               lines of a .config: CONFIG_X=y|m|n, =123 / =0x1f, ="text"), then, for
//                               what it leaves unset, WXDP_KCONFIG: where libbpf reads the running
//                               kernel's config (/proc/config.gz), wxdp answers with its own — the
//                               subsystems it implements, with the values of the kernel it is compared
//                               with (CONFIG_HZ=250: its jiffies). A variable neither sets is 0 when
//                               __weak, else ESRCH ("(strong): not resolved").
//
// Values are checked as libbpf checks them (set_kcfg_value_tri / _str / _num): a y/m/n only for a
// bool, tristate or char; a number only for an integer or char, in range of its size; a string only
// for a char array, cut to its size. The spec given is not changed: the result is a copy.

import { WxdpError } from '../errors.js';
import type { KconfigVar, MapSpec, ObjectSpec } from './spec.js';

/** KERNEL_VERSION(a, b, c) as linux/version.h defines it (c clamped to 255, as libbpf does). */
export const kernelVersion = (a: number, b: number, c: number) => (a << 16) + (b << 8) + Math.min(c, 255);

/** What LINUX_KERNEL_VERSION reads in a wxdp program. */
export const WXDP_KERNEL_VERSION = kernelVersion(6, 18, 0);

const VIRTUAL: Readonly<Record<string, number>> = {
  LINUX_KERNEL_VERSION: WXDP_KERNEL_VERSION,
  LINUX_HAS_BPF_COOKIE: 1,
  LINUX_HAS_SYSCALL_WRAPPER: 1,
};

/** wxdp's own kernel config: what libbpf would read from /proc/config.gz on the kernel wxdp models. */
export const WXDP_KCONFIG = [
  'CONFIG_64BIT=y',
  'CONFIG_SMP=y',
  'CONFIG_HZ=250',
  'CONFIG_BPF=y',
  'CONFIG_BPF_SYSCALL=y',
  'CONFIG_BPF_JIT=y',
  'CONFIG_DEBUG_INFO_BTF=y',
  'CONFIG_NET=y',
  'CONFIG_INET=y',
  'CONFIG_IPV6=y',
  'CONFIG_XDP_SOCKETS=y',
  'CONFIG_NF_TABLES=y',
  'CONFIG_NF_CONNTRACK=y',
  'CONFIG_NF_NAT=y',
].join('\n');

const TRISTATE: Readonly<Record<string, number>> = { n: 0, y: 1, m: 2 };

/** The object with its .kconfig map's contents filled in; `spec` itself when it has no .kconfig externs. */
export function resolveKconfig(spec: ObjectSpec, kconfig?: string): ObjectSpec {
  const i = spec.maps.findIndex((m) => m.kind === 'kconfig');
  if (i < 0) return spec;
  const map = spec.maps[i]!;
  const vars = map.kconfig ?? [];
  const data = new Uint8Array(map.valueSize);
  const view = new DataView(data.buffer);
  const set = new Set<string>();
  const where = spec.path ?? 'the object';
  const fail = (errno: string, v: KconfigVar, why: string) => new WxdpError('USAGE', `${where}: extern (kcfg) '${v.name}': ${why} (${errno})`);

  const setNum = (v: KconfigVar, value: bigint, text: string) => {
    if (v.type !== 'int' && v.type !== 'char' && v.type !== 'bool') throw fail('EINVAL', v, `value '${text}' implies integer, char, or boolean type`);
    if (v.type === 'bool' && value > 1n) throw fail('EINVAL', v, `value '${text}' isn't boolean compatible`);
    const bits = BigInt(v.size * 8);
    const fits = v.size === 8 || (v.signed ? BigInt.asUintN(64, value + (1n << (bits - 1n))) < 1n << bits : value >> bits === 0n);
    if (!fits) throw fail('ERANGE', v, `value '${text}' doesn't fit in ${v.size} bytes`);
    for (let b = 0; b < v.size; b++) data[v.offset + b] = Number((value >> BigInt(8 * b)) & 0xffn);
    set.add(v.name);
  };

  for (const v of vars) {
    if (v.name.startsWith('CONFIG_')) continue;
    const value = VIRTUAL[v.name];
    if (value !== undefined) setNum(v, BigInt(value), String(value));
    else if (!v.name.startsWith('LINUX_') || !v.weak) throw fail('EINVAL', v, 'unrecognized virtual extern');
  }

  const byName = new Map(vars.map((v) => [v.name, v]));
  const lines = [...(kconfig ?? '').split('\n').map((l, n) => [l, `kconfig line ${n + 1}`] as const), ...WXDP_KCONFIG.split('\n').map((l) => [l, "wxdp's kconfig"] as const)];
  for (const [raw, at] of lines) {
    const line = raw.trim();
    if (!line.startsWith('CONFIG_')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) throw new WxdpError('USAGE', `${at}: failed to parse '${line}': no separator (EINVAL)`);
    const name = line.slice(0, eq);
    const text = line.slice(eq + 1);
    if (text === '') throw new WxdpError('USAGE', `${at}: failed to parse '${line}': no value (EINVAL)`);
    const v = byName.get(name);
    if (!v || set.has(name)) continue;
    if (text === 'y' || text === 'n' || text === 'm') {
      if (v.type === 'bool') {
        if (text === 'm') throw fail('EINVAL', v, `value '${text}' implies tristate or char type`);
        data[v.offset] = text === 'y' ? 1 : 0;
      } else if (v.type === 'tristate') view.setUint32(v.offset, TRISTATE[text]!, true);
      else if (v.type === 'char') data[v.offset] = text.charCodeAt(0);
      else throw fail('EINVAL', v, `value '${text}' implies bool, tristate, or char type`);
      set.add(name);
    } else if (text.startsWith('"')) {
      if (v.type !== 'char_array') throw fail('EINVAL', v, `value '${text}' implies char array type`);
      if (text.length < 2 || !text.endsWith('"')) throw fail('EINVAL', v, `invalid string config '${text}'`);
      const bytes = new TextEncoder().encode(text.slice(1, -1)).subarray(0, v.size - 1);
      data.set(bytes, v.offset);
      set.add(name);
    } else {
      const num = parseU64(text);
      if (num === undefined) throw fail('EINVAL', v, `value '${text}' isn't a valid integer`);
      if (v.type !== 'int' && v.type !== 'char') throw fail('EINVAL', v, `value '${text}' implies integer type`);
      setNum(v, num, text);
    }
  }

  for (const v of vars) {
    if (!set.has(v.name) && !v.weak && v.name.startsWith('CONFIG_')) {
      throw new WxdpError('NOT_FOUND', `${where}: extern '${v.name}' (strong): not resolved (ESRCH): neither the kconfig text given (LoadOptions.kconfig, --kconfig FILE) nor wxdp's own sets it`);
    }
  }
  const maps: MapSpec[] = spec.maps.slice();
  maps[i] = { ...map, data };
  return { ...spec, maps };
}

/** strtoull(text, &end, 0) with nothing left over, as libbpf's parse_u64: a leading '-' wraps. */
function parseU64(text: string): bigint | undefined {
  const m = /^\s*([+-]?)(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/i.exec(text);
  if (!m) return undefined;
  const body = m[2]!;
  const n = /^0x/i.test(body) ? BigInt(body) : body.length > 1 && body.startsWith('0') ? BigInt('0o' + body.slice(1)) : BigInt(body);
  if (n > 0xffff_ffff_ffff_ffffn) return undefined; // ERANGE in strtoull
  return m[1] === '-' ? BigInt.asUintN(64, -n) : n;
}

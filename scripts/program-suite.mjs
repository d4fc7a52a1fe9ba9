// The programs/ suite as data: the packet corpus, the per-object run configurations, and the one
// function that runs a program on a packet in the kernel and turns the result into the JSON that
// programs/expected/<program>.json holds. Shared by scripts/record-kernel.mjs (which writes the
// recordings) and tests/programs/kernel_live.test.ts (which re-runs a sample and compares), so both
// produce records the same way. The kernel oracle is passed in (`oracle`: loadKernelObject and
// xdpContext from src/oracle), so the recorder can use dist/ and the tests src/.
//
// A configuration, programs/<object>.json:
//   {
//     "object": "xdp_lb.o",                 default: <config name>.o
//     "programs": ["xdp_lb"],               default: every program in the object
//     "ctx": { "ingressIfindex": 1, "rxQueueIndex": 0 },   optional xdp_md for every run
//     "setup": [{ "map": "vips", "key": FIELDS, "value": FIELDS, "flag": "any", "note": "…" }],
//     "record": ["vips", "lb_stats"],       maps dumped after each run (ELF names: "flows", ".bss")
//     "sequence": true,                     also run the whole corpus in order on one load
//     "wxdpVerify": false,                  wxdp loads it unverified (checked): its verifier refuses what
//                                           the kernel accepts (say why in notes)
//     "notes": ["…"]
//   }
// FIELDS is a hex string ("0a000064") or a list of typed fields concatenated in order:
//   "u8:N" "u16:N" "u32:N" "u64:N"   little-endian (the byte order of the BPF target here)
//   "be16:N" "be32:N"                network byte order
//   "ip4:A.B.C.D" "ip6:ADDR" "mac:AA:BB:…" "hex:…" "zeros:N"

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const XDP_ACTIONS = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

/** Map types whose dumps list every index whether set or not: all-zero entries are left out of records. */
export const ARRAY_TYPES = new Set(['array', 'percpu_array']);

export const toHex = (b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const fromHex = (h) => Uint8Array.from(Buffer.from(h, 'hex'));
const isZero = (b) => b.every((x) => x === 0);

// ---- corpus ----

/** The corpus in index order, each frame with its bytes. */
export function loadCorpus(root) {
  const dir = join(root, 'programs', 'corpus');
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  return index.map((e) => ({ ...e, data: new Uint8Array(readFileSync(join(dir, e.file))) }));
}

/** sha256 over every frame's name and bytes, in order: recordings name the corpus they were made from. */
export function corpusDigest(corpus) {
  const h = createHash('sha256');
  for (const p of corpus) {
    h.update(p.name);
    h.update('\0');
    h.update(p.data);
  }
  return h.digest('hex');
}

export function fileDigest(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

// ---- configurations ----

/** Every programs/*.json configuration, sorted by name, with its setup resolved to bytes. */
export function loadConfigs(root) {
  const dir = join(root, 'programs');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.json'.length);
      const c = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      const object = c.object ?? `${name}.o`;
      return {
        name,
        object,
        objectPath: join(dir, object),
        source: object.replace(/\.o$/, '.c'),
        programs: c.programs,
        ctx: c.ctx,
        setup: (c.setup ?? []).map((s) => ({
          ...s,
          flag: s.flag ?? 'any',
          keyBytes: encodeFields(s.key),
          valueBytes: encodeFields(s.value),
        })),
        record: c.record ?? [],
        sequence: c.sequence === true,
        wxdpVerify: c.wxdpVerify !== false,
        notes: c.notes ?? [],
      };
    });
}

export function encodeFields(spec) {
  if (typeof spec === 'string') {
    if (!/^([0-9a-fA-F]{2})*$/.test(spec)) throw new Error(`bad hex '${spec}'`);
    return fromHex(spec);
  }
  if (!Array.isArray(spec)) throw new Error(`bad field list ${JSON.stringify(spec)}`);
  const parts = spec.map(encodeField);
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

function encodeField(f) {
  const i = f.indexOf(':');
  if (i < 0) throw new Error(`field '${f}' has no type`);
  const type = f.slice(0, i);
  const v = f.slice(i + 1);
  const le = (_, bytes) => {
    let x = BigInt.asUintN(bytes * 8, BigInt(v));
    const out = new Uint8Array(bytes);
    for (let k = 0; k < bytes; k++, x >>= 8n) out[k] = Number(x & 0xffn);
    return out;
  };
  switch (type) {
    case 'u8':
      return le(v, 1);
    case 'u16':
      return le(v, 2);
    case 'u32':
      return le(v, 4);
    case 'u64':
      return le(v, 8);
    case 'be16':
      return le(v, 2).reverse();
    case 'be32':
      return le(v, 4).reverse();
    case 'ip4':
      return Uint8Array.from(v.split('.').map(Number));
    case 'ip6':
      return ip6(v);
    case 'mac':
      return Uint8Array.from(v.split(':').map((h) => parseInt(h, 16)));
    case 'hex':
      return fromHex(v);
    case 'zeros':
      return new Uint8Array(Number(v));
    default:
      throw new Error(`unknown field type '${type}' in '${f}'`);
  }
}

function ip6(s) {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new Error(`bad IPv6 address ${s}`);
  return Uint8Array.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

// ---- recording ----

/** Load the object fresh (maps empty but for libbpf's initial values) with its maps pinned, and apply the setup. */
export function loadForRecording(oracle, config) {
  const obj = oracle.loadKernelObject(config.objectPath, { pinMaps: true });
  try {
    for (const s of config.setup) obj.map(s.map).update(s.keyBytes, s.valueBytes, s.flag);
  } catch (e) {
    obj.close();
    throw e;
  }
  return obj;
}

function runOptions(oracle, config, packet) {
  const opts = { data: packet.data };
  if (config.ctx) {
    opts.ctx = oracle.xdpContext({
      dataLength: packet.data.length,
      ingressIfindex: config.ctx.ingressIfindex,
      rxQueueIndex: config.ctx.rxQueueIndex,
    });
  }
  return opts;
}

/** The recorded maps of a loaded object: { name: [{ key, value } | { key, values }] }, sorted by key. */
export function dumpRecordedMaps(obj, config) {
  const maps = {};
  for (const name of config.record) {
    const m = obj.map(name);
    const array = ARRAY_TYPES.has(m.info().type);
    maps[name] = m
      .dump()
      .filter((e) => !array || !(e.values ? e.values.every(isZero) : isZero(e.value)))
      .map((e) => (e.values ? { key: toHex(e.key), values: e.values.map(toHex) } : { key: toHex(e.key), value: toHex(e.value) }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  return maps;
}

/** What the kernel says about each recorded map. */
export function describeRecordedMaps(obj, config) {
  const out = {};
  for (const name of config.record) {
    const i = obj.map(name).info();
    out[name] = {
      type: i.type,
      keySize: i.keySize,
      valueSize: i.valueSize,
      maxEntries: i.maxEntries,
      flags: i.flags,
      zeroEntriesOmitted: ARRAY_TYPES.has(i.type),
    };
  }
  return out;
}

function runRecord(oracle, obj, config, program, packet) {
  const r = obj.program(program).run(runOptions(oracle, config, packet));
  return {
    packet: packet.name,
    retval: r.retval,
    action: XDP_ACTIONS[r.retval] ?? `unknown(${r.retval})`,
    dataOut: toHex(r.data),
    dataChanged: toHex(r.data) !== toHex(packet.data),
  };
}

/** One program on one packet, on a fresh load: the record that programs/expected/<program>.json keeps. */
export function recordPacket(oracle, config, program, packet) {
  const obj = loadForRecording(oracle, config);
  try {
    const rec = runRecord(oracle, obj, config, program, packet);
    rec.maps = dumpRecordedMaps(obj, config);
    return rec;
  } finally {
    obj.close();
  }
}

/** The whole corpus in order on one load; the maps are dumped once, after the last packet. */
export function recordSequence(oracle, config, program, corpus) {
  const obj = loadForRecording(oracle, config);
  try {
    const packets = corpus.map((p) => runRecord(oracle, obj, config, program, p));
    return { packets, maps: dumpRecordedMaps(obj, config) };
  } finally {
    obj.close();
  }
}

/** The programs a configuration records: its list, or every program in the object. */
export function programsOf(oracle, config) {
  if (config.programs) return config.programs;
  const obj = oracle.loadKernelObject(config.objectPath, { pinMaps: true });
  try {
    return [...obj.programNames];
  } finally {
    obj.close();
  }
}

/**
 * Per-CPU values compared across machines and CPUs: a single test run touches one CPU, so the
 * meaningful value is the one non-zero CPU's (or zeros). Returns records with `values` replaced by
 * `value` holding that fold.
 */
export function foldPerCpu(maps) {
  const out = {};
  for (const [name, entries] of Object.entries(maps)) {
    out[name] = entries.map((e) => {
      if (!e.values) return e;
      const nonZero = e.values.filter((v) => !/^0*$/.test(v));
      return { key: e.key, value: nonZero.length === 1 ? nonZero[0] : nonZero.length === 0 ? e.values[0] : `several CPUs: ${nonZero.join(',')}` };
    });
  }
  return out;
}

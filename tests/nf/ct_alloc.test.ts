// The conntrack kfuncs that make entries (net/netfilter/nf_conntrack_bpf.c, nf_nat_bpf.c), with
// programs/xdp_ct_alloc.o: bpf_xdp_ct_alloc's errors, an entry shaped by bpf_ct_set_timeout /
// bpf_ct_set_status / bpf_ct_set_nat_info and its mark, bpf_ct_insert_entry, lookups by both tuples,
// bpf_ct_change_status / bpf_ct_change_timeout, a second insert of the tuple refused, a zone of one
// direction. KERNEL_* are 6.18.44-fc-v1252's answers (the program's .bss after one test run in a fresh
// namespace, then after a second run of a fresh load on the same table; `conntrack -L` after), and the
// last test compares with the live kernel when it can.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Datapath } from '../../src/control/datapath.js';
import { kernelAvailability } from '../../src/oracle/kernel.js';

const OBJ = fileURLToPath(new URL('../../programs/xdp_ct_alloc.o', import.meta.url));
const XDP_PASS = 2;

/** The program's `res` after its first run, as the kernel left it. */
const KERNEL_RUN1 =
  'eaffffffeaffffffeaffffffb9ffffff9fffffffc0ffffffeaffffff0100000000000000f0ffffff000000000100000000000000000000009c00000077000000' +
  'cb0071070400000000000000f0ffffff9e000000000000000000000001000000010000000000000001000000010000000100000000000000fefffffffeffffff03000000';
/** After a second run (a fresh load, so a fresh .bss) on the same table: both inserts refused. */
const KERNEL_RUN2 =
  'eaffffffeaffffffeaffffffb9ffffff9fffffffc0ffffffeaffffff0100000000000000f0ffffff000000000000000000000000000000009e00000077000000' +
  'cb0071070400000000000000f0ffffff9e000000000000000000000001000000010000000000000001000000010000000000000000000000fefffffffeffffff03000000';
/** `conntrack -L` after either (sorted; the kernel printed 59 and 9: a few jiffies had passed). */
const KERNEL_LIST = [
  'tcp      6 59 NONE src=192.0.2.1 dst=198.51.100.2 sport=4660 dport=80 src=198.51.100.2 dst=203.0.113.7 sport=80 dport=1024 [ASSURED] mark=119 use=1',
  'udp      17 9 src=2001:db8::1 dst=2001:db8:1::2 sport=5353 dport=53 zone-orig=7 [UNREPLIED] src=2001:db8:1::2 dst=2001:db8::1 sport=53 dport=5353 mark=0 use=1',
];

/** `res`'s fields (programs/xdp_ct_alloc.c), by offset: each an s32 / u32 (the u8s and the u16 read in their word). */
function fields(hex: string): Record<string, number> {
  const b = Buffer.from(hex, 'hex');
  const w = (o: number): number => b.readInt32LE(o);
  return {
    allocEinvalOptsSize: w(0), allocEinvalReserved: w(4), allocNetnsBeforeProto: w(8), allocEproto: w(12), allocEafnosupport: w(16),
    allocEnonet: w(20), allocEinvalZone12: w(24), allocOk: w(28), setStatus: w(32), setStatusConfirmed: w(36), snat: w(40), insertOk: w(44),
    lookupErr: w(48), lookupDir: w(52), status: w(56), mark: w(60), replyDst: b.readUInt32BE(64), replyDport: b.readUInt16BE(68),
    changeStatus: w(72), changeStatusClear: w(76), statusAfter: w(80), changeTimeout: w(84), replyLookupErr: w(88), replyLookupDir: w(92),
    reallocOk: w(96), reinsertOk: w(100), zoneAllocOk: w(104), zoneDirAfter: b[108]!, zoneInsertOk: w(112), zoneLookupErr: w(116),
    zone0LookupErr: w(120), opts12LookupErr: w(124), lookupZoneDirDefault: b[128]!,
  };
}

/** A `conntrack -L` line without its timeout column. */
const untimed = (l: string): string => l.replace(/^(\S+\s+\d+) \d+ /, '$1 ');

async function fresh(): Promise<Datapath> {
  const dp = await Datapath.create();
  dp.conntrack.enable({});
  return dp;
}

async function runOnce(dp: Datapath): Promise<string> {
  const o = await dp.loadObject(OBJ);
  expect(o.program('xdp_ct_alloc').testRun({ data: new Uint8Array(64) }).retval).toBe(XDP_PASS);
  const bss = [...o.maps].find(([n]) => n.endsWith('.bss'))![1];
  const hex = Buffer.from(bss.lookup(new Uint8Array(4))!).toString('hex');
  dp.unloadObject(o);
  return hex;
}

describe('bpf_xdp_ct_alloc and the kfuncs that shape and insert its entry', () => {
  it('answers as the kernel did, field by field', async () => {
    const dp = await fresh();
    try {
      const got = fields(await runOnce(dp));
      // bpf_xdp_ct_alloc's checks in __bpf_nf_ct_alloc_entry's order: netns_id < -1 (-EINVAL) before the
      // l4proto (-EPROTO, bpf_nf_ct_tuple_parse's), which the lookup checks the other way round
      expect(got).toEqual(fields(KERNEL_RUN1));
      expect(got).toMatchObject({ allocNetnsBeforeProto: -22, allocEproto: -71, allocEafnosupport: -97, allocEnonet: -64 });
      // nf_ct_change_status_common: CONFIRMED may not change (-EBUSY); only the changeable bits are set
      expect(got).toMatchObject({ setStatus: 0, setStatusConfirmed: -16, changeStatus: 0, changeStatusClear: -16 });
      // IPS_CONFIRMED | IPS_ASSURED | IPS_SRC_NAT | IPS_SRC_NAT_DONE, then IPS_SEEN_REPLY added
      expect(got).toMatchObject({ status: 0x9c, statusAfter: 0x9e, mark: 0x77 });
      // the reply tuple's destination is the translated source (nf_nat_setup_info), found in direction 1
      expect(got).toMatchObject({ replyDst: 0xcb007107, replyDport: 1024, replyLookupErr: 0, replyLookupDir: 1 });
      // the tuple is in the table: a second entry of it is refused (nf_conntrack_hash_check_insert -EEXIST)
      expect(got).toMatchObject({ insertOk: 1, reallocOk: 1, reinsertOk: 0 });
      // zone 7 of the original direction: found in zone 7 only; opts->ct_zone_dir 0 is written back as 3
      expect(got).toMatchObject({ zoneDirAfter: 1, zoneLookupErr: 0, zone0LookupErr: -2, opts12LookupErr: -2, lookupZoneDirDefault: 3 });
    } finally {
      await dp.close();
    }
  });

  it('leaves the entries conntrack -L lists, and a second run finds them', async () => {
    const dp = await fresh();
    try {
      expect(await runOnce(dp)).toBe(KERNEL_RUN1);
      const list = dp.conntrack.format().trim().split('\n').sort();
      expect(list.map(untimed)).toEqual(KERNEL_LIST.map(untimed));
      // bpf_ct_change_timeout(60000 ms) and bpf_xdp_ct_alloc's 10 s: the stack clock has not moved
      expect(dp.conntrack.list().map((e) => e.timeout).sort((a, b) => a - b)).toEqual([10, 60]);
      expect(dp.conntrack.list().find((e) => e.protonum === 17)).toMatchObject({ zone: 0, zoneOrig: 7, zoneReply: 0 });
      expect(await runOnce(dp)).toBe(KERNEL_RUN2);
      expect(dp.conntrack.list().length).toBe(2);
    } finally {
      await dp.close();
    }
  });
});

const avail = kernelAvailability();
const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
describe.skipIf(!avail.ok || !have('conntrack'))(`the live kernel answers the same${avail.ok ? '' : ` (skipped: ${avail.reason})`}`, () => {
  it('two runs in a namespace: .bss and conntrack -L', () => {
    const ns = `wx-ctalloc-${process.pid}`;
    const sh = (cmd: string): string => {
      const r = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { encoding: 'utf8' });
      expect(r.status, `${cmd}: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
    expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0);
    try {
      // bpffs inside the exec (a new mount namespace each time): both loads, runs and dumps in one shell
      const frame = `/tmp/wx-ctalloc-${process.pid}.bin`;
      const run = (pin: string): string[] => [
        `mkdir -p ${pin} && bpftool prog loadall ${OBJ} ${pin} pinmaps ${pin}/maps`,
        `bpftool prog run pinned ${pin}/xdp_ct_alloc data_in ${frame} | grep -o 'Return value: [0-9]*'`,
        `bpftool -j map dump pinned $(ls -d ${pin}/maps/*bss)`,
      ];
      spawnSync('sh', ['-c', `head -c 64 /dev/zero > ${frame}`]);
      const out = sh(['mount -t bpf bpf /sys/fs/bpf', ...run('/sys/fs/bpf/wx-ct1'), ...run('/sys/fs/bpf/wx-ct2'), 'conntrack -L 2>/dev/null'].join(' && '));
      spawnSync('rm', ['-f', frame]);
      const lines = out.trim().split('\n');
      expect(lines.filter((l) => l.startsWith('Return value:'))).toEqual([`Return value: ${XDP_PASS}`, `Return value: ${XDP_PASS}`]);
      const dumps = lines.filter((l) => l.startsWith('[')).map((l) => (JSON.parse(l) as { value: string[] }[])[0]!.value.map((x) => x.slice(2).padStart(2, '0')).join(''));
      expect(dumps).toEqual([KERNEL_RUN1, KERNEL_RUN2]);
      const list = lines.filter((l) => /^(tcp|udp) /.test(l)).sort();
      expect(list.map(untimed)).toEqual(KERNEL_LIST.map(untimed));
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
});

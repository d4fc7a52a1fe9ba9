// BPF_MAP_CREATE: the attribute checks of each map type's map_alloc_check / map_alloc, with the
// kernel's errno (kernel/bpf/arraymap.c array_map_alloc_check, fd_array_map_alloc_check;
// hashtab.c htab_map_alloc_check, htab_map_alloc; lpm_trie.c trie_alloc; queue_stack_maps.c
// queue_stack_map_alloc_check; ringbuf.c ringbuf_map_alloc; devmap.c dev_map_init_map;
// xskmap.c xsk_map_alloc). Where the tools are there, the same table runs against the kernel.

import { afterAll, describe, expect, it } from 'vitest';
import { createMap, Errno, MapError, MapFlag as F, MapType as T, mapTypeName } from '../../src/maps/index.js';
import { haveKernel, KernelMap, kernelSkipReason } from './bpftool.js';
import { fresh, haveWasm } from './support.js';

const { EINVAL, E2BIG, ENOTSUPP } = Errno;

// [what, type, key_size, value_size, max_entries, map_flags, errno (0: created)]
type Case = [string, number, number, number, number, number, number];
const CASES: Case[] = [
  ['array: key_size must be 4', T.ARRAY, 8, 4, 4, 0, EINVAL],
  ['array: value_size 0', T.ARRAY, 4, 0, 4, 0, EINVAL],
  ['array: max_entries 0', T.ARRAY, 4, 4, 0, 0, EINVAL],
  ['array: BPF_F_NO_PREALLOC is not an array flag', T.ARRAY, 4, 4, 4, F.NO_PREALLOC, EINVAL],
  ['array: BPF_F_MMAPABLE', T.ARRAY, 4, 4, 4, F.MMAPABLE, 0],
  ['array: BPF_F_RDONLY | BPF_F_WRONLY', T.ARRAY, 4, 4, 4, F.RDONLY | F.WRONLY, EINVAL],
  ['array: BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG', T.ARRAY, 4, 4, 4, F.RDONLY_PROG | F.WRONLY_PROG, EINVAL],
  ['array: BPF_F_RDONLY_PROG', T.ARRAY, 4, 4, 4, F.RDONLY_PROG, 0],
  ['array: BPF_F_PRESERVE_ELEMS is perf_event_array only', T.ARRAY, 4, 4, 4, F.PRESERVE_ELEMS, EINVAL],
  ['percpu_array: BPF_F_MMAPABLE', T.PERCPU_ARRAY, 4, 4, 4, F.MMAPABLE, EINVAL],
  ['percpu_array: value over PCPU_MIN_UNIT_SIZE', T.PERCPU_ARRAY, 4, 32769, 1, 0, E2BIG],
  ['percpu_array: 32 KiB value', T.PERCPU_ARRAY, 4, 32768, 1, 0, 0],
  ['hash: key_size 0', T.HASH, 0, 4, 4, 0, EINVAL],
  ['hash: value_size 0', T.HASH, 4, 0, 4, 0, EINVAL],
  ['hash: max_entries 0', T.HASH, 4, 4, 0, 0, EINVAL],
  ['hash: BPF_F_NO_PREALLOC accepted', T.HASH, 4, 4, 4, F.NO_PREALLOC, 0],
  ['hash: BPF_F_ZERO_SEED', T.HASH, 4, 4, 4, F.ZERO_SEED, 0],
  ['hash: BPF_F_NO_COMMON_LRU on a non-LRU map', T.HASH, 4, 4, 4, F.NO_COMMON_LRU, EINVAL],
  ['hash: BPF_F_MMAPABLE', T.HASH, 4, 4, 4, F.MMAPABLE, EINVAL],
  ['hash: key + value reach KMALLOC_MAX_SIZE - sizeof(htab_elem)', T.HASH, 4, (1 << 22) - 52, 1, 0, E2BIG],
  ['percpu_hash: BPF_F_NUMA_NODE', T.PERCPU_HASH, 4, 4, 4, F.NUMA_NODE, EINVAL],
  ['percpu_hash: value over PCPU_MIN_UNIT_SIZE', T.PERCPU_HASH, 4, 32769, 1, 0, E2BIG],
  ['lru_hash: BPF_F_NO_PREALLOC is not supported', T.LRU_HASH, 4, 4, 4, F.NO_PREALLOC, ENOTSUPP],
  ['lru_hash: BPF_F_NO_COMMON_LRU', T.LRU_HASH, 4, 4, 4, F.NO_COMMON_LRU, 0],
  ['lru_percpu_hash', T.LRU_PERCPU_HASH, 4, 8, 4, 0, 0],
  ['lpm_trie: requires BPF_F_NO_PREALLOC', T.LPM_TRIE, 8, 4, 4, 0, EINVAL],
  ['lpm_trie: key without data bytes', T.LPM_TRIE, 4, 4, 4, F.NO_PREALLOC, EINVAL],
  ['lpm_trie: 256 data bytes', T.LPM_TRIE, 260, 4, 1, F.NO_PREALLOC, 0],
  ['lpm_trie: 257 data bytes', T.LPM_TRIE, 261, 4, 1, F.NO_PREALLOC, EINVAL],
  ['lpm_trie: value_size 0', T.LPM_TRIE, 8, 0, 4, F.NO_PREALLOC, EINVAL],
  ['lpm_trie: BPF_F_ZERO_SEED', T.LPM_TRIE, 8, 4, 4, F.NO_PREALLOC | F.ZERO_SEED, EINVAL],
  ['queue: key_size must be 0', T.QUEUE, 4, 4, 4, 0, EINVAL],
  ['queue', T.QUEUE, 0, 4, 4, 0, 0],
  ['stack: value_size 0', T.STACK, 0, 0, 4, 0, EINVAL],
  ['stack: BPF_F_NO_PREALLOC', T.STACK, 0, 4, 4, F.NO_PREALLOC, EINVAL],
  ['ringbuf: 8 KiB', T.RINGBUF, 0, 0, 8192, 0, 0],
  ['ringbuf: not a power of 2', T.RINGBUF, 0, 0, 12288, 0, EINVAL],
  ['ringbuf: not page aligned', T.RINGBUF, 0, 0, 2048, 0, EINVAL],
  ['ringbuf: key_size 4', T.RINGBUF, 4, 0, 4096, 0, EINVAL],
  ['ringbuf: value_size 4', T.RINGBUF, 0, 4, 4096, 0, EINVAL],
  ['ringbuf: BPF_F_NO_PREALLOC', T.RINGBUF, 0, 0, 4096, F.NO_PREALLOC, EINVAL],
  ['prog_array', T.PROG_ARRAY, 4, 4, 4, 0, 0],
  ['prog_array: value_size 8', T.PROG_ARRAY, 4, 8, 4, 0, EINVAL],
  ['prog_array: BPF_F_RDONLY_PROG', T.PROG_ARRAY, 4, 4, 4, F.RDONLY_PROG, EINVAL],
  ['prog_array: BPF_F_MMAPABLE', T.PROG_ARRAY, 4, 4, 4, F.MMAPABLE, EINVAL],
  ['devmap: 4-byte value', T.DEVMAP, 4, 4, 4, 0, 0],
  ['devmap: 8-byte value (ifindex + prog fd)', T.DEVMAP, 4, 8, 4, 0, 0],
  ['devmap: 12-byte value', T.DEVMAP, 4, 12, 4, 0, EINVAL],
  ['devmap: key_size 8', T.DEVMAP, 8, 4, 4, 0, EINVAL],
  ['devmap: BPF_F_NO_PREALLOC', T.DEVMAP, 4, 4, 4, F.NO_PREALLOC, EINVAL],
  ['devmap_hash', T.DEVMAP_HASH, 4, 4, 4, 0, 0],
  ['xskmap', T.XSKMAP, 4, 4, 4, 0, 0],
  ['xskmap: value_size 8', T.XSKMAP, 4, 8, 4, 0, EINVAL],
  ['perf_event_array', T.PERF_EVENT_ARRAY, 4, 4, 2, 0, 0],
  ['perf_event_array: BPF_F_PRESERVE_ELEMS', T.PERF_EVENT_ARRAY, 4, 4, 2, F.PRESERVE_ELEMS, 0],
  ['perf_event_array: value_size 8', T.PERF_EVENT_ARRAY, 4, 8, 2, 0, EINVAL],
  ['perf_event_array: BPF_F_RDONLY_PROG', T.PERF_EVENT_ARRAY, 4, 4, 2, F.RDONLY_PROG, EINVAL],
  ['perf_event_array: BPF_F_MMAPABLE', T.PERF_EVENT_ARRAY, 4, 4, 2, F.MMAPABLE, EINVAL],
  ['cpumap: 4-byte value (qsize)', T.CPUMAP, 4, 4, 2, 0, 0],
  ['cpumap: 8-byte value (qsize + prog fd)', T.CPUMAP, 4, 8, 2, 0, 0],
  ['cpumap: 12-byte value', T.CPUMAP, 4, 12, 2, 0, EINVAL],
  ['cpumap: BPF_F_NO_PREALLOC', T.CPUMAP, 4, 4, 2, F.NO_PREALLOC, EINVAL],
  ['cpumap: NR_CPUS entries', T.CPUMAP, 4, 4, 256, 0, 0],
  ['cpumap: more entries than NR_CPUS', T.CPUMAP, 4, 4, 257, 0, E2BIG],
];

describe.skipIf(!haveWasm)('map_create checks attributes as the kernel', () => {
  it.each(CASES)('%s', async (_what, type, keySize, valueSize, maxEntries, flags, errno) => {
    const fp = await fresh();
    const create = () => createMap(fp, { name: 'm', type, keySize, valueSize, maxEntries, flags });
    if (errno === 0) {
      const m = create();
      expect(m.type).toBe(type);
    } else {
      expect(create).toThrow(expect.objectContaining({ code: 'MAP_CREATE', errno }));
    }
  });

  it('refuses types it does not implement by name (not EINVAL: the kernel knows them, wxdp does not)', async () => {
    const fp = await fresh();
    let err: unknown;
    try {
      createMap(fp, { name: 'cg', type: 19, keySize: 8, valueSize: 8, maxEntries: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MapError);
    expect(err).toMatchObject({ code: 'MAP_UNSUPPORTED', errno: Errno.EOPNOTSUPP, map: 'cg', op: 'create' });
    expect((err as Error).message).toBe("map 'cg': create: EOPNOTSUPP (map type cgroup_storage is not supported by wxdp)");
    expect(() => createMap(fp, { name: 'x', type: 99, keySize: 4, valueSize: 4, maxEntries: 1 })).toThrow(/map type type 99 is not supported by wxdp/);
  });

  it('keeps the kernel\'s adjusted attributes: devmaps add BPF_F_RDONLY_PROG, NO_COMMON_LRU rounds max_entries to the CPUs', async () => {
    const fp = await fresh({ ncpus: 4 });
    expect(createMap(fp, { name: 'd', type: T.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 2 }).flags).toBe(F.RDONLY_PROG);
    expect(createMap(fp, { name: 'l', type: T.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 5, flags: F.NO_COMMON_LRU }).maxEntries).toBe(8);
    expect(createMap(fp, { name: 'l2', type: T.LRU_HASH, keySize: 4, valueSize: 4, maxEntries: 5 }).maxEntries).toBe(5);
  });

  it('rejects attributes that are not u32s before asking the fast path', async () => {
    const fp = await fresh();
    expect(() => createMap(fp, { name: 'n', type: T.HASH, keySize: -1, valueSize: 4, maxEntries: 1 }))
      .toThrow(expect.objectContaining({ code: 'MAP_CREATE', errno: EINVAL }));
  });
});

describe.skipIf(!haveKernel)('map_create errno agrees with the kernel (bpftool)', () => {
  const made: KernelMap[] = [];
  afterAll(() => made.forEach((m) => m.close()));

  it.each(CASES)('%s', (_what, type, keySize, valueSize, maxEntries, flags, errno) => {
    const m = KernelMap.create(mapTypeName(type), keySize, valueSize, maxEntries, flags);
    if (typeof m !== 'number') made.push(m);
    expect(typeof m === 'number' ? m : 0).toBe(errno);
  });

  it('the kernel also sets BPF_F_RDONLY_PROG on devmaps', () => {
    const m = KernelMap.must('devmap', 4, 4, 2);
    made.push(m);
    expect(m.show().flags).toBe(F.RDONLY_PROG);
  });
});

if (!haveKernel) {
  describe('map_create errno agrees with the kernel (bpftool)', () => {
    it.skip(`skipped: ${kernelSkipReason}`, () => {});
  });
}

// bpftool's verbs for the maps without keys (programs/xdp_keyless.o: a queue, a stack, a bloom filter,
// and an array with keys), offline on an object file and live through the control socket. bpftool 7.1
// on Linux 6.18 (bpftool map help; queue/stack/bloom created with bpftool map create), for the wording:
//   pop / dequeue on an empty queue: "Error: empty map", -j: null, exit non-zero (ENOENT)
//   peek on an empty queue: "Not found" (-j: null), exit non-zero (ENOENT)
//   push / enqueue: nothing printed (-j: null); on a full queue "Error: update failed: Argument list too long"
//   pop / peek: "value: 01 00 00 00" (-j: {"key":[],"value":["0x01","0x00","0x00","0x00"]})
//   pop on a bloom filter: "Error: pop failed: Unknown error 524"
//   push without a value: "Error: did not find value"; a short one: "Error: value expected 4 bytes got 3";
//   peek with a value on a queue: "Error: unnecessary value"
//   lookup without a key (bpftool's peek alias): a queue's or stack's next value, "Not found" empty
//     (-j: null, exit ENOENT); a bloom filter: "Not found" (ENOENT) whatever it holds; a key given: "unnecessary key"
//   dump of a queue or stack: "Found 0 elements" (-j: []), exit EINVAL (234); a bloom filter's: EOPNOTSUPP (161)
// wxdp prints a push (`pushed value: …`) and, with --json, the entry {key: "", value} as its other map
// verbs do; errors are its one line with bpftool's words and the errno, exit 1 (2: usage). A bloom filter's
// peek takes the value asked about (the kernel reads it from the value buffer; bpftool 7.1 passes none).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { Datapath } from '../../src/control/datapath.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}
const OBJ = new URL('../../programs/xdp_keyless.o', import.meta.url).pathname;

describe('wxdp map push|pop|peek OBJ.o (offline: the maps as the load leaves them)', () => {
  it('pushes, and answers an empty queue, a bloom filter, a map with keys and bad values as bpftool does', async () => {
    expect(await cli('map', 'push', OBJ, 'name', 'lens_q', 'value', '1', '0', '0', '0')).toEqual({ code: 0, out: 'pushed value: 01 00 00 00\n  1\n', err: '' });
    const j = await cli('map', 'enqueue', OBJ, 'name', 'lens_s', 'value', 'hex', '2a', '00', '00', '00', '--json');
    expect([j.code, JSON.parse(j.out)]).toEqual([0, { key: '', value: '2a000000', formatted: { key: null, value: 42 } }]);
    expect(await cli('map', 'pop', OBJ, 'name', 'lens_q')).toEqual({ code: 1, out: '', err: "wxdp map: map 'lens_q': pop: ENOENT (empty map)\n" });
    const dq = await cli('map', 'dequeue', OBJ, 'name', 'lens_q', '--json');
    expect([dq.code, JSON.parse(dq.out)]).toEqual([1, { error: { code: 'MAP_NOT_FOUND', message: "map 'lens_q': pop: ENOENT (empty map)" } }]);
    expect((await cli('map', 'peek', OBJ, 'name', 'lens_s')).err).toBe("wxdp map: map 'lens_s': peek: ENOENT (Not found)\n");
    expect((await cli('map', 'peek', OBJ, 'name', 'lens_b', 'value', '1', '0', '0', '0')).err).toBe("wxdp map: map 'lens_b': peek: ENOENT (value 01000000: Not found)\n");
    expect(await cli('map', 'pop', OBJ, 'name', 'lens_b')).toEqual({ code: 1, out: '', err: "wxdp map: map 'lens_b': pop: ENOTSUPP (pop failed: Unknown error 524)\n" });
    const usage: Array<[string[], string]> = [
      [['pop', OBJ, 'name', 'lens'], "map 'lens': pop is for maps without keys (queue, stack, bloom_filter), not type array: use lookup, update or delete"],
      [['push', OBJ, 'name', 'lens_q'], "map 'lens_q': did not find value"],
      [['push', OBJ, 'name', 'lens_q', 'value', '1', '0', '0'], "map 'lens_q': value expected 4 bytes got 3"],
      [['peek', OBJ, 'name', 'lens_q', 'value', '1', '0', '0', '0'], "map 'lens_q': unnecessary value"],
      [['peek', OBJ, 'name', 'lens_b'], "map 'lens_b': did not find value (a bloom filter is asked about one: peek … value BYTES)"],
      [['pop', OBJ, 'name', 'lens_q', 'key', '0'], 'wxdp map pop: a pop takes no key (queue, stack and bloom_filter maps have none)'],
      [['push', OBJ, 'name', 'lens_q', 'value', '1', '0', '0', '0', 'flags', 'some'], "flags must be any, noexist or exist, not 'some'"],
    ];
    for (const [argv, msg] of usage) {
      const r = await cli('map', ...argv);
      expect([argv.join(' '), r.code, r.out]).toEqual([argv.join(' '), 2, '']);
      expect(r.err).toContain(msg);
      expect(r.err.split('\n').length).toBe(2);
    }
    const none = await cli('map', 'pop', OBJ, 'name', 'nope');
    expect([none.code, none.err]).toEqual([1, expect.stringContaining("no map 'nope'")]);
  });

  it('lookup without a key is the peek of a queue or stack; dump of one finds 0 elements and fails as bpftool does', async () => {
    expect(await cli('map', 'lookup', OBJ, 'name', 'lens_q')).toEqual({ code: 1, out: '', err: "wxdp map: map 'lens_q': peek: ENOENT (Not found)\n" });
    const b = await cli('map', 'lookup', OBJ, 'name', 'lens_b', '--json');
    expect([b.code, JSON.parse(b.out).error.message]).toEqual([1, "map 'lens_b': lookup: ENOENT (Not found: a lookup without a key asks a bloom filter about no value; peek … value BYTES asks about one)"]);
    expect(await cli('map', 'lookup', OBJ, 'name', 'lens')).toEqual({ code: 2, out: '', err: 'wxdp map: wxdp map lookup: missing key\n' });
    expect((await cli('map', 'lookup', OBJ, 'name', 'lens_q', 'key', '1', '0', '0', '0')).err).toContain("map 'lens_q': unnecessary key");
    expect(await cli('map', 'dump', OBJ, 'name', 'lens_q')).toEqual({ code: 1, out: 'Found 0 elements\n', err: "wxdp map: map 'lens_q': dump: EINVAL (Found 0 elements: a queue has no keys to walk; pop or peek reads it)\n" });
    const d = await cli('map', 'dump', OBJ, 'name', 'lens_b', '--json');
    expect([d.code, JSON.parse(d.out).error.code, d.err]).toEqual([1, 'MAP_UNSUPPORTED', '']);
  });

  it('--help for each verb', async () => {
    for (const verb of ['push', 'enqueue', 'pop', 'dequeue', 'peek']) {
      const r = await cli('map', verb, '--help');
      expect([r.code, r.out.split('\n')[0]]).toEqual([0, `usage: wxdp map ${verb} OBJ.o name MAP${verb === 'push' || verb === 'enqueue' ? ' value BYTES [flags any|noexist|exist]' : verb === 'peek' ? ' [value BYTES]' : ''} [--json]`]);
    }
  });
});

describe('wxdp map push|pop|peek --socket (live)', () => {
  let dp: Datapath;
  let tmp: string;
  let sock: string;
  const live = (...argv: string[]) => cli('map', ...argv, '--socket', sock);

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'wxdp-keyless-'));
    sock = join(tmp, 'c.sock');
    dp = await Datapath.create();
    await dp.loadObject(OBJ);
    await dp.listen(sock);
  });
  afterAll(async () => {
    await dp.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("a queue and a stack the program and the CLI push onto: pop takes the oldest / newest, empty is ENOENT", async () => {
    const run = (n: number) => dp.loadedObjects()[0]!.program().testRun({ data: new Uint8Array(n) });
    run(60);
    expect((await live('push', 'name', 'lens_q', 'value', '0x40', '0', '0', '0')).out).toBe('pushed value: 40 00 00 00\n  64\n');
    // full (2 entries): E2BIG, bpftool's words; flags exist drops the oldest
    expect(await live('enqueue', 'name', 'lens_q', 'value', '1', '0', '0', '0')).toEqual({ code: 1, out: '', err: "wxdp map enqueue: map 'lens_q': push: E2BIG (update failed: Argument list too long)\n" });
    expect((await live('peek', 'name', 'lens_q')).out).toBe('value: 3c 00 00 00\n  60\n');
    expect((await live('push', 'name', 'lens_q', 'value', '1', '0', '0', '0', 'flags', 'exist')).code).toBe(0);
    const p = await live('pop', 'name', 'lens_q', '--json');
    expect([p.code, JSON.parse(p.out)]).toEqual([0, { key: '', value: '40000000', formatted: { key: null, value: 64 } }]);
    expect((await live('dequeue', 'name', 'lens_q')).out).toBe('value: 01 00 00 00\n  1\n');
    expect(await live('pop', 'name', 'lens_q')).toEqual({ code: 1, out: '', err: "wxdp map pop: map 'lens_q': pop: ENOENT (empty map)\n" });
    const pj = await live('pop', 'name', 'lens_q', '--json');
    expect([pj.code, JSON.parse(pj.out)]).toEqual([1, { error: { code: 'ENOENT', message: "wxdp map pop: map 'lens_q': pop: ENOENT (empty map)" } }]);
    // the stack: newest first
    run(61);
    run(62);
    expect([(await live('pop', 'name', 'lens_s')).out, (await live('pop', 'name', 'lens_s')).out]).toEqual(['value: 3e 00 00 00\n  62\n', 'value: 3d 00 00 00\n  61\n']);
  });

  it('lookup without a key peeks a queue or stack (bpftool\'s alias); dump of one finds 0 elements, EINVAL', async () => {
    const run = (n: number) => dp.loadedObjects()[0]!.program().testRun({ data: new Uint8Array(n) });
    run(70);
    run(71);
    expect(await live('lookup', 'name', 'lens_s')).toEqual({ code: 0, out: 'value: 47 00 00 00\n  71\n', err: '' });
    const q = await live('lookup', 'name', 'lens_q', '--json');
    expect([q.code, JSON.parse(q.out)]).toEqual([0, { key: '', value: '46000000', formatted: { key: null, value: 70 } }]);
    expect(await live('dump', 'name', 'lens_q')).toEqual({ code: 1, out: 'Found 0 elements\n', err: "wxdp map dump: map 'lens_q': dump: EINVAL (Found 0 elements: a queue has no keys to walk; pop or peek reads it)\n" });
    const d = await live('dump', 'name', 'lens_b', '--json');
    expect([d.code, JSON.parse(d.out).error.code]).toEqual([1, 'EOPNOTSUPP']);
    expect((await live('lookup', 'name', 'lens_b')).err).toContain("map 'lens_b': lookup: ENOENT (Not found");
    expect((await live('lookup', 'name', 'lens')).err).toBe('wxdp map lookup: map.lookup: map lens: did not find key (args.key) (EINVAL)\n');
    // what lookup peeked is still there
    expect([(await live('pop', 'name', 'lens_q')).out, (await live('pop', 'name', 'lens_s')).out, (await live('pop', 'name', 'lens_s')).out]).toEqual(['value: 46 00 00 00\n  70\n', 'value: 47 00 00 00\n  71\n', 'value: 46 00 00 00\n  70\n']);
  });

  it('a bloom filter: push, then peek answers the value pushed and Not found (ENOENT) for one never pushed', async () => {
    expect((await live('push', 'name', 'lens_b', 'value', '7', '0', '0', '0')).code).toBe(0);
    expect((await live('peek', 'name', 'lens_b', 'value', '7', '0', '0', '0')).out).toBe('value: 07 00 00 00\n  7\n');
    expect(await live('peek', 'name', 'lens_b', 'value', '8', '0', '0', '0')).toEqual({ code: 1, out: '', err: "wxdp map peek: map 'lens_b': peek: ENOENT (value 08000000: Not found)\n" });
    expect((await live('pop', 'name', 'lens_b')).err).toBe("wxdp map pop: map 'lens_b': pop: ENOTSUPP (pop failed: Unknown error 524)\n");
    expect((await live('pop', 'name', 'lens')).err).toBe("wxdp map pop: map 'lens': pop is for maps without keys (queue, stack, bloom_filter), not type array: use lookup, update or delete (EINVAL)\n");
    expect((await live('pop', 'name', 'lens_q', 'value', '1')).code).toBe(2);
    expect((await live('push', 'name', 'lens_q')).err).toBe('wxdp map: wxdp map push: did not find value\n');
  });
});

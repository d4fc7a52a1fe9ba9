// Network namespaces for tests: `useNamespaces('router')` in a test file gives the namespaces of that
// owner (`wx-router-<pid>-<n>`), removes stale ones of dead test runs before the file starts, and
// deletes its own in afterAll, whether the tests passed or not. Tests that need namespaces skip with
// the reason when they cannot be made (not root, no iproute2):
//
//   const nsa = useNamespaces('router');
//   describe.skipIf(!nsa.available.ok)('…', () => {
//     it('…', () => { const r = nsa.set.create(); r.ip('link', 'show'); … });
//   });
//
// The machinery lives in src/oracle/netns.ts (the bench uses it too); this file adds vitest's hooks.

import { afterAll, beforeAll, it } from 'vitest';
import { Namespaces, netnsAvailability, removeStaleNamespaces, type NetnsAvailability } from '../../src/oracle/netns.js';

export { Namespaces, Netns, NetnsError, listNamespaces, testRunInNamespace, type VethEnd } from '../../src/oracle/netns.js';

export interface NamespaceFixture {
  available: NetnsAvailability;
  /** The owner's set: create() and veth(); cleaned up in afterAll. */
  set: Namespaces;
  /** Why the tests are skipped ('' when they are not). */
  skipReason: string;
}

/**
 * Namespaces for one test file. When they are unavailable, registers a visibly skipped test naming
 * the reason and warns once, so a skipped run says why.
 */
export function useNamespaces(owner: string): NamespaceFixture {
  const available = netnsAvailability(owner);
  const set = new Namespaces(owner);
  const skipReason = available.ok ? '' : available.reason;
  if (!available.ok) {
    console.warn(`namespace tests skipped: ${available.reason}`);
    it.skip(`network namespaces unavailable: ${available.reason}`, () => {});
  } else {
    beforeAll(() => {
      removeStaleNamespaces(owner);
    });
  }
  afterAll(() => set.cleanup());
  return { available, set, skipReason };
}

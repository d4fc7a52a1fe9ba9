// Shared by the workers tests.

import { expect } from 'vitest';
import { WxdpError } from '../../src/errors.js';

/** "CODE: message" of the WxdpError `f` throws, or 'accepted' when it throws nothing. */
export function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WxdpError);
    return `${(e as WxdpError).code}: ${(e as Error).message}`;
  }
  return 'accepted';
}

// The NetError a call is refused with (the test fails when the call goes through or throws something else).

import { NetError } from '../../src/control/net_types.js';

export function refused(fn: () => unknown): NetError {
  try {
    fn();
  } catch (e) {
    if (e instanceof NetError) return e;
    throw e;
  }
  throw new Error('expected a NetError');
}

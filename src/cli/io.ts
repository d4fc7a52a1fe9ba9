// What every command module shares with the dispatcher (main.ts): where output goes, and the usage error.
// A leaf module, so the commands import it instead of main.ts, which imports them.

import { WxdpError } from '../errors.js';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export function usageError(message: string): WxdpError {
  return new WxdpError('USAGE', message);
}

// Property tests (fast-check) run from one fixed seed, so `npm test` and CI are the same run every time
// and a failure is the code's, not the draw's: a run that finds a new counterexample is a session's
// exploration, not a random CI verdict. WXDP_FC_SEED=N runs from seed N; WXDP_FC_SEED=random draws a
// seed per property as fast-check does by default (it prints the seed of a failure either way).
//
// Long random exploration: WXDP_FC_SEED=random with the counts raised (WXDP_JIT_FUZZ_RUNS,
// WXDP_JIT_VERIFIED_RUNS, WXDP_VECTOR_FUZZ_RUNS); every counterexample becomes a named test.

import fc from 'fast-check';

const FIXED_SEED = 20_261_207;

const env = process.env.WXDP_FC_SEED;
if (env !== 'random') {
  const seed = env === undefined || env === '' ? FIXED_SEED : Number(env);
  if (!Number.isInteger(seed)) throw new Error(`WXDP_FC_SEED=${env}: expected an integer or "random"`);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}

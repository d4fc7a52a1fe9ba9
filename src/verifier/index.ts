export { verify, kfuncCallRefusal, COMPLEXITY_LIMIT, type VerifyOptions, type VerifiedProgram, type VerifierStats, type VerifierMap, type SourceLine } from './verifier.js';
export { Reg, RegType, type MapInfo } from './reg.js';
export { Tnum } from './tnum.js';
export { checkProgram, type CheckOptions, type ProgramShape } from './check.js';

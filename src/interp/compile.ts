// The interpreter's quick tier: the decoded program (decode() in index.ts, without superinstructions)
// written out once as one JavaScript function, which V8 then optimises like any other. Registers live
// in local variables, two int32 halves each (a0/b0 … a10/b10: low/high), constants are literals, and
// straight-line code is a run of statements; a jump is `ip = target; continue D` into a switch over the
// slots that start blocks, except a loop's back edge where the body has no other jump target, which is
// a JavaScript loop of its own (`continue L<t>`). Each instruction's statements are the switch
// interpreter's handler for it (exec() in index.ts) with the operands resolved, so the two read side
// by side.
//
// The switch interpreter stays the reference and the fallback: a slot this tier does not write out
// (a fault, an odd ALU encoding, a register past r10), an entry it has no label for, and a run about to
// reach the instruction budget go to exec() with the registers written back, from that slot on, until
// the function exits. Instructions are counted per block (the count added at its start, the budget
// checked there); a block ends at every jump, call, tail call and bpf_loop, so the count is exact
// wherever the run leaves this tier.
//
// Calls (bpf-to-bpf) recurse: each subprogram is a function of its own, called with r1–r5 and r10 as
// arguments (its locals; r0 and r6–r9 start at 0), and runs with the register file of depth + 1, as
// exec()'s frames do; that file is written only where something reads it (a non-fast-path helper, a
// check, the fallback). A run enters the entry's function the same way (E), and bpf_loop calls its
// callback's function once an iteration (B<t>). Fast-path helpers (helper_call.ts) take r1–r5 from the
// locals by halves and set r0's; other helpers read the register file (r1–r5 and r10 written back
// first, r0 read after). A big program is written out as several functions ("chunks", compileSource)
// so each stays within what V8 optimises.

import { NUM_REGS } from '../isa/opcodes.js';
import { R0_LOW_BYTE_CALLS } from '../helpers/kfuncs.js';

/** The functions compiled for one program. */
export interface CompiledExec {
  /** Run from slot `start` with register file R at call depth `depth` until that function exits. */
  exec: (start: number, R: Int32Array, depth: number) => void;
  /**
   * A run from slot 0 at call depth `depth` (0, or a tail call's), r1–r5 and r10 given by halves (r0
   * and r6–r9 zero): what exec() does with them in R, without R written first. r0 is left in R[0], R[1].
   */
  entry: (R: Int32Array, depth: number, ...halves: number[]) => void;
}

/** What the generated code calls: the interpreter instance's methods, and the pure helpers of index.ts. */
export interface CompileLib {
  divide: (R: Int32Array, d: number, s: number, off: number, isMod: number, is64: boolean) => boolean;
  mulHighU32: (a: number, b: number) => number;
  bswap32: (x: number) => number;
  callDepthFault: (pc: number, max: number) => Error;
  maxFrames: number;
  stackSize: number;
  callbackTagHi: number;
  /** BPF_MAX_LOOPS (include/linux/bpf.h): bpf_loop's largest count. */
  maxLoops: number;
}

const REG_WORDS = 2 * NUM_REGS;
/** A program whose code would be longer than this (characters) keeps the switch tier: too big to be worth it. */
const MAX_SOURCE = 2_000_000;
/** About this many characters of code per generated function (V8 optimises up to 60 KB of bytecode). */
const CHUNK = 16_000;

const lo = (r: number) => `a${r}`;
const hi = (r: number) => `b${r}`;
const lit = (v: number) => (v < 0 ? `(${v})` : `${v}`);
/** Registers written back to the register file (all; a helper's r1–r5 and r10), r0 read after a call. */
const spillAll = Array.from({ length: NUM_REGS }, (_, r) => `R[${2 * r}]=${lo(r)};R[${2 * r + 1}]=${hi(r)};`).join('');
const spillArgs = [1, 2, 3, 4, 5, 10].map((r) => `R[${2 * r}]=${lo(r)};R[${2 * r + 1}]=${hi(r)};`).join('');
const reload0 = `a0=R[0];b0=R[1];`;
/** Every register local, low and high halves, and all of them read from the register file. */
const regNames = Array.from({ length: NUM_REGS }, (_, r) => [lo(r), hi(r)]).flat();
const loadAll = regNames.map((v, j) => `${v}=R[${j}];`).join('');
const FP = NUM_REGS - 1;
/** A subprogram's function's parameters after (ip, R, depth): the halves of r1–r5 and r10 at the call. */
const CALL_REGS = [1, 2, 3, 4, 5, FP];
const entryParams = CALL_REGS.flatMap((r) => [`d${r}`, `e${r}`]);
/** What the callee's locals start as: its arguments, or 0 (r0, r6–r9). */
const callee = regNames.map((_, j) => (CALL_REGS.includes(j >> 1) ? `${j & 1 ? 'e' : 'd'}${j >> 1}` : '0'));
/** A call's arguments, r10 already lowered by the caller's frame (STACK_SIZE; on the pair, with the borrow). */
const callArgs = [1, 2, 3, 4, 5].map((r) => `${lo(r)},${hi(r)}`).join(',') + `,(${lo(FP)}-L.stackSize)|0,(${lo(FP)}>>>0)<L.stackSize?(${hi(FP)}-1)|0:${hi(FP)}`;
/** After anything that may grow the memory: the view and the unchecked bound again. */
const refresh = `if(I.u8.length===0)I.freshView();dv=I.dv;memEnd=checked?0:I.dvEnd;`;

/**
 * The program's JavaScript, or undefined when it is too big to be worth it. `code` is decode()'s
 * output without fusion, `regs` the register file template (constant pool after r0–r10).
 */
export function compileSource(code: Int32Array, regs: Int32Array): string | undefined {
  const slots = code.length / 4;
  const kind = (i: number) => code[4 * i]! & 0xff;
  // block leaders: the entry, jump and call targets, callbacks (ld_imm64 of a function)
  const leader = new Uint8Array(slots + 1);
  const callbackSet = new Set<number>();
  leader[0] = 1;
  for (let i = 0; i < slots; i++) {
    const k = kind(i);
    const w1 = code[4 * i + 1]! >> 2;
    if (k === 35 || k === 37 || (k >= 42 && k <= 63)) leader[w1] = 1;
    if (k === 65) {
      const s = code[4 * i + 2]!;
      if (s >= REG_WORDS && regs[s + 1] === (0xcb00_0000 | 0)) {
        const t = regs[s]!;
        if (t >= 0 && t < slots) {
          leader[t] = 1;
          callbackSet.add(t);
        }
      }
    }
  }
  // block starts (counted): leaders, and the slot after a jump, call, tail call or bpf_loop
  const start = leader.slice();
  for (let i = 0; i < slots; i++) {
    const k = kind(i);
    if (k === 35 || k === 36 || k === 37 || k === 40 || k === 41 || (k >= 42 && k <= 63)) start[i + 1] = 1;
    // an ld_imm64 whose tail slot is a jump target (a fault) jumps over it
    if (k === 65 && leader[i + 1]) leader[i + 2] = start[i + 2] = 1;
  }
  // Written out once to measure each slot's code, then again with chunk boundaries: V8 leaves a
  // function of more than 60 KB of bytecode to its baseline tier, so a big program is cut into
  // functions of CHUNK characters or so, each with the registers in its own locals (written back to
  // R when control passes to another chunk).
  // Each subprogram (a call target) also starts a function of its own: a call enters its callee's
  // function at the top, and a small callee is one V8 can inline at the call site.
  // A bpf_loop callback (a BPF_PSEUDO_FUNC the program loads) is entered the same way, once an iteration.
  // The entry (slot 0) too: a run enters it with r1–r5 and r10 (runRepeated, E below).
  const subprog = new Uint8Array(slots + 1);
  subprog[0] = 1;
  for (let i = 0; i < slots; i++) if (kind(i) === 37) subprog[code[4 * i + 1]! >> 2] = 1;
  const callbacks = [...callbackSet].sort((x, y) => x - y);
  for (const t of callbacks) subprog[t] = 1;
  let pieces = emit(code, regs, leader, start, callbacks);
  const chunkStarts = [0];
  let acc = 0;
  for (let i = 0; i < slots; i++) {
    acc += pieces[i]!.length;
    if (i + 1 < slots && subprog[i + 1]) {
      chunkStarts.push(i + 1);
      acc = 0;
    } else if (acc > CHUNK && i + 1 < slots && kind(i) !== 65 && !(i > 0 && kind(i - 1) === 65 && !leader[i])) {
      chunkStarts.push(i + 1);
      leader[i + 1] = start[i + 1] = 1;
      acc = 0;
    }
  }
  if (chunkStarts.length > 1) pieces = emit(code, regs, leader, start, callbacks);
  const chunkOf = new Int32Array(slots + 1);
  for (let c = 0, i = 0; i <= slots; i++) {
    if (c + 1 < chunkStarts.length && i === chunkStarts[c + 1]) c++;
    chunkOf[i] = c;
  }
  const fns: string[] = [];
  for (let c = 0; c < chunkStarts.length; c++) {
    const from = chunkStarts[c]!;
    const to = c + 1 < chunkStarts.length ? chunkStarts[c + 1]! : slots;
    const body: string[] = [];
    if (subprog[from]) {
      // entered by a call: r1–r5 and r10 as arguments, r0 and r6–r9 zero (as exec()'s K_CALL fills the
      // callee's file); entered by the dispatcher or a callback (no arguments): the registers from R
      body.push(`function C${c}(ip,R,depth,${entryParams.join(',')}){`);
      body.push(`let ${regNames.join(',')};`);
      body.push(`if(e${FP}!==undefined){${regNames.map((v, j) => `${v}=${callee[j]};`).join('')}}else{${loadAll}}`);
    } else {
      body.push(`function C${c}(ip,R,depth){`);
      body.push(`let ${regNames.join(',')};${loadAll}`);
    }
    body.push(`let n=I.executed,dv=I.freshView(),memEnd=checked?0:I.dvEnd;`);
    body.push(`D:for(;;){S:switch(ip){`);
    // Loops: slot j jumping back to slot t of this chunk, where no slot in (t, j] is a jump target (no
    // case label inside), are written as JavaScript loops: `case t: L<t>: for(;;) { … continue L<t>; …
    // break; }`, the back edge a loop's own, not a trip through the switch. Jumps from elsewhere to t
    // enter through the switch as before. (Regions with different heads cannot overlap: the inner
    // head would be a jump target inside the outer region.)
    const loopEnd = new Map<number, number>();
    for (let j = from; j < to; j++) {
      const k = kind(j);
      if (k !== 35 && !(k >= 42 && k <= 63)) continue;
      const t = code[4 * j + 1]! >> 2;
      if (t < from || t > j) continue;
      let inner = false;
      for (let x = t + 1; x <= j && !inner; x++) inner = leader[x] === 1;
      if (!inner) loopEnd.set(t, Math.max(j, loopEnd.get(t) ?? j));
    }
    let inLoop = -1;
    for (let i = from; i < to; i++) {
      let piece = pieces[i]!;
      if (loopEnd.has(i)) {
        inLoop = i;
        piece = piece.replace(`case ${i}:`, `case ${i}:L${i}:for(;;){`);
      }
      if (inLoop >= 0 && i === loopEnd.get(inLoop)) piece += 'break;}';
      // jumps: within the chunk through its switch, else out to the dispatcher
      body.push(
        piece
          .replace(/\u0001(\d+)\u0002/g, (_m, t: string) => (+t === inLoop && i <= loopEnd.get(inLoop)! ? `continue L${t};` : chunkOf[+t] === c ? `ip=${t};continue D;` : `ip=${t};break S;`))
          // a call: straight into the callee's chunk, the dispatcher only if it leaves that chunk
          .replace(/\u0003(\d+)\u0004/g, (_m, t: string) => `{const r=C${chunkOf[+t]}(${t},C,depth+1,${callArgs});if(r>=0)F(r,C,depth+1);}`),
      );
    }
    if (to < slots) body.push(`ip=${to};break S;`);
    body.push(`default:ip=-ip-1;break S;}`);
    // out of the switch: on to another chunk's slot ip, or (ip < 0) to exec() at slot -ip-1
    body.push(`${spillAll}I.executed=n;if(ip<0){I.execSwitch(-ip-1,R,depth);return -1;}return ip;}}`);
    fns.push(body.join('\n'));
  }
  // bpf_loop's iterations with callback t, as the kernel's bpf_loop() (kernel/bpf/bpf_iter.c) runs
  // them: callback(i, ctx, 0, 0, 0) for i = 0 … nr − 1, a non-zero r0 ends the loop with i + 1, else
  // the result is nr. Each call enters the callback's function with its arguments (r10 the frame below
  // the caller's: fl, fh); the file C at the callback's depth is only written where something reads it.
  for (const t of callbacks) {
    fns.push(
      `function B${t}(depth,nr,cl,ch,fl,fh){const C=I.callFile(depth);let i=0;while(i<nr){` +
        `const r=C${chunkOf[t]}(${t},C,depth,i,0,cl,ch,0,0,0,0,0,0,fl,fh);if(r>=0)F(r,C,depth);i++;if((C[0]|C[1])!==0)break;}return i;}`,
    );
  }
  const pick = chunkStarts.slice(1).map((b, c) => `ip<${b}?C${c}(ip,R,depth):`).join('') + `C${chunkStarts.length - 1}(ip,R,depth)`;
  fns.push(`const F=function(start,R,depth){let ip=start;do ip=${pick};while(ip>=0);};`);
  // a run (depth 0) or a tail call into this program (the caller's depth): the entry's function with
  // r1–r5 and r10 (r0, r6–r9 zero), r0 left in R
  fns.push(`const E=function(R,depth,${entryParams.join(',')}){const r=C0(0,R,depth,${entryParams.join(',')});if(r>=0)F(r,R,depth);};`);
  const source = fns.join('\n');
  if (source.length > MAX_SOURCE) return undefined;
  return source;
}

/** Each slot's code (its case label, its block's count and budget check, its statements). */
function emit(code: Int32Array, regs: Int32Array, leader: Uint8Array, start: Uint8Array, callbacks: readonly number[]): string[] {
  const slots = code.length / 4;
  const kind = (i: number) => code[4 * i]! & 0xff;
  const out: string[] = [];
  // the current block: its instruction count and how many of them came before the slot being written
  let blockLen = 0;
  let inBlock = 0;
  const blockLength = (from: number): number => {
    let len = 0;
    for (let i = from; i < slots; i++) {
      if (i > from && start[i]) break;
      const k = kind(i);
      if (k === 0) break; // a fault slot starts its own (empty) block
      len++;
      if (k === 65) i++;
    }
    return len;
  };

  for (let i = 0; i < slots; i++) {
    const w = code[4 * i]!;
    const k = w & 0xff;
    const d = ((w >> 8) & 0xff) >> 1; // the dst register number
    const off = code[4 * i + 1]!;
    const s = code[4 * i + 2]!;
    const imm = code[4 * i + 3]!;
    let piece = leader[i] ? `case ${i}:` : '';
    if (k === 0) {
      // no instruction here: exec() raises the fault (nothing counted)
      out.push(`${piece}ip=${-i - 1};break S;`);
      blockLen = 0;
      inBlock = 0;
      continue;
    }
    if (start[i] || inBlock >= blockLen) {
      blockLen = blockLength(i);
      inBlock = 0;
      piece += `if((n+=${blockLen})>max){n-=${blockLen};ip=${-i - 1};break S;}`;
    }
    inBlock++;
    /** The count exec() would have after this instruction, and before it. */
    const after = `n-${blockLen - inBlock}`;
    /** Go to exec() at this slot (it counts this instruction itself). */
    const bail = `n-=${blockLen - inBlock + 1};ip=${-i - 1};break S;`;
    // the second operand: a register's halves, or a constant's as literals
    const isReg = s < REG_WORDS;
    const sl = isReg ? lo(s >> 1) : lit(regs[s]!);
    const sh = isReg ? hi(s >> 1) : lit(regs[s + 1]!);
    const dl = lo(d);
    const dh = hi(d);
    const K = isReg ? -1 : regs[s]! & 63;
    const K32 = isReg ? -1 : regs[s]! & 31;
    let c: string;
    let skip = false;
    switch (k) {
      // the carry out of the low halves: the sum (mod 2^32) is below an addend (int32 operations only)
      case 1: c = `{const x=${dl};${dl}=(x+${sl})|0;${dh}=(${dh}+${sh}+((${dl}>>>0)<(x>>>0)?1:0))|0;}`; break;
      case 2: c = `{const x=${dl},y=${sl};${dl}=(x-y)|0;${dh}=(${dh}-${sh}-((x>>>0)<(y>>>0)?1:0))|0;}`; break;
      case 3: c = `{const x=${dl},y=${sl};${dh}=(L.mulHighU32(x>>>0,y>>>0)+Math.imul(x,${sh})+Math.imul(${dh},y))|0;${dl}=Math.imul(x,y);}`; break;
      case 4: c = `${dl}|=${sl};${dh}|=${sh};`; break;
      case 5: c = `${dl}&=${sl};${dh}&=${sh};`; break;
      case 6: c = `${dl}^=${sl};${dh}^=${sh};`; break;
      case 7: // LSH64
        if (K === 0) c = '';
        else if (K > 0) c = K < 32 ? `${dh}=(${dh}<<${K})|(${dl}>>>${32 - K});${dl}<<=${K};` : `${dh}=${dl}<<${K - 32};${dl}=0;`;
        else c = `{const k=${sl}&63;if(k!==0){const x=${dl};if(k<32){${dh}=(${dh}<<k)|(x>>>(32-k));${dl}=x<<k;}else{${dh}=x<<(k-32);${dl}=0;}}}`;
        break;
      case 8: // RSH64
        if (K === 0) c = '';
        else if (K > 0) c = K < 32 ? `${dl}=(${dl}>>>${K})|(${dh}<<${32 - K});${dh}=(${dh}>>>${K})|0;` : `${dl}=(${dh}>>>${K - 32})|0;${dh}=0;`;
        else c = `{const k=${sl}&63;if(k!==0){const x=${dh};if(k<32){${dl}=(${dl}>>>k)|(x<<(32-k));${dh}=(x>>>k)|0;}else{${dl}=(x>>>(k-32))|0;${dh}=0;}}}`;
        break;
      case 9: // ARSH64
        if (K === 0) c = '';
        else if (K > 0) c = K < 32 ? `${dl}=(${dl}>>>${K})|(${dh}<<${32 - K});${dh}>>=${K};` : `${dl}=${dh}>>${K - 32};${dh}>>=31;`;
        else c = `{const k=${sl}&63;if(k!==0){const x=${dh};if(k<32){${dl}=(${dl}>>>k)|(x<<(32-k));${dh}=x>>k;}else{${dl}=x>>(k-32);${dh}=x>>31;}}}`;
        break;
      case 10: c = isReg && s >> 1 === d ? '' : `${dl}=${sl};${dh}=${sh};`; break;
      case 11: c = `{const x=${dl};${dl}=(-x)|0;${dh}=(~${dh}+(x===0?1:0))|0;}`; break;
      case 12: { // MOVSX64
        const sh2 = 32 - off;
        c = `{const v=(${sl}<<${sh2})>>${sh2};${dl}=v;${dh}=v>>31;}`;
        break;
      }
      case 13: case 30: // DIV / MOD, on the register file
        c = `R[${2 * d}]=${dl};R[${2 * d + 1}]=${dh};` + (isReg ? `R[${s}]=${sl};R[${s + 1}]=${sh};` : '') +
          (k === 13 ? `if(!L.divide(R,${2 * d},${s},${off},${w >> 16},true)){${spillAll}I.executed=${after};I.slowAlu(${i},R,true);}` : `L.divide(R,${2 * d},${s},${off},${w >> 16},false);`) +
          `${dl}=R[${2 * d}];${dh}=R[${2 * d + 1}];`;
        break;
      case 14: c = `${dl}=((${dl}&255)<<8)|((${dl}>>>8)&255);${dh}=0;`; break;
      case 15: c = `${dl}=L.bswap32(${dl});${dh}=0;`; break;
      case 16: c = `{const x=${dl};${dl}=L.bswap32(${dh});${dh}=L.bswap32(x);}`; break;
      case 18: c = `${dl}=(${dl}+${sl})|0;${dh}=0;`; break;
      case 19: c = `${dl}=(${dl}-${sl})|0;${dh}=0;`; break;
      case 20: c = `${dl}=Math.imul(${dl},${sl});${dh}=0;`; break;
      case 21: c = `${dl}|=${sl};${dh}=0;`; break;
      case 22: c = `${dl}&=${sl};${dh}=0;`; break;
      case 23: c = `${dl}^=${sl};${dh}=0;`; break;
      case 24: c = K32 >= 0 ? `${dl}<<=${K32};${dh}=0;` : `${dl}<<=(${sl}&31);${dh}=0;`; break;
      case 25: c = K32 >= 0 ? `${dl}=(${dl}>>>${K32})|0;${dh}=0;` : `${dl}=(${dl}>>>(${sl}&31))|0;${dh}=0;`; break;
      case 26: c = K32 >= 0 ? `${dl}>>=${K32};${dh}=0;` : `${dl}>>=(${sl}&31);${dh}=0;`; break;
      case 27: c = `${dl}=${sl};${dh}=0;`; break;
      case 28: c = `${dl}=(-${dl})|0;${dh}=0;`; break;
      case 29: { // MOVSX32
        const sh2 = 32 - off;
        c = sh2 === 0 ? `${dl}=${sl};${dh}=0;` : `${dl}=(${sl}<<${sh2})>>${sh2};${dh}=0;`;
        break;
      }
      case 31: c = `${dl}&=65535;${dh}=0;`; break;
      case 32: c = `${dh}=0;`; break;
      case 33: c = ''; break;
      case 35: c = jump(off >> 2); break;
      case 36: c = `R[0]=a0;R[1]=b0;I.executed=n;return -1;`; break;
      case 37: { // CALL: the callee's file at depth + 1, r1–r5 and r10 - STACK_SIZE in it
        c = `{if(depth+1>=L.maxFrames){I.executed=${after};throw L.callDepthFault(${i},L.maxFrames);}` +
          `const C=I.callFile(depth+1);I.executed=n;${call(off >> 2)}n=I.executed;a0=C[0];b0=C[1];${refresh}}`;
        break;
      }
      case 38: { // HELPER: a fast-path helper by halves from the locals, any other through R
        const viaFile = `${spillArgs}I.callHelper(${imm},R,${i});${reload0}`;
        const byHalves =
          `{const w=I.halves(${imm});if(w!==null){const x=w.t(${[1, 2, 3, 4, 5].map((r) => `${lo(r)},${hi(r)}`).join(',')});` +
          `if(x===x){a0=x|0;b0=Math.floor(x/4294967296)|0;}else{a0=w.lo.value;b0=w.hi.value;}}else{${viaFile}}}`;
        const call = imm === 1 ? `{const x=I.arrayLookup(a1,b1,a2,b2);if(x>=0){a0=x|0;b0=0;}else${byHalves}}` : byHalves;
        c = `I.executed=${after};if(checked){${spillArgs}I.checkArgs(${imm},R,${i});}` +
          // r0's low byte only, the rest as the call found it (R0_LOW_BYTE_CALLS: bpf_dynptr_is_null)
          (R0_LOW_BYTE_CALLS.has(imm) ? `{const p0=a0,p1=b0;${call}a0=(p0&-256)|(a0&255);b0=p1;}` : call) +
          refresh;
        break;
      }
      case 39: // HELPER by register
        c = `${spillArgs}I.executed=${after};I.callHelper(${dl}>>>0,R,${i});${reload0}${refresh}`;
        break;
      case 40: // TAIL_CALL: done, the target's r0 is this function's; else on with the next instruction
        c = `${spillArgs}if(I.tailCallFrom(R,depth,${i},n))return -1;n=I.executed;${refresh}`;
        break;
      case 41: { // bpf_loop, bpf_for_each_map_elem
        // bpf_loop with a callback of this program, flags 0 and a count within BPF_MAX_LOOPS: its
        // function called per iteration (B<t>); anything else (-EINVAL, -E2BIG, a forged callback, the
        // fast path's own helper, bpf_for_each_map_elem) as exec() does it, through the register file.
        const slow = `${spillArgs}I.executed=n;I.callbackHelper(${imm},R,depth,${i},false);n=I.executed;${reload0}`;
        const pick = callbacks.map((t) => `a2===${t}?B${t}(depth+1,a1,a3,b3,fl,fh):`).join('');
        c = `if(checked){${spillArgs}I.executed=n;I.checkCallback(${imm},R,${i});}` +
          (callbacks.length === 0 || imm !== 181
            ? slow
            : `if(b2===L.callbackTagHi&&(a4|b4|b1)===0&&(a1>>>0)<=L.maxLoops&&(${callbacks.map((t) => `a2===${t}`).join('||')})){` +
              `if(a1!==0){if(depth+1>=L.maxFrames){I.executed=n;throw L.callDepthFault(${i},L.maxFrames);}` +
              `const fl=(a${FP}-L.stackSize)|0,fh=(a${FP}>>>0)<L.stackSize?(b${FP}-1)|0:b${FP};I.executed=n;a0=${pick}0;n=I.executed;}else a0=0;b0=0;}` +
              `else{${slow}}`) +
          refresh;
        break;
      }
      case 65:
        c = `${dl}=${sl};${dh}=${sh};`;
        if (leader[i + 1]) c += jump(i + 2);
        else skip = true; // its tail is not a slot of its own
        break;
      case 66: case 67: case 68: case 69: case 70: case 71: case 72: case 73: {
        const sz = [1, 2, 4, 8, 1, 2, 4, 8][k - 66]!;
        const get = [`dv.getUint8(a)`, `dv.getUint16(a,true)`, `dv.getInt32(a,true)`, `dv.getInt32(a,true)`, `dv.getInt8(a)`, `dv.getInt16(a,true)`, `dv.getInt32(a,true)`, `dv.getInt32(a,true)`][k - 66]!;
        const set = k === 69 ? `${dl}=${get};${dh}=dv.getInt32(a+4,true);` : k >= 70 ? `${dl}=${get};${dh}=${dl}>>31;` : `${dl}=${get};${dh}=0;`;
        // (addr() answers -1 for a probe load's fault: the destination is 0)
        c = `P${i}:{let a=(${sl}>>>0)+${off};if(${sh}!==0||a<0||a+${sz}>memEnd){I.executed=${after};a=I.addr(${sl},${sh},${off},${sz},false,${i});dv=I.dv;if(a<0){${dl}=0;${dh}=0;break P${i};}}${set}}`;
        break;
      }
      case 74: case 75: case 76: case 77: {
        const sz = [1, 2, 4, 8][k - 74]!;
        const put = k === 74 ? `dv.setUint8(a,${sl}&255);` : k === 75 ? `dv.setUint16(a,${sl}&65535,true);` : k === 76 ? `dv.setInt32(a,${sl},true);` : `dv.setInt32(a,${sl},true);dv.setInt32(a+4,${sh},true);`;
        c = `{let a=(${dl}>>>0)+${off};if(${dh}!==0||a<0||a+${sz}>memEnd){I.executed=${after};a=I.addr(${dl},${dh},${off},${sz},true,${i});dv=I.dv;}${put}}`;
        break;
      }
      case 78: { // ATOMIC: exec()'s atomic() on the locals (r0 for CMPXCHG, src for FETCH/XCHG)
        const sz = w >> 16;
        const wide = sz === 8;
        const put = (l: string, h: string) => `dv.setInt32(a,${l},true);` + (wide ? `dv.setInt32(a+4,${h},true);` : '');
        const op = imm & ~0x01; // BPF_FETCH
        let body: string | undefined;
        if (imm === 0xf1) body = `if(ol===a0${wide ? '&&oh===b0' : ''}){${put(sl, sh)}}a0=ol;b0=oh;`; // CMPXCHG
        else if (imm === 0xe1) body = `${put(sl, sh)}${sl}=ol;${sh}=oh;`; // XCHG
        else if (op === 0x00 || op === 0x40 || op === 0x50 || op === 0xa0) {
          const nl = op === 0x00 ? `(ol+${sl})|0` : `ol${op === 0x40 ? '|' : op === 0x50 ? '&' : '^'}${sl}`;
          const nh = !wide ? '0' : op === 0x00 ? `(oh+${sh}+((nl>>>0)<(ol>>>0)?1:0))|0` : `oh${op === 0x40 ? '|' : op === 0x50 ? '&' : '^'}${sh}`;
          body = `const nl=${nl},nh=${nh};${put('nl', 'nh')}` + (imm & 0x01 ? `${sl}=ol;${sh}=oh;` : '');
        }
        const at = `{let a=(${dl}>>>0)+${off};if(${dh}!==0||a<0||a+${sz}>memEnd){I.executed=${after};a=I.addr(${dl},${dh},${off},${sz},true,${i});dv=I.dv;}`;
        c = body !== undefined
          ? `${at}const ol=dv.getInt32(a,true),oh=${wide ? 'dv.getInt32(a+4,true)' : '0'};${body}}`
          : `${at}R[0]=a0;R[1]=b0;R[${s}]=${sl};R[${s + 1}]=${sh};I.atomic(R,${s},${imm},a,${sz});a0=R[0];b0=R[1];${sl}=R[${s}];${sh}=R[${s + 1}];}`;
        break;
      }
      default:
        if (k >= 42 && k <= 63) {
          const t = off >> 2;
          const j = k >= 53 ? k - 53 : k - 42;
          let cond: string;
          if (k >= 53) {
            cond = [`${dl}===${sl}`, `${dl}!==${sl}`, `(${dl}>>>0)>(${sl}>>>0)`, `(${dl}>>>0)>=(${sl}>>>0)`, `(${dl}>>>0)<(${sl}>>>0)`, `(${dl}>>>0)<=(${sl}>>>0)`,
              `(${dl}&${sl})!==0`, `${dl}>${sl}`, `${dl}>=${sl}`, `${dl}<${sl}`, `${dl}<=${sl}`][j]!;
          } else {
            const ops = ['', '', '>', '>=', '<', '<=', '', '>', '>=', '<', '<='];
            if (j === 0) cond = `${dl}===${sl}&&${dh}===${sh}`;
            else if (j === 1) cond = `${dl}!==${sl}||${dh}!==${sh}`;
            else if (j === 6) cond = `((${dl}&${sl})|(${dh}&${sh}))!==0`;
            else if (j < 6) cond = `(${dh}!==${sh}?(${dh}>>>0)${ops[j]}(${sh}>>>0):(${dl}>>>0)${ops[j]}(${sl}>>>0))`;
            else cond = `(${dh}!==${sh}?${dh}${ops[j]}${sh}:(${dl}>>>0)${ops[j]}(${sl}>>>0))`;
          }
          c = `if(${cond}){${jump(t)}}`;
        } else {
          // ALU_SLOW, a bad register, anything else: exec() runs it (and the rest of this function)
          c = bail;
        }
    }
    out.push(piece + c);
    if (skip) {
      i++;
      out.push('');
    }
  }
  return out;
}

/** A jump to slot t: resolved when the chunks are known (within one, or out to the dispatcher). */
const jump = (t: number) => `\u0001${t}\u0002`;
/** A call of the subprogram at slot t, in the callee's file C at depth + 1: resolved with the chunks. */
const call = (t: number) => `\u0003${t}\u0004`;

/** The generated function for `source`, bound to the interpreter `I` and its settings. */
export function makeExec(source: string, I: unknown, lib: CompileLib, checked: boolean, max: number): CompiledExec {
  const factory = new Function('I', 'L', 'checked', 'max', `"use strict";\n${source}\nreturn {exec:F,entry:E};`) as (
    I: unknown,
    L: CompileLib,
    checked: boolean,
    max: number,
  ) => CompiledExec;
  return factory(I, lib, checked, max);
}

// Types for program-suite.mjs (the recorder runs it as plain JavaScript; the tests import it from TS).

export interface CorpusPacket {
  name: string;
  file: string;
  length: number;
  description: string;
  data: Uint8Array;
}

export interface SetupEntry {
  map: string;
  key: string | string[];
  value: string | string[];
  flag: 'any' | 'noexist' | 'exist';
  note?: string;
  keyBytes: Uint8Array;
  valueBytes: Uint8Array;
}

export interface SuiteConfig {
  name: string;
  object: string;
  objectPath: string;
  source: string;
  programs?: string[];
  ctx?: { ingressIfindex?: number; rxQueueIndex?: number };
  setup: SetupEntry[];
  record: string[];
  sequence: boolean;
  /** false: wxdp loads the object unverified (checked), its verifier refusing what the kernel accepts. */
  wxdpVerify: boolean;
  notes: string[];
}

export interface MapEntryRecord {
  key: string;
  value?: string;
  values?: string[];
}

export type MapsRecord = Record<string, MapEntryRecord[]>;

export interface RunRecord {
  packet: string;
  retval: number;
  action: string;
  dataOut: string;
  dataChanged: boolean;
}

export interface PacketRecord extends RunRecord {
  maps: MapsRecord;
}

export interface SequenceRecord {
  packets: RunRecord[];
  maps: MapsRecord;
}

export interface MapDescription {
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  zeroEntriesOmitted: boolean;
}

/** programs/expected/<program>.json */
export interface ExpectedFile {
  program: string;
  object: string;
  source: string;
  section: string;
  config: string;
  objectSha256: string;
  corpusSha256: string;
  recordedWith: { kernel: string; bpftool: string; possibleCpus: number | null; cpu: number | null };
  ctx: { ingressIfindex?: number; rxQueueIndex?: number } | null;
  setup: { map: string; key: string; value: string; flag: string; note?: string }[];
  maps: Record<string, MapDescription>;
  notes: string[];
  packets: PacketRecord[];
  sequence?: SequenceRecord;
}

/** The parts of src/oracle the suite uses. */
export interface SuiteOracle {
  loadKernelObject(obj: string, opts: { pinMaps: boolean }): {
    readonly programNames: readonly string[];
    program(name: string): { run(opts: { data: Uint8Array; ctx?: Uint8Array }): { retval: number; data: Uint8Array } };
    map(name: string): {
      info(): { type: string; keySize: number; valueSize: number; maxEntries: number; flags: number };
      dump(): { key: Uint8Array; value?: Uint8Array; values?: Uint8Array[] }[];
      update(key: Uint8Array, value: Uint8Array, flag?: 'any' | 'noexist' | 'exist'): void;
    };
    close(): void;
  };
  xdpContext(opts: { dataLength: number; ingressIfindex?: number; rxQueueIndex?: number }): Uint8Array;
}

export const XDP_ACTIONS: readonly string[];
export const ARRAY_TYPES: ReadonlySet<string>;
export function toHex(b: Uint8Array): string;
export function fromHex(h: string): Uint8Array;
export function loadCorpus(root: string): CorpusPacket[];
export function corpusDigest(corpus: readonly CorpusPacket[]): string;
export function fileDigest(path: string): string;
export function loadConfigs(root: string): SuiteConfig[];
export function encodeFields(spec: string | string[]): Uint8Array;
export function loadForRecording(oracle: SuiteOracle, config: SuiteConfig): ReturnType<SuiteOracle['loadKernelObject']>;
export function dumpRecordedMaps(obj: ReturnType<SuiteOracle['loadKernelObject']>, config: SuiteConfig): MapsRecord;
export function describeRecordedMaps(obj: ReturnType<SuiteOracle['loadKernelObject']>, config: SuiteConfig): Record<string, MapDescription>;
export function recordPacket(oracle: SuiteOracle, config: SuiteConfig, program: string, packet: CorpusPacket): PacketRecord;
export function recordSequence(oracle: SuiteOracle, config: SuiteConfig, program: string, corpus: readonly CorpusPacket[]): SequenceRecord;
export function programsOf(oracle: SuiteOracle, config: SuiteConfig): string[];
export function foldPerCpu(maps: MapsRecord): MapsRecord;

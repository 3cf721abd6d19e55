// Bytes <-> programs. decode() turns any byte string into a valid program: each call is a task
// byte, a call number (u16) and one argument per letter of its signature (calls.ts); each
// argument starts with a kind byte that picks one of the letter's variants (a value from its
// pool, flag bits, a reference to an earlier descriptor, a struct template, raw bytes ...).
// Every variant yields one of the six argument forms of program.ts, and each form also has a
// canonical variant that encode() writes, so decode(encode(p)) is p: seeds written as text
// become bytes the mutator can work on. Input that runs out reads as zeros.
import { LiveTasks, MAX_BUF, MAX_CALLS, MAX_DEPTH, MAX_FIELDS, MAX_STR, type Arg, type CallNode, type Field, type Program } from './program.js';
import { CALLS, FD_PAIR, FD_RESULT, TID_RESULT, signature } from './calls.js';

class Reader {
  i = 0;
  constructor(readonly b: Uint8Array) {}
  get eof(): boolean {
    return this.i >= this.b.length;
  }
  u8(): number {
    return this.i < this.b.length ? this.b[this.i++] : (this.i++, 0);
  }
  u16(): number {
    return this.u8() | (this.u8() << 8);
  }
  bytes(n: number): string {
    const take = Math.max(0, Math.min(n, this.b.length - this.i));
    let s = '';
    for (let j = 0; j < take; j++) s += String.fromCharCode(this.b[this.i + j]);
    this.i += n;
    return s;
  }
  i64(): number {
    let v = 0n;
    for (let j = 0; j < 8; j++) v |= BigInt(this.u8()) << BigInt(8 * j);
    return Number(BigInt.asIntN(64, v));
  }
}

class Writer {
  readonly out: number[] = [];
  u8(v: number): void {
    this.out.push(v & 0xff);
  }
  u16(v: number): void {
    this.u8(v);
    this.u8(v >> 8);
  }
  bytes(s: string): void {
    for (let j = 0; j < s.length; j++) this.out.push(s.charCodeAt(j) & 0xff);
  }
  i64(v: number): void {
    const u = BigInt.asUintN(64, BigInt(v));
    for (let j = 0; j < 8; j++) this.u8(Number((u >> BigInt(8 * j)) & 0xffn));
  }
}

/** What a variant sees while decoding one call. */
interface State {
  r: Reader;
  /** Index of the call being decoded, and the calls before it. */
  index: number;
  prior: CallNode[];
  /** Size of the last buffer or struct laid out in this call (what a length argument says). */
  lastSize: number;
  depth: number;
}

type Variant = (s: State, letter: string) => Arg;

const int = (v: number): Arg => ({ k: 'int', v });

// ---- pools ----------------------------------------------------------------------------------

const FDS = [-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100, 1023, 1024, 65535, 0x7fffffff, -100];
const BAD_PTRS = [0, 1, 0xfff, -1, 0x7fffffffffff, -0x800000000000, 0x10000 - 1, 2 ** 47];
const POOLS: Record<string, number[]> = {
  d: FDS,
  D: [-100, ...FDS],
  n: [0, 1, 2, 4, 8, 16, 24, 28, 32, 64, 110, 128, 512, 4096, 4097, 65536, 0x7fffffff, 0x80000000, 0xffffffff, -1, 2 ** 32, 2 ** 40],
  i: [0, 1, 2, 3, 4, 5, 7, 8, 16, 32, 64, 100, 255, 256, 1024, 4096, -1, -2, 0x7fffffff, -0x80000000, 0xffffffff, 2 ** 32, -(2 ** 63)],
  o: [0, 1, 2, 0x42, 0x241, 0x441, 0x80000, 0x200000, 0x410002, 0x10000, 0xc2, 0x800, 0x20000],
  x: [0, 1, 2, 4, 0x80000, 0x800, 0x100, 0x200, 0x400, 0x1000, 0x4000, 0x40, 0x80000000],
  m: [0, 0o600, 0o644, 0o666, 0o755, 0o777, 0o4755, 0o1777, 0o7777, 0o10644, 0o20644, 0o60644, 0o140644, 0o100644, 0xffffffff],
  s: [0, 1, 2, 9, 10, 11, 12, 13, 14, 15, 17, 19, 20, 32, 34, 64, 65, -1],
  P: [0, 100, -1, 1, 101, 200, 99999, -100, 0x7fffffff],
  c: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 36, 37, 38, 1024, 1025, 1026, 1030, 1031, 1032, 1033, 1034, 1035, 1036],
  q: [0x541b, 0x5421, 0x5451, 0x5450, 0x5452, 0x5401, 0x5402, 0x5413, 0x5414, 0x540f, 0x5410, 0x5411, 0x540e, 0x80045430, 0x40045431, 0x80045432, 0x8912, 0x8933, 0x8913, 0x8914, 0x8915, 0x8927, 0x8905, 0x40086602, 0x80086601, 0, 0xffffffff],
  W: [0, 1, 2, 3, 4, 5, -1],
  w: [1, 2, 10, 16, 0, 17, 3, 38, 44, 40],
  y: [1, 2, 5, 3, 0x80001, 0x801, 0x80802, 4, 10, 0],
  z: [0, 6, 17, 1, 58, 255, 15, 9, -1],
  L: [1, 6, 0, 41, 17, 270, 263, 255],
  O: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 15, 16, 17, 18, 20, 21, 23, 26, 41, 49, 0, 255],
  E: [1, 2, 3, 0, 4],
  F: [0, 1, 9, 10, 128, 129, 6, 7, 8, 11, 12, 5, 13, 3, 4, 2],
  C: [0, 1, 7, 4, 5, 6, 2, 3, 8, 9, 11, -1, 16],
  a: BAD_PTRS,
};
const poolOf = (letter: string): number[] => POOLS[letter] ?? POOLS.i;

/** Flag bits a letter ORs together. */
const BITS: Record<string, number[]> = {
  o: [1, 2, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000, 0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000, 0x101000, 0x200000, 0x410000],
  x: [1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000, 0x4000, 0x8000, 0x10000, 0x80000, 0x40000000, 0x80000000],
  e: [1, 2, 4, 8, 0x10, 0x2000, 0x40000000, 0x80000000, 0x20000000, 0x10000000],
  l: [1, 2, 4, 8, 0x10, 0x20, 0x40, 0x80, 0x100, 0x200, 0x2000],
  S: [1, 1 << 1, 1 << 8, 1 << 9, 1 << 12, 1 << 13, 1 << 16, 1 << 18, 2 ** 31, 2 ** 33],
};

const PATHS = [
  'f', 'd', 'd/g', 'l', 'new', 'd/new', 'sock', 'fifo', '.', '..', '', '/', '/w', '/w/f', '/w/../..', 'l/x', 'f/', 'd/../f',
  '/file', '/dir', '/dir/a', '/link', '/dangling', '/up', '/etc/hostname', '/nonexistent',
  '/proc/self/fd/0', '/proc/self/fd/3', '/proc/self/fd/4', '/proc/self/status', '/proc/self/root', '/proc/self/cwd',
  '/proc/self/fdinfo/3', '/proc/self/stat', '/proc/self/maps', '/proc/100/fd', '/proc/self/task', '/proc/mounts',
  '/proc/self/mountinfo', '/proc/sys/kernel/hostname', '/proc/self/exe', '/proc/cpuinfo',
  '/dev/null', '/dev/zero', '/dev/full', '/dev/urandom', '/dev/ptmx', '/dev/pts/0', '/dev/fd/0', '/dev/stdin',
  '/sys/kernel', '/sys/fs/cgroup', '/sys/devices/system/cpu/online', '/tmp', '/tmp/x',
  '\x01', 'a'.repeat(300), 'd/'.repeat(100) + 'g', '/proc/self/fd/../../self/root/file',
];

// ---- variants -------------------------------------------------------------------------------

const pool: Variant = (s, l) => {
  const p = poolOf(l);
  return int(p[s.r.u8() % p.length]);
};
const small: Variant = (s) => int(s.r.u8() - 16);
const int32: Variant = (s) => int(s.r.u8() | (s.r.u8() << 8) | (s.r.u8() << 16) | ((s.r.u8() << 24) >>> 0));
const bits: Variant = (s, l) => {
  const set = BITS[l] ?? BITS.x;
  let v = 0n;
  for (let n = s.r.u8() % 5; n > 0; n--) v |= BigInt(set[s.r.u8() % set.length]);
  return int(Number(v));
};
/** An earlier call's descriptor (a pipe or socketpair gives two). */
const fdRef: Variant = (s, l) => {
  const cands: Arg[] = [];
  s.prior.forEach((c, i) => {
    if (FD_RESULT.has(c.name)) cands.push({ k: 'res', call: i });
    else if (FD_PAIR.has(c.name)) cands.push({ k: 'res', call: i, word: 0 }, { k: 'res', call: i, word: 1 });
  });
  const b = s.r.u8();
  return cands.length ? cands[b % cands.length] : int(poolOf(l)[b % poolOf(l).length]);
};
const tidRef: Variant = (s) => {
  const cands = s.prior.flatMap((c, i) => (TID_RESULT.has(c.name) ? [i] : []));
  const b = s.r.u8();
  return cands.length && b % 4 !== 0 ? { k: 'res', call: cands[b % cands.length] } : int(100);
};
const pathPool: Variant = (s) => ({ k: 'str', s: PATHS[s.r.u8() % PATHS.length] });
/** The size of the buffer or struct just laid out (write's count after its buffer). */
const len: Variant = (s) => int(s.lastSize);

const SIZES = [0, 1, 4, 8, 16, 28, 32, 64, 128, 256, 512, 4096, 4097, 16384];
const bufIn: Variant = (s) => {
  const size = SIZES[s.r.u8() % SIZES.length];
  const data = s.r.bytes(Math.min(s.r.u8(), size));
  s.lastSize = size;
  return { k: 'buf', data, size };
};
const bufOut: Variant = (s) => {
  const size = SIZES[1 + (s.r.u8() % (SIZES.length - 1))];
  s.lastSize = size;
  return { k: 'buf', data: '', size };
};

// canonical variants: exactly what encode() writes
const c64: Variant = (s) => int(s.r.i64());
const cRes: Variant = (s) => {
  const call = s.r.u8();
  const w = s.r.u8();
  if (s.index === 0) return int(-1);
  return w === 0 ? { k: 'res', call: call % s.index } : { k: 'res', call: call % s.index, word: (w - 1) % 16 };
};
const cStr: Variant = (s) => ({ k: 'str', s: s.r.bytes(s.r.u16() % (MAX_STR + 1)) });
const cBuf: Variant = (s) => {
  const size = s.r.u16() % (MAX_BUF + 1);
  const data = s.r.bytes(Math.min(s.r.u16(), MAX_BUF));
  s.lastSize = Math.max(size, data.length);
  return { k: 'buf', data, size: s.lastSize };
};
const cStruct: Variant = (s) => {
  if (s.depth >= MAX_DEPTH) return pool(s, 'a');
  const fields: Field[] = [];
  for (let n = s.r.u8() % (MAX_FIELDS + 1); n > 0; n--) {
    const code = s.r.u8() % 5;
    if (code === 4) fields.push({ bytes: s.r.bytes(s.r.u16() % (MAX_STR + 1)) });
    else fields.push({ w: (1 << code) as 1 | 2 | 4 | 8, v: sub(s, 'f') });
  }
  return structOf(s, fields);
};
const cEnd: Variant = (s) => ({ k: 'end', back: s.r.u8() });

/** Decode one level down (a struct's field, or what it points to). */
function nested<T>(s: State, f: () => T): T {
  s.depth++;
  try {
    return f();
  } finally {
    s.depth--;
  }
}
const sub = (s: State, letter: string): Arg => nested(s, () => decodeArg(s, letter));

function structOf(s: State, fields: Field[]): Arg {
  s.lastSize = fields.reduce((n, f) => n + ('bytes' in f ? f.bytes.length : f.w), 0);
  return { k: 'struct', fields };
}

const u = (w: 1 | 2 | 4 | 8, v: Arg): Field => ({ w, v });

/** Struct templates: the layouts the kernel reads (x86_64, packed where Linux packs). */
function template(build: (s: State) => Field[]): Variant {
  return (s) => (s.depth >= MAX_DEPTH ? pool(s, 'a') : structOf(s, build(s)));
}

const timespec = (s: State): Field[] => {
  const secs = [0, 1, 0, 2, -1, 2 ** 40];
  const nsecs = [0, 1000000, 999999999, 1000000000, -1, 1];
  return [u(8, int(secs[s.r.u8() % secs.length])), u(8, int(nsecs[s.r.u8() % nsecs.length]))];
};
const iovec = (s: State): Field[] => {
  const out: Field[] = [];
  for (let n = s.r.u8() % 5; n > 0; n--) {
    const b = sub(s, 'b');
    out.push(u(8, b), u(8, sub(s, 'n')));
  }
  return out;
};
const PORTS = [0x3930 /* 12345 */, 0, 0x5000 /* 80 */, 0xffff, 0x3930];
const sockaddr = (s: State): Field[] => {
  const port = int(PORTS[s.r.u8() % PORTS.length]);
  switch (s.r.u8() % 7) {
    case 0:
      return [u(2, int(1)), { bytes: PATHS[s.r.u8() % PATHS.length] + '\0' }];
    case 1:
      return [u(2, int(1)), { bytes: '\0' + ['a', 'b', '', 'x'.repeat(107)][s.r.u8() % 4] }];
    case 2:
      return [u(2, int(2)), u(2, port), u(4, int([0x0100007f, 0, -1, 0x0200007f][s.r.u8() % 4])), u(8, int(0))];
    case 3:
      return [u(2, int(10)), u(2, port), u(4, int(0)), { bytes: s.r.u8() % 2 ? '\0'.repeat(15) + '\x01' : '\0'.repeat(16) }, u(4, int(0))];
    case 4:
      return [u(2, int(16)), u(2, int(0)), u(4, int([0, 100, -1][s.r.u8() % 3])), u(4, int(s.r.u8() % 2))];
    case 5:
      return [u(2, int(0)), u(8, int(0))];
    default:
      return [u(2, int(2)), u(2, port)];
  }
};
const cmsg = (s: State): Field[] => {
  const type = [1, 2, 1, 3][s.r.u8() % 4]; // SCM_RIGHTS, SCM_CREDENTIALS
  const body: Field[] = [];
  for (let n = type === 1 ? 1 + (s.r.u8() % 3) : 3; n > 0; n--) body.push(u(4, type === 1 ? fdRef(s, 'd') : pool(s, 'P')));
  return [u(8, int(16 + 4 * body.length)), u(4, int(1)), u(4, int(type)), ...body, ...(body.length % 2 ? [u(4, int(0))] : [])];
};
const msghdr = (s: State): Field[] => {
  const name = s.r.u8() % 2 ? sub(s, 'k') : int(0);
  const namelen = name.k === 'struct' ? s.lastSize : 0;
  const iov = sub(s, 'v');
  const iovlen = iov.k === 'struct' ? iov.fields.length >> 1 : 0;
  const control = s.r.u8() % 3 === 0 && s.depth + 1 < MAX_DEPTH ? nested(s, () => structOf(s, cmsg(s))) : int(0);
  const controllen = control.k === 'struct' ? s.lastSize : 0;
  return [u(8, name), u(4, int(namelen)), u(4, int(0)), u(8, iov), u(8, int(iovlen)), u(8, control), u(8, int(controllen)), u(4, int(0)), u(4, int(0))];
};

const TEMPLATES: Record<string, Variant> = {
  t: template(timespec),
  T: template((s) => [...timespec(s), ...timespec(s)]),
  v: template(iovec),
  e: template((s) => [u(4, bits(s, 'e')), u(8, pool(s, 'i'))]),
  k: template(sockaddr),
  U: template((s) => [u(4, int([0, 16, 28, 110, 128, 4, -1, 12][s.r.u8() % 8]))]),
  h: template(msghdr),
  H: template((s) => {
    const out: Field[] = [];
    for (let n = 1 + (s.r.u8() % 2); n > 0; n--) out.push(...msghdr(s), u(4, int(0)), u(4, int(0)));
    return out;
  }),
  l: template((s) => {
    const out: Field[] = [];
    for (let n = s.r.u8() % 5; n > 0; n--) out.push(u(4, fdRef(s, 'd')), u(2, bits(s, 'l')), u(2, int(0)));
    return out;
  }),
  S: template((s) => [u(8, bits(s, 'S'))]),
  R: template((s) => [u(8, pool(s, 'i')), u(8, pool(s, 'i'))]),
  N: template((s) => [u(8, sub(s, 'o')), u(8, sub(s, 'm')), u(8, bits(s, 'x'))]),
};

const CANONICAL: Record<Arg['k'], Variant> = { int: c64, res: cRes, str: cStr, buf: cBuf, struct: cStruct, end: cEnd };

/** The variants a letter's kind bytes below CANON_KIND choose from (repeats weigh more). */
function variantsFor(letter: string): Variant[] {
  const ptr = (v: Variant): Variant[] => [v, v, v, v, v, v, pool, cEnd];
  switch (letter) {
    case 'd':
    case 'D':
      return [fdRef, fdRef, fdRef, pool, pool, small, int32];
    case 'P':
      return [tidRef, tidRef, pool, small];
    case 'n':
      return [len, len, len, pool, pool, small, int32];
    case 'o':
    case 'x':
      return [bits, bits, pool, pool, int32];
    case 'p':
      return ptr(pathPool);
    case 'b':
      return ptr(bufIn);
    case 'B':
    case 'a':
      return ptr(bufOut);
    case 'f':
      return [pool, fdRef, small, int32];
    default:
      return TEMPLATES[letter] ? ptr(TEMPLATES[letter]) : [pool, pool, pool, small, int32];
  }
}

const VARIANTS = new Map<string, Variant[]>();
function variants(letter: string): Variant[] {
  let v = VARIANTS.get(letter);
  if (!v) VARIANTS.set(letter, (v = variantsFor(letter)));
  return v;
}

/** Kind bytes from here on choose a canonical variant (one of the six argument forms, raw). */
const CANON_KIND = 0xf0;
const KINDS = Object.keys(CANONICAL) as Arg['k'][];

function decodeArg(s: State, letter: string): Arg {
  const kind = s.r.u8();
  if (kind >= CANON_KIND) return CANONICAL[KINDS[(kind - CANON_KIND) % KINDS.length]](s, letter);
  const vs = variants(letter);
  return vs[kind % vs.length](s, letter);
}

// ---- programs -------------------------------------------------------------------------------

const TASK_ANY = 0xc0;

export interface Decoded {
  program: Program;
  /** Byte offset where each call starts (the mutator cuts and splices there). */
  offsets: number[];
}

export function decode(bytes: Uint8Array): Decoded {
  const r = new Reader(bytes);
  const program: Program = [];
  const offsets: number[] = [];
  const tasks = new LiveTasks();
  while (!r.eof && program.length < MAX_CALLS && tasks.live.length > 0) {
    offsets.push(r.i);
    const tb = r.u8();
    const live = tasks.live;
    const task = tb < TASK_ANY ? live[0] : live[(tb - TASK_ANY) % live.length];
    const name = CALLS[r.u16() % CALLS.length];
    const s: State = { r, index: program.length, prior: program, lastSize: 0, depth: 0 };
    const args = [...signature(name)].map((l) => decodeArg(s, l));
    program.push({ task, name, args });
    tasks.after(program[program.length - 1]);
  }
  return { program, offsets };
}

const CALL_INDEX = new Map(CALLS.map((n, i) => [n, i]));

function encodeArg(w: Writer, a: Arg, letter: string): void {
  w.u8(CANON_KIND + KINDS.indexOf(a.k));
  switch (a.k) {
    case 'int':
      return w.i64(a.v);
    case 'res':
      w.u8(a.call);
      return w.u8(a.word === undefined ? 0 : a.word + 1);
    case 'str':
      w.u16(a.s.length);
      return w.bytes(a.s);
    case 'buf':
      w.u16(a.size);
      w.u16(a.data.length);
      return w.bytes(a.data);
    case 'struct':
      w.u8(a.fields.length);
      for (const f of a.fields) {
        if ('bytes' in f) {
          w.u8(4);
          w.u16(f.bytes.length);
          w.bytes(f.bytes);
        } else {
          w.u8(Math.log2(f.w));
          encodeArg(w, f.v, 'f');
        }
      }
      return;
    case 'end':
      return w.u8(a.back);
  }
}

/** The canonical bytes of a (valid) program. */
export function encode(p: Program): Uint8Array {
  const w = new Writer();
  const tasks = new LiveTasks();
  for (const c of p) {
    const at = tasks.live.indexOf(c.task);
    w.u8(at === 0 ? 0 : TASK_ANY + at);
    w.u16(CALL_INDEX.get(c.name)!);
    const sig = signature(c.name);
    c.args.forEach((a, i) => encodeArg(w, a, sig[i]));
    tasks.after(c);
  }
  return Uint8Array.from(w.out);
}

/** Argument count of a call, for parse(). */
export function arity(name: string): number | undefined {
  return CALL_INDEX.has(name) ? signature(name).length : undefined;
}

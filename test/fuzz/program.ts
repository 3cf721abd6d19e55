// The fuzzer's program format (a small syzkaller of our own): a program is a list of syscalls,
// each made by one task, with arguments that are values, references to earlier results, or
// guest memory the runner lays out (strings, buffers, structs). Its text form, one call a line,
// is what reproducers and seeds are written in:
//
//   r0 = openat(AT_FDCWD, "f", 0x42, 0o644)
//   t1: read(r0, &"":64, 64)          # task 1 (made by $thread or $fork) reads into 64 bytes
//   r2 = pipe2(&"":8, 0)
//   write(r2[1], &"hi", 2)            # r2[1]: the second int the call wrote to its first buffer
//   epoll_ctl(r4, 1, r2[0], &{u32 0x1, u64 7})
//
// Arguments: integers (decimal, 0x hex, 0o octal, -1, AT_FDCWD); rN / rN[k]; "path" (a
// NUL-terminated string in guest memory); &"bytes":size (a buffer of size bytes starting with
// bytes); &{u32 v, u64 v, "inline bytes"} (a packed little-endian struct whose fields are any
// argument, pointers included); &end-N (N bytes before the end of guest memory: a fault in the
// middle of a read). Pseudo-calls: $thread() and $fork() make a task (result: its tid),
// $exit(status) ends the calling task, $signal(tid) interrupts that task's blocked call the way
// a signal with a handler does, and $drop() loses the answer to the caller's next call (a signal
// reached the thread just before it: the kernel must take back what the call did, or replay
// its result when the same call is restarted).

export type Arg =
  | { k: 'int'; v: number }
  | { k: 'res'; call: number; word?: number }
  | { k: 'str'; s: string }
  | { k: 'buf'; data: string; size: number }
  | { k: 'struct'; fields: Field[] }
  | { k: 'end'; back: number };

/** A struct field: an argument stored in w bytes (pointers are laid out elsewhere), or inline bytes. */
export type Field = { w: 1 | 2 | 4 | 8; v: Arg } | { bytes: string };

export interface CallNode {
  /** Index of the task making it, in creation order (0: the first process's main thread). */
  task: number;
  name: string;
  args: Arg[];
}

export type Program = CallNode[];

export const PSEUDO = ['$thread', '$fork', '$exit', '$signal', '$drop'] as const;

/** Most calls in a program, tasks alive at once, and nesting of structs. */
export const MAX_CALLS = 48;
export const MAX_TASKS = 6;
export const MAX_DEPTH = 3;
export const MAX_FIELDS = 64;
export const MAX_BUF = 0x8000;
/** The longest string or inline bytes (a path past PATH_MAX, a sun_path past 108). */
export const MAX_STR = 0x1400;

/** The tasks alive as a program goes: $thread/$fork add one (at most MAX_TASKS), $exit ends the caller. */
export class LiveTasks {
  live: number[] = [0];
  private made = 1;
  /** Apply call c; true when it made a task. */
  after(c: CallNode): boolean {
    if ((c.name === '$thread' || c.name === '$fork') && this.live.length < MAX_TASKS) {
      this.live = [...this.live, this.made++];
      return true;
    }
    if (c.name === '$exit') this.live = this.live.filter((t) => t !== c.task);
    return false;
  }
}

// ---- text form ------------------------------------------------------------------------------

function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 0x22) out += '\\"';
    else if (ch === 0x5c) out += '\\\\';
    else if (ch >= 0x20 && ch < 0x7f) out += s[i];
    else out += '\\x' + ch.toString(16).padStart(2, '0');
  }
  return out + '"';
}

/** How an integer argument reads best: flags in hex, modes in octal, the rest in decimal. */
export type IntStyle = 'dec' | 'hex' | 'oct' | 'fd';

function formatInt(v: number, style: IntStyle): string {
  if (style === 'fd' && v === -100) return 'AT_FDCWD';
  if (v < 0 || style === 'dec' || style === 'fd') return v >= -4096 && v < 0x10000 ? String(v) : v < 0 ? '-0x' + (-v).toString(16) : '0x' + v.toString(16);
  if (style === 'oct') return '0o' + v.toString(8);
  return '0x' + v.toString(16);
}

function formatArg(a: Arg, style: IntStyle): string {
  switch (a.k) {
    case 'int':
      return formatInt(a.v, style);
    case 'res':
      return a.word === undefined ? `r${a.call}` : `r${a.call}[${a.word}]`;
    case 'str':
      return quote(a.s);
    case 'buf':
      return a.size === a.data.length ? '&' + quote(a.data) : `&${quote(a.data)}:${a.size}`;
    case 'struct':
      return '&{' + a.fields.map((f) => ('bytes' in f ? quote(f.bytes) : `u${f.w * 8} ${formatArg(f.v, 'hex')}`)).join(', ') + '}';
    case 'end':
      return `&end-${a.back}`;
  }
}

function referenced(p: Program): Set<number> {
  const out = new Set<number>();
  const visit = (a: Arg): void => {
    if (a.k === 'res') out.add(a.call);
    else if (a.k === 'struct') for (const f of a.fields) if (!('bytes' in f)) visit(f.v);
  };
  for (const c of p) c.args.forEach(visit);
  return out;
}

/** The text form; styles(name) gives each argument's integer style. */
export function format(p: Program, styles: (name: string) => IntStyle[] = () => []): string {
  const refs = referenced(p);
  return p
    .map((c, i) => {
      const st = styles(c.name);
      const args = c.args.map((a, j) => formatArg(a, st[j] ?? 'dec')).join(', ');
      return `${c.task ? `t${c.task}: ` : ''}${refs.has(i) ? `r${i} = ` : ''}${c.name}(${args})\n`;
    })
    .join('');
}

class Parser {
  i = 0;
  constructor(
    readonly s: string,
    readonly line: number,
  ) {}
  fail(what: string): never {
    throw new Error(`fuzz program line ${this.line}: ${what} at column ${this.i + 1}: ${this.s}`);
  }
  ws(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++;
  }
  eat(tok: string): boolean {
    this.ws();
    if (this.s.startsWith(tok, this.i)) {
      this.i += tok.length;
      return true;
    }
    return false;
  }
  expect(tok: string): void {
    if (!this.eat(tok)) this.fail(`expected ${tok}`);
  }
  match(re: RegExp): string | undefined {
    this.ws();
    re.lastIndex = this.i;
    const m = re.exec(this.s);
    if (!m || m.index !== this.i) return undefined;
    this.i += m[0].length;
    return m[0];
  }
  int(): number | undefined {
    const t = this.match(/-?(0x[0-9a-fA-F]+|0o[0-7]+|[0-9]+)/y);
    if (t === undefined) return undefined;
    const neg = t.startsWith('-');
    const body = neg ? t.slice(1) : t;
    // registers are 64 bits: 0xffffffffffffffff is -1
    const big = BigInt(body.startsWith('0o') ? '0o' + body.slice(2) : body);
    return Number(BigInt.asIntN(64, neg ? -big : big));
  }
  string(): string {
    this.ws();
    if (this.s[this.i] !== '"') this.fail('expected a string');
    this.i++;
    let out = '';
    for (;;) {
      const ch = this.s[this.i++];
      if (ch === undefined) this.fail('unterminated string');
      if (ch === '"') {
        if (out.length > MAX_STR) this.fail(`string longer than ${MAX_STR}`);
        return out;
      }
      if (ch !== '\\') {
        out += ch;
        continue;
      }
      const e = this.s[this.i++];
      if (e === 'x') {
        const h = this.s.slice(this.i, this.i + 2);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) this.fail('bad \\x escape');
        out += String.fromCharCode(parseInt(h, 16));
        this.i += 2;
      } else if (e === '"' || e === '\\') out += e;
      else this.fail('bad escape');
    }
  }
  arg(depth: number): Arg {
    this.ws();
    if (this.eat('AT_FDCWD')) return { k: 'int', v: -100 };
    const r = this.match(/r[0-9]+/y);
    if (r !== undefined) {
      const call = Number(r.slice(1));
      if (this.eat('[')) {
        const word = this.int();
        if (word === undefined || word < 0 || word > 15) this.fail('bad result word');
        this.expect(']');
        return { k: 'res', call, word };
      }
      return { k: 'res', call };
    }
    if (this.s[this.i] === '"') return { k: 'str', s: this.string() };
    if (this.eat('&end-')) {
      const back = this.int();
      if (back === undefined || back < 0 || back > 255) this.fail('bad &end offset');
      return { k: 'end', back };
    }
    if (this.eat('&{')) {
      if (depth >= MAX_DEPTH) this.fail('structs nested too deep');
      const fields: Field[] = [];
      if (!this.eat('}')) {
        do {
          this.ws();
          if (this.s[this.i] === '"') fields.push({ bytes: this.string() });
          else {
            const w = this.match(/u(8|16|32|64)\b/y);
            if (w === undefined) this.fail('expected a field width (u8, u16, u32, u64) or "bytes"');
            fields.push({ w: (Number(w.slice(1)) / 8) as 1 | 2 | 4 | 8, v: this.arg(depth + 1) });
          }
        } while (this.eat(','));
        this.expect('}');
      }
      if (fields.length > MAX_FIELDS) this.fail(`more than ${MAX_FIELDS} fields`);
      return { k: 'struct', fields };
    }
    if (this.eat('&')) {
      const data = this.string();
      let size = data.length;
      if (this.eat(':')) {
        const n = this.int();
        if (n === undefined || n < data.length || n > MAX_BUF) this.fail(`buffer size must be ${data.length}..${MAX_BUF}`);
        size = n;
      }
      if (data.length > MAX_BUF) this.fail('buffer too long');
      return { k: 'buf', data, size };
    }
    const v = this.int();
    if (v === undefined) this.fail('expected an argument');
    return { k: 'int', v };
  }
}

/** Parse the text form; arity(name) is a call's argument count (undefined: no such call). */
export function parse(text: string, arity: (name: string) => number | undefined): Program {
  const p: Program = [];
  const lines = text.split('\n');
  lines.forEach((raw, ln) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const ps = new Parser(line, ln + 1);
    let task = 0;
    const t = ps.match(/t[0-9]+:/y);
    if (t !== undefined) task = Number(t.slice(1, -1));
    const r = ps.match(/r[0-9]+\s*=/y);
    if (r !== undefined && Number(r.slice(1).replace(/\s*=$/, '')) !== p.length) ps.fail(`result name must be r${p.length} (results are named by call index)`);
    const name = ps.match(/\$?[a-z_0-9]+/y) ?? '';
    const n = arity(name);
    if (n === undefined) ps.fail(`unknown call ${name}`);
    ps.expect('(');
    const args: Arg[] = [];
    if (!ps.eat(')')) {
      do args.push(ps.arg(0));
      while (ps.eat(','));
      ps.expect(')');
    }
    ps.ws();
    if (ps.i !== line.length && line[ps.i] !== '#') ps.fail('trailing text');
    if (args.length !== n) ps.fail(`${name} takes ${n} arguments, not ${args.length}`);
    p.push({ task, name, args });
  });
  validate(p);
  return p;
}

/** Throws unless every call is made by a live task and every reference names an earlier call. */
export function validate(p: Program): void {
  if (p.length > MAX_CALLS) throw new Error(`fuzz program: ${p.length} calls, at most ${MAX_CALLS}`);
  const tasks = new LiveTasks();
  const check = (a: Arg, i: number): void => {
    if (a.k === 'res' && (a.call >= i || a.call < 0)) throw new Error(`fuzz program: call ${i} refers to r${a.call}, which is not an earlier call`);
    if (a.k === 'struct') for (const f of a.fields) if (!('bytes' in f)) check(f.v, i);
  };
  p.forEach((c, i) => {
    if (!tasks.live.includes(c.task)) throw new Error(`fuzz program: call ${i} (${c.name}) is made by task ${c.task}, which is not alive then`);
    for (const a of c.args) check(a, i);
    tasks.after(c);
  });
}

// npm run fuzz [-- --time SECONDS] [--seed N] [--batch K]: coverage-guided fuzzing of the kernel.
// Inputs are byte strings (codec.ts) mutated from a corpus that starts with the committed seeds
// (test/fuzz/corpus/*.txt) and keeps every input that executed a kernel block never seen before
// (coverage.ts). Mutants run in batches with one coverage read per batch; a batch that found
// something new is run again input by input to tell which. Every invariant violation
// (runner.ts) is minimized call by call and written as a text reproducer to test/fuzz/crashes/,
// where `npm test` runs it until it passes (fix the kernel, keep the reproducer).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Fuzzer, type Violation } from './runner.js';
import { Coverage, countFunctions } from './coverage.js';
import { Mutator, rng } from './mutate.js';
import { arity, decode, encode } from './codec.js';
import { format, parse, validate, type Arg, type Program } from './program.js';
import { styles } from './calls.js';

const ROOT = resolve(new URL('../../..', import.meta.url).pathname);
export const CORPUS_DIR = join(ROOT, 'test/fuzz/corpus');
export const CRASH_DIR = join(ROOT, 'test/fuzz/crashes');

/** The committed programs of a directory, by file name. */
export function loadPrograms(dir: string): [string, Program][] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.txt'))
    .sort()
    .map((n) => [n, parse(readFileSync(join(dir, n), 'utf8'), arity)]);
}

/** What identifies a bug: its kind, the call it showed at, and the first line of the report. */
function signature(p: Program, v: Violation): string {
  const where = v.call >= 0 ? p[v.call].name : 'end';
  const first = v.detail.split('\n')[0].replace(/\d+/g, 'N');
  return `${v.kind} ${where}: ${first}`;
}

async function reproduces(f: Fuzzer, p: Program, sig: string): Promise<boolean> {
  try {
    const r = await f.run(p);
    return r.violations.some((v) => signature(p, v) === sig);
  } catch {
    return false; // a cut made the program invalid (a reference to a removed call)
  }
}

/** Drop calls (and renumber references) while the violation still shows. */
async function minimize(f: Fuzzer, p: Program, sig: string): Promise<Program> {
  let cur = p;
  for (let i = cur.length - 1; i >= 0; i--) {
    const cand = withoutCall(cur, i);
    if (cand && (await reproduces(f, cand, sig))) cur = cand;
  }
  return cur;
}

function refersTo(a: Arg, call: number): boolean {
  if (a.k === 'res') return a.call === call;
  return a.k === 'struct' && a.fields.some((f) => !('bytes' in f) && refersTo(f.v, call));
}

function shift(a: Arg, drop: number): Arg {
  if (a.k === 'res') return { ...a, call: a.call > drop ? a.call - 1 : a.call };
  if (a.k === 'struct') return { ...a, fields: a.fields.map((f) => ('bytes' in f ? f : { ...f, v: shift(f.v, drop) })) };
  return a;
}

/** p without call drop (later references renumbered); undefined when something refers to it. */
function withoutCall(p: Program, drop: number): Program | undefined {
  if (p.some((c) => c.args.some((a) => refersTo(a, drop)))) return undefined;
  const out = p.filter((_, i) => i !== drop).map((c) => ({ ...c, args: c.args.map((a) => shift(a, drop)) }));
  try {
    validate(out); // dropping a $thread renumbers tasks
    return out;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { time: { type: 'string', default: '60' }, seed: { type: 'string' }, batch: { type: 'string', default: '8' }, crashes: { type: 'string', default: CRASH_DIR } },
  });
  const seconds = Number(values.time);
  const seed = values.seed !== undefined ? Number(values.seed) : Date.now() & 0x7fffffff;
  const batch = Math.max(1, Number(values.batch));
  const crashDir = values.crashes!;
  mkdirSync(crashDir, { recursive: true });
  console.log(`fuzz: ${seconds} s, seed ${seed}, batches of ${batch}`);

  const fuzzer = new Fuzzer();
  const cov = new Coverage();
  const mut = new Mutator(rng(seed));
  const corpus: Uint8Array[] = [];
  const found = new Set<string>();
  let execs = 0;
  let crashes = 0;

  const check = async (p: Program, violations: Violation[]): Promise<void> => {
    for (const v of violations) {
      const sig = signature(p, v);
      if (found.has(sig)) continue;
      found.add(sig);
      crashes++;
      const small = await minimize(fuzzer, p, sig);
      const text = format(small, styles);
      const name = `${v.kind}-${v.call >= 0 ? p[v.call].name.replace('$', '') : 'end'}-${createHash('sha1').update(text).digest('hex').slice(0, 8)}.txt`;
      const header = `# ${v.kind}: ${v.detail.split('\n').slice(0, 3).join('\n#   ')}\n`;
      writeFileSync(join(crashDir, name), header + text);
      console.log(`fuzz: NEW ${sig}\n      reproducer ${join(crashDir, name)}`);
    }
  };

  const runOne = async (data: Uint8Array): Promise<Program> => {
    const p = decode(data).program;
    const r = await fuzzer.run(p);
    execs++;
    if (r.violations.length) await check(p, r.violations);
    return p;
  };

  // the seeds and the reproducers of earlier finds: all kept, their coverage the starting point
  for (const dir of [CORPUS_DIR, crashDir]) {
    for (const [name, p] of loadPrograms(dir)) {
      const data = encode(p);
      await runOne(data);
      cov.novel(cov.take(), true);
      corpus.push(data);
      if (dir === crashDir) console.log(`fuzz: replayed ${name}`);
    }
  }
  if (corpus.length === 0) corpus.push(new Uint8Array(64));
  console.log(`fuzz: ${corpus.length} seeds, functions ${cov.functionsCovered()}, blocks ${cov.blockStats().covered}`);

  const start = performance.now();
  let lastReport = start;
  const pick = (): Uint8Array => {
    // newer inputs first more often: they are the frontier
    const r = mut.rand();
    return corpus[Math.floor(corpus.length * Math.sqrt(r))] ?? corpus[0];
  };
  while (performance.now() - start < seconds * 1000) {
    const kids: Uint8Array[] = [];
    for (let i = 0; i < batch; i++) {
      const kid = mut.mutate(pick(), pick());
      kids.push(kid);
      await runOne(kid);
    }
    if (cov.novel(cov.take(), false) > 0) {
      for (const kid of kids) {
        await runOne(kid);
        if (cov.novel(cov.take(), true) > 0) corpus.push(kid);
      }
    }
    const now = performance.now();
    if (now - lastReport > 10000) {
      lastReport = now;
      const b = cov.blockStats();
      console.log(`fuzz: ${((now - start) / 1000).toFixed(0)} s, ${execs} execs, ${((execs * 1000) / (now - start)).toFixed(0)}/s, corpus ${corpus.length}, functions ${cov.functionsCovered()}, blocks ${b.covered}/${b.known}, crashes ${crashes}`);
    }
  }
  const elapsed = (performance.now() - start) / 1000;
  const total = countFunctions(join(ROOT, 'dist/src'));
  const b = cov.blockStats();
  console.log(
    `fuzz: done in ${elapsed.toFixed(0)} s: ${execs} execs (${(execs / elapsed).toFixed(0)}/s), corpus ${corpus.length}; ` +
      `functions ${cov.functionsCovered()} of ${total} in src/kernel and src/host; inner blocks ${b.covered} of ${b.known} learned in executed functions; new violations ${crashes}`,
  );
  cov.stop();
  fuzzer.remove();
  if (crashes > 0) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

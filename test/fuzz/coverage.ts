// Block coverage of the kernel as the fuzzer's feedback: V8's precise coverage (binary mode, the
// counters reset at every take) over the compiled src/kernel and src/host, read through the
// in-process inspector. A feature is one executed block range (or function) of one script.
import { Session } from 'node:inspector';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

interface Range {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface ScriptCoverage {
  scriptId: string;
  url: string;
  functions: { functionName: string; ranges: Range[] }[];
}

const WATCHED = /\/dist\/src\/(kernel|host)\//;

export class Coverage {
  private readonly session = new Session();
  private readonly ids = new Map<string, number>();
  /** Features seen so far, and which of them start a function. */
  readonly seen = new Set<number>();
  readonly functions = new Set<number>();

  constructor() {
    this.session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.startPreciseCoverage', { callCount: false, detailed: true });
  }

  /** The in-process session answers synchronously. */
  private post(method: string, params?: object): unknown {
    let out: unknown;
    let err: Error | null = null;
    this.session.post(method, params, (e, r) => {
      err = e;
      out = r;
    });
    if (err) throw err;
    return out;
  }

  private id(key: string): number {
    let i = this.ids.get(key);
    if (i === undefined) this.ids.set(key, (i = this.ids.size));
    return i;
  }

  /** Block ranges learned so far in each function (by the function's feature id). */
  private readonly blocks = new Map<number, { id: number; start: number; end: number }[]>();

  /**
   * Features executed since the last take (the counters start again from zero). In binary mode
   * V8 folds a block into its function when their counts agree, so an executed function lists
   * only the blocks that did not run. Every such block is learned; a learned block of an executed
   * function that no unexecuted range covers this time has run.
   */
  take(): number[] {
    const r = this.post('Profiler.takePreciseCoverage') as { result: ScriptCoverage[] };
    const out: number[] = [];
    for (const sc of r.result) {
      if (!WATCHED.test(sc.url)) continue;
      for (const f of sc.functions) {
        const [fn, ...inner] = f.ranges;
        if (fn.count === 0) continue;
        const fid = this.id(`${sc.url}:${fn.startOffset}:${fn.endOffset}`);
        this.functions.add(fid);
        out.push(fid);
        let known = this.blocks.get(fid);
        if (!known) this.blocks.set(fid, (known = []));
        const skipped = inner.filter((rg) => rg.count === 0);
        for (const rg of inner) {
          const key = `${sc.url}:${rg.startOffset}:${rg.endOffset}`;
          if (!this.ids.has(key)) known.push({ id: this.id(key), start: rg.startOffset, end: rg.endOffset });
        }
        for (const b of known) if (!skipped.some((z) => z.startOffset <= b.start && b.end <= z.endOffset)) out.push(b.id);
      }
    }
    return out;
  }

  /** How many of features were never seen; records them as seen when keep. */
  novel(features: number[], keep: boolean): number {
    let n = 0;
    for (const f of features) {
      if (this.seen.has(f)) continue;
      n++;
      if (keep) this.seen.add(f);
    }
    return n;
  }

  /** Inner blocks of executed functions: how many have run, of how many learned. */
  blockStats(): { covered: number; known: number } {
    let covered = 0;
    let known = 0;
    for (const list of this.blocks.values()) {
      known += list.length;
      for (const b of list) if (this.seen.has(b.id)) covered++;
    }
    return { covered, known };
  }

  /** Functions covered so far (features that start a function and were seen). */
  functionsCovered(): number {
    let n = 0;
    for (const f of this.functions) if (this.seen.has(f)) n++;
    return n;
  }

  stop(): void {
    this.post('Profiler.stopPreciseCoverage');
    this.session.disconnect();
  }
}

/** Functions (declarations, expressions, arrows, methods, accessors) in the compiled kernel. */
export function countFunctions(root: string): number {
  let n = 0;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) n++;
    ts.forEachChild(node, visit);
  };
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) visit(ts.createSourceFile(p, readFileSync(p, 'utf8'), ts.ScriptTarget.ES2022, false));
    }
  };
  for (const d of ['kernel', 'host']) walk(join(root, d));
  return n;
}

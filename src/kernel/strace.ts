// --strace: one line per syscall in strace's own format (DESIGN.md section 6), so a sandbox
// trace diffs against `strace -f` of the same program. Arguments are formatted at entry, results
// at exit; a call that blocks prints "<unfinished ...>" and later "<... NAME resumed>".
// --trace-json: the same events as JSON lines, for harnesses that consume what a guest did:
// {"tid","syscall","args":[decoded...],"result","errno"?,"native"?,"phase"} per event.
import type { Call } from './call.js';
import type { GuestMemory } from './mem.js';
import { CONTINUE, ANSWERED } from './call.js';
import { SYSCALL_NAMES } from './abi/sysnames.js';
import { ERRNO_NAMES, ERRNO_MESSAGES } from './errno.js';
import { SIGNATURES, formatArg, formatOutArg } from './strace-args.js';

export class Strace {
  private pending = new Map<number, string>();
  /** tid of the call each slot belongs to, and output arguments rendered before the answer. */
  private slotTid = new Map<number, number>();
  private rendered = new Map<number, string>();
  private outArgs = new Map<number, { kind: string; addr: number; index: number; text: string[] }>();
  mainPid = 0;

  private readonly write: (line: string) => void;
  constructor(
    private readonly mem: GuestMemory,
    text: ((line: string) => void) | undefined,
    private readonly json?: (line: string) => void,
  ) {
    this.write = text ?? (() => {});
  }

  /** One JSON line for a syscall event. */
  private record(tid: number, name: string, phase: string, args: string[], r?: number, extra?: string): void {
    if (!this.json) return;
    const rec: Record<string, unknown> = { t: Date.now(), tid, syscall: name, phase, args };
    if (r !== undefined) {
      if (r === CONTINUE) rec.native = true;
      else if (r !== ANSWERED) {
        rec.result = r < 0 && r >= -4095 ? -1 : r;
        if (r < 0 && r >= -4095) rec.errno = ERRNO_NAMES[-r] ?? -r;
      }
    }
    if (extra !== undefined) rec.text = extra;
    this.json(JSON.stringify(rec) + '\n');
  }

  private prefix(tid: number): string {
    return tid === this.mainPid ? '' : `[pid ${tid}] `;
  }

  enter(c: Call): void {
    const name = SYSCALL_NAMES[c.nr] ?? `syscall_${c.nr}`;
    const sig = SIGNATURES[name];
    const parts: string[] = [];
    let outIndex = -1;
    let outKind = '';
    const n = sig === undefined ? 6 : sig.length;
    for (let i = 0; i < n; i++) {
      const kind = sig === undefined ? 'x' : sig[i];
      if (kind === 'B' || kind === 'V') {
        outIndex = i;
        outKind = kind;
        parts.push('');
        continue;
      }
      parts.push(formatArg(this.mem, c, i, kind));
    }
    this.pending.set(c.tid, name);
    this.slotTid.set(c.slot, c.tid);
    this.rendered.delete(c.tid);
    if (outIndex >= 0) this.outArgs.set(c.tid, { kind: outKind, addr: c.ptr(outIndex), index: outIndex, text: parts });
    else this.outArgs.delete(c.tid);
    this.args.set(c.tid, parts);
  }
  private args = new Map<number, string[]>();

  /**
   * The kernel is about to answer slot with r: render output buffers now, while the guest
   * thread is still stopped (once answered it may change them).
   */
  delivering(slot: number, r: number): void {
    const tid = this.slotTid.get(slot);
    if (tid === undefined) return;
    this.slotTid.delete(slot);
    const out = this.outArgs.get(tid);
    if (out) this.rendered.set(tid, formatOutArg(this.mem, tid, out.kind, out.addr, r));
  }

  private outText(tid: number, r: number): string {
    const out = this.outArgs.get(tid)!;
    const pre = this.rendered.get(tid);
    this.rendered.delete(tid);
    return pre ?? formatOutArg(this.mem, tid, out.kind, out.addr, r);
  }

  private render(tid: number, r: number): string {
    const parts = this.args.get(tid) ?? [];
    const out = this.outArgs.get(tid);
    if (out) parts[out.index] = this.outText(tid, r);
    return parts.join(', ');
  }

  exit(tid: number, nr: number, r: number): void {
    const name = this.pending.get(tid) ?? SYSCALL_NAMES[nr] ?? `syscall_${nr}`;
    const rendered = this.render(tid, r);
    this.write(`${this.prefix(tid)}${name}(${rendered}) = ${result(r)}\n`);
    this.record(tid, name, 'exit', this.args.get(tid) ?? [], r);
    this.pending.delete(tid);
  }

  blocked(tid: number, nr: number): void {
    const name = this.pending.get(tid) ?? SYSCALL_NAMES[nr] ?? `syscall_${nr}`;
    const parts = this.args.get(tid) ?? [];
    const shown = this.outArgs.has(tid) ? parts.slice(0, this.outArgs.get(tid)!.index) : parts;
    this.write(`${this.prefix(tid)}${name}(${shown.join(', ')}${shown.length ? ', ' : ''}<unfinished ...>\n`);
    this.record(tid, name, 'blocked', shown);
  }

  resumed(tid: number, nr: number, r: number): void {
    const name = this.pending.get(tid) ?? SYSCALL_NAMES[nr] ?? `syscall_${nr}`;
    const out = this.outArgs.get(tid);
    const rest = out ? this.outText(tid, r) + ', ' + (this.args.get(tid) ?? []).slice(out.index + 1).join(', ') : '';
    this.write(`${this.prefix(tid)}<... ${name} resumed>${rest}) = ${result(r)}\n`);
    if (out) (this.args.get(tid) ?? [])[out.index] = rest.split(', ')[0];
    this.record(tid, name, 'resumed', this.args.get(tid) ?? [], r);
    this.pending.delete(tid);
  }

  interrupted(tid: number, nr: number): void {
    const name = this.pending.get(tid) ?? SYSCALL_NAMES[nr] ?? `syscall_${nr}`;
    this.write(`${this.prefix(tid)}<... ${name} resumed>) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)\n`);
    this.record(tid, name, 'interrupted', this.args.get(tid) ?? [], -512);
    this.pending.delete(tid);
  }

  event(tid: number, text: string): void {
    this.write(`${this.prefix(tid)}${text}\n`);
    this.record(tid, '', 'event', [], undefined, text);
  }
}

export function result(r: number): string {
  if (r === CONTINUE) return '? <native>';
  if (r === ANSWERED) return '?';
  if (r < 0 && r >= -4095) {
    const e = -r;
    return `-1 ${ERRNO_NAMES[e] ?? e} (${ERRNO_MESSAGES[e] ?? 'Unknown error ' + e})`;
  }
  return String(r);
}

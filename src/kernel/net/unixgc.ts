// Garbage collection of sockets in flight (net/unix/garbage.c). A socket sent with SCM_RIGHTS
// over a socket whose queue then holds it (itself, or a ring of sockets each queued on the
// next) stays referenced after every descriptor is closed. As Linux's unix_gc does, the sockets
// whose every reference is a queued message, and which no socket still open reaches through
// queued messages, are garbage: purging their queues drops those references and frees them.
import type { OpenFile } from '../fd/openfile.js';
import type { Msg } from './msgqueue.js';

/** A socket's receive queue, as the collector sees it. */
export interface Carrier {
  readonly refs: number;
  readonly rx: { queued(): Msg[]; purge(): void };
  /** A listener's connections not yet accepted: their queues count as the listener's own. */
  readonly acceptq?: readonly Carrier[];
}

/** The messages a socket holds: its queue's, and a listener's embryos' (scan_children). */
function held(s: Carrier): Msg[] {
  const own = s.rx.queued();
  if (!s.acceptq?.length) return own;
  return own.concat(...s.acceptq.map((e) => e.rx.queued()));
}

/** Sockets whose receive queue may hold descriptors (a superset: collect() prunes it). */
const carriers = new Set<Carrier>();

export function carrying(s: Carrier): void {
  carriers.add(s);
}

/** Whether a collection could find anything (called on every close of a socket descriptor). */
export function anyInFlight(): boolean {
  return carriers.size > 0;
}

/**
 * Runs inside the close that prompted it: every place that lets go of queued descriptors takes
 * them off their message first (purge, releaseRights), so the queues it scans are consistent.
 */
export function collect(): void {
  const inflight = new Map<OpenFile, number>();
  for (const s of carriers) {
    let holds = false;
    for (const m of s.rx.queued()) {
      if (!m.rights) continue;
      holds = true;
      for (const f of m.rights) inflight.set(f, (inflight.get(f) ?? 0) + 1);
    }
    if (!holds) carriers.delete(s);
  }
  // candidates: sockets every reference of which is a queued message
  const candidates = new Set<Carrier>();
  for (const [f, n] of inflight) if ('rx' in f && f.refs === n) candidates.add(f as unknown as Carrier);
  if (candidates.size === 0) return;
  // a candidate listener's embryos live and die with it
  const embryos = new Set<Carrier>();
  for (const c of candidates) for (const e of c.acceptq ?? []) embryos.add(e);
  // what a socket that is still open can reach through its queue stays
  const work = [...carriers].filter((s) => !candidates.has(s) && !embryos.has(s));
  while (work.length > 0) {
    const s = work.pop()!;
    for (const m of held(s)) {
      for (const f of m.rights ?? []) {
        const c = f as unknown as Carrier;
        if (candidates.delete(c)) work.push(c);
      }
    }
  }
  for (const s of candidates) {
    carriers.delete(s);
    for (const e of s.acceptq ?? []) e.rx.purge();
    s.rx.purge(); // frees the others of the ring; each frees itself when its last reference goes
  }
}

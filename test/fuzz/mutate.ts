// Byte-level mutations of fuzz inputs (flip, replace with interesting values, insert, delete,
// duplicate, splice with another input), plus the same cuts at call boundaries, which the
// decoder reports, so whole calls move between programs.
import { decode } from './codec.js';

export const MAX_INPUT = 4096;

/** mulberry32: small, fast, and replayable from its seed. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x40, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5];
const INTERESTING_WIDE: [number, number[]][] = [
  [2, [0xffff, 0x7fff, 0x8000, 0x100, 0x1000]],
  [4, [0xffffffff, 0x7fffffff, 0x80000000, 0x10000, 0xfffffffe]],
];

export class Mutator {
  constructor(readonly rand: () => number) {}

  private n(k: number): number {
    return Math.floor(this.rand() * k);
  }

  /** Where the calls of data start (and its end), to cut between calls. */
  private cuts(data: Uint8Array): number[] {
    return [...decode(data).offsets, data.length];
  }

  /** One mutated copy of data; other is a second corpus input for splicing. */
  mutate(data: Uint8Array, other: Uint8Array): Uint8Array {
    let b = Array.from(data);
    for (let rounds = 1 + this.n(4); rounds > 0; rounds--) b = this.once(b, other);
    if (b.length > MAX_INPUT) b.length = MAX_INPUT;
    return Uint8Array.from(b);
  }

  private once(b: number[], other: Uint8Array): number[] {
    const at = b.length ? this.n(b.length) : 0;
    switch (this.n(11)) {
      case 0: // flip a bit
        if (b.length) b[at] ^= 1 << this.n(8);
        return b;
      case 1: // a random byte
        if (b.length) b[at] = this.n(256);
        return b;
      case 2: // an interesting byte
        if (b.length) b[at] = INTERESTING[this.n(INTERESTING.length)];
        return b;
      case 3: {
        // an interesting 16 or 32-bit value
        const [w, vals] = INTERESTING_WIDE[this.n(2)];
        const v = vals[this.n(vals.length)];
        for (let i = 0; i < w && at + i < b.length; i++) b[at + i] = (v >>> (8 * i)) & 0xff;
        return b;
      }
      case 4: // a small increment
        if (b.length) b[at] = (b[at] + 1 + this.n(8) - 4) & 0xff;
        return b;
      case 5: {
        // insert random bytes
        const add = Array.from({ length: 1 + this.n(16) }, () => this.n(256));
        b.splice(at, 0, ...add);
        return b;
      }
      case 6: // delete a range
        b.splice(at, 1 + this.n(Math.min(32, b.length - at)));
        return b;
      case 7: {
        // duplicate a range elsewhere
        const from = this.n(Math.max(1, b.length));
        const chunk = b.slice(from, from + 1 + this.n(32));
        b.splice(this.n(b.length + 1), 0, ...chunk);
        return b;
      }
      case 8: {
        // splice: our head, the other's tail
        const cut = this.n(other.length + 1);
        return [...b.slice(0, at), ...other.subarray(cut)];
      }
      case 9: {
        // remove or duplicate a whole call
        const cuts = this.cuts(Uint8Array.from(b));
        if (cuts.length < 2) return b;
        const i = this.n(cuts.length - 1);
        const call = b.slice(cuts[i], cuts[i + 1]);
        if (this.n(2)) b.splice(cuts[i], call.length);
        else b.splice(cuts[this.n(cuts.length)], 0, ...call);
        return b;
      }
      default: {
        // insert a call of the other input between two of ours
        const theirs = this.cuts(other);
        const ours = this.cuts(Uint8Array.from(b));
        if (theirs.length < 2) return b;
        const i = this.n(theirs.length - 1);
        b.splice(ours[this.n(ours.length)], 0, ...other.subarray(theirs[i], theirs[i + 1]));
        return b;
      }
    }
  }
}

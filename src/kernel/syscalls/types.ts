import type { Kernel } from '../kernel.js';
import type { Call } from '../call.js';

/** A syscall handler: a result, -errno, or CONTINUE / ANSWERED / BLOCKED (see call.ts). */
export type Handler = (k: Kernel, c: Call) => number;
export type Family = Readonly<Record<string, Handler>>;

// What the host knows of a guest thread's signal state, read from the host's /proc (the kernel
// records dispositions itself once rt_sigaction is emulated).
import { readFileSync } from 'node:fs';

export const enum Disposition {
  Default,
  Ignored,
  Caught,
}

export interface SignalState {
  disposition: Disposition;
  blocked: boolean;
}

/** A signal field of /proc/TID/status (SigPnd, ShdPnd, SigBlk, SigIgn, SigCgt) of text. */
function sigField(text: string, name: string): bigint {
  return BigInt('0x' + (new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(text)?.[1] ?? '0'));
}

function statusText(tid: number): string | undefined {
  try {
    return readFileSync(`/proc/${tid}/status`, 'latin1');
  } catch {
    return undefined;
  }
}

// Signals whose default action is to do nothing, or to stop (signal(7)).
const DEFAULT_IGNORED = (1n << 16n) | (1n << 17n) | (1n << 22n) | (1n << 27n); // CHLD CONT URG WINCH
const DEFAULT_STOP = (1n << 18n) | (1n << 19n) | (1n << 20n) | (1n << 21n); // STOP TSTP TTIN TTOU

/**
 * Whether tid has a signal pending that it does not block (so it would be interrupted). With
 * mask, the mask of a wait (ppoll & co) stands for the thread's own, and only signals that would
 * run a handler or end the process count: one without either would only restart the call.
 */
export function hasUnblockedSignal(tid: number, mask?: bigint): boolean {
  const text = statusText(tid);
  if (text === undefined) return false;
  const pending = sigField(text, 'SigPnd') | sigField(text, 'ShdPnd');
  if (mask === undefined) return (pending & ~sigField(text, 'SigBlk')) !== 0n;
  const acting = sigField(text, 'SigCgt') | ~(sigField(text, 'SigIgn') | DEFAULT_IGNORED | DEFAULT_STOP);
  return (pending & ~mask & acting) !== 0n;
}

/** The signals pending for tid, its own and its process's (SigPnd | ShdPnd), as a mask. */
export function pendingSignals(tid: number): bigint {
  const text = statusText(tid);
  return text === undefined ? 0n : sigField(text, 'SigPnd') | sigField(text, 'ShdPnd');
}

export function signalState(tid: number, sig: number): SignalState {
  const text = statusText(tid);
  if (text === undefined) return { disposition: Disposition.Default, blocked: false };
  const bit = (name: string) => ((sigField(text, name) >> BigInt(sig - 1)) & 1n) !== 0n;
  const disposition = bit('SigIgn') ? Disposition.Ignored : bit('SigCgt') ? Disposition.Caught : Disposition.Default;
  return { disposition, blocked: bit('SigBlk') };
}

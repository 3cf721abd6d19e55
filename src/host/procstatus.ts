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

function bit(mask: string | undefined, sig: number): boolean {
  if (!mask) return false;
  return (BigInt('0x' + mask) >> BigInt(sig - 1)) & 1n ? true : false;
}

export function signalState(tid: number, sig: number): SignalState {
  let text = '';
  try {
    text = readFileSync(`/proc/${tid}/status`, 'latin1');
  } catch {
    return { disposition: Disposition.Default, blocked: false };
  }
  const field = (name: string) => new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(text)?.[1];
  const disposition = bit(field('SigIgn'), sig) ? Disposition.Ignored : bit(field('SigCgt'), sig) ? Disposition.Caught : Disposition.Default;
  return { disposition, blocked: bit(field('SigBlk'), sig) };
}

/** Whether tid has a signal pending that it does not block (so it would be interrupted). */
export function hasUnblockedSignal(tid: number): boolean {
  let text: string;
  try {
    text = readFileSync(`/proc/${tid}/status`, 'latin1');
  } catch {
    return false;
  }
  const field = (name: string) => BigInt('0x' + (new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(text)?.[1] ?? '0'));
  return ((field('SigPnd') | field('ShdPnd')) & ~field('SigBlk')) !== 0n;
}

/** The signals pending for tid, its own and its process's (SigPnd | ShdPnd), as a mask. */
export function pendingSignals(tid: number): bigint {
  let text: string;
  try {
    text = readFileSync(`/proc/${tid}/status`, 'latin1');
  } catch {
    return 0n;
  }
  const field = (name: string) => BigInt('0x' + (new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(text)?.[1] ?? '0'));
  return field('SigPnd') | field('ShdPnd');
}

// Types for images.mjs, for TypeScript callers (tests).
export const REPO_ROOT: string;
export const OUT_ROOT: string;
export const IMAGES: Record<
  string,
  | { kind: 'cargo'; dir: string }
  | { kind: 'busybox'; package: string }
  | { kind: 'c-tests'; dir: string }
  | { kind: 'dora'; dir: string; requirements: string; cargo: { dir: string; bin: string; minCargo: [number, number] } }
>;
export function imageNames(): string[];
export function imageDir(name: string): string;
export function staleReason(name: string): string | null;
export function findCargo(min?: [number, number]): { cargo: string; version: string };
export function findPython(): { python: string; version: string };
export function ensureImage(name: string, options?: { log?: (line: string) => void; verbose?: boolean }): Promise<string>;
export function cTestNames(): string[];
export function compileCTest(name: string, isStatic?: boolean): string;

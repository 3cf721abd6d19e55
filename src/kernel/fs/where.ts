// Where an open directory is now. A directory descriptor (and the working directory) follows
// the directory through renames, as Linux's does: its guest path is recomputed from the host's
// view of our descriptor whenever a rename or removal may have moved it.
import type { OpenFile } from '../fd/openfile.js';
import * as host from '../../host/sys.js';
import { ENOENT } from '../errno.js';
import { relBelow } from './mount.js';

/** Bumped by every rename, unlink and rmdir the kernel makes. */
let generation = 0;
export function namespaceChanged(): void {
  generation++;
}

export function currentPath(f: OpenFile): string | number {
  if (f.whereGen === generation) return f.whereNow;
  const fd = f.statFd();
  const m = f.mount;
  let now: string | number = f.guestPath;
  if (fd >= 0 && m) {
    const target = host.readlinkat(host.AT_FDCWD, `/proc/self/fd/${fd}`);
    if (typeof target === 'string') {
      if (target.endsWith(' (deleted)')) now = -ENOENT;
      else {
        // an overlay's directory may be open in either layer
        for (const layer of m.layers()) {
          const rel = relBelow(layer.host, target);
          if (rel === undefined) continue;
          now = rel === '.' ? m.guest : m.guest === '/' ? '/' + rel : `${m.guest}/${rel}`;
          break;
        }
      }
    }
  }
  if (typeof now === 'string') {
    f.whereGen = generation;
    f.whereNow = now;
  }
  return now;
}

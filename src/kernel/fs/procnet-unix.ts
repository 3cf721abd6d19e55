// /proc/net/unix: every unix socket of the sandbox, as net/unix/af_unix.c's unix_seq_show prints it.
import type { UnixNamespace } from '../net/unix.js';
import { UnixDgram } from '../net/unix.js';
import { StreamSocket } from '../net/stream.js';
import type { Socket } from '../net/socket.js';
import { UnixName } from '../net/sockaddr.js';
import { PTR, hex } from './procnet-inet.js';

const __SO_ACCEPTCON = 1 << 16;
const SS_UNCONNECTED = 1;
const SS_CONNECTING = 2;
const SS_CONNECTED = 3;

export const UNIX_HEADER = 'Num       RefCount Protocol Flags    Type St Inode Path\n';

/** The sun_path as printed: an abstract name starts with '@' and shows its NULs as '@'. */
function pathOf(name: Socket['local']): string {
  if (!(name instanceof UnixName)) return '';
  return name.kind === 'abstract' ? ` @${name.name.replace(/\0/g, '@')}` : ` ${name.name}`;
}

export function unixTable(ns: UnixNamespace): string {
  // a socket holds a reference to its peer (unix_peer), besides the file's and the table's
  const held = new Map<Socket, number>();
  const unaccepted = new Set<Socket>();
  for (const s of ns.sockets) {
    const p = s instanceof StreamSocket ? (s.peerGone ? undefined : s.peer) : (s as UnixDgram).peer;
    if (p && !(p instanceof UnixDgram && p.dead)) held.set(p, (held.get(p) ?? 0) + 1);
    if (s instanceof StreamSocket) for (const a of s.acceptq) unaccepted.add(a);
  }
  let out = UNIX_HEADER;
  for (const s of ns.sockets) {
    const stream = s instanceof StreamSocket ? s : undefined;
    const listening = stream?.state === 'listening';
    const established = stream ? stream.state === 'connected' : (s as UnixDgram).peer !== undefined || (s as UnixDgram).established;
    // a connection in the accept queue has no struct socket yet: SS_CONNECTING and no inode
    const embryo = unaccepted.has(s);
    const st = embryo ? SS_CONNECTING : established ? SS_CONNECTED : SS_UNCONNECTED;
    const refs = 2 + (held.get(s) ?? 0);
    out += `${PTR}: ${hex(refs, 8)} 00000000 ${hex(listening ? __SO_ACCEPTCON : 0, 8)} ${hex(s.type, 4)} ${hex(st, 2)} ${String(embryo ? 0 : s.ino).padStart(5)}${pathOf(s.local)}\n`;
  }
  return out;
}

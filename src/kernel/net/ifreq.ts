// The sandbox's one network interface, lo, as the SIOCGIF* ioctls (netdevice(7)) describe it;
// rtnetlink (netlink.ts) reports the same.
import type { Kernel } from '../kernel.js';
import type { Task } from '../task.js';
import * as E from '../errno.js';
import { AF_INET } from './sockaddr.js';

export const LO_INDEX = 1;
export const LO_MTU = 65536;
/** IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_MULTICAST | IFF_LOWER_UP: lo carries the sandbox's multicast. */
export const LO_FLAGS = 0x1 | 0x8 | 0x40 | 0x1000 | 0x10000;
export const ARPHRD_LOOPBACK = 772;

const SIOCGIFNAME = 0x8910;
const SIOCGIFCONF = 0x8912;
const SIOCGIFFLAGS = 0x8913;
const SIOCGIFADDR = 0x8915;
const SIOCGIFNETMASK = 0x891b;
const SIOCGIFMTU = 0x8921;
const SIOCGIFHWADDR = 0x8927;
const SIOCGIFINDEX = 0x8933;
const IFREQ = 40;

/** The SIOCGIF* requests (netdevice(7)) about lo; undefined for any other request. */
export function interfaceIoctl(k: Kernel, t: Task, req: number, arg: number): number | undefined {
  const m = k.mem;
  if (req === SIOCGIFCONF) {
    const r = m.read(t.tid, arg, 16);
    if (r < 0) return r;
    const len = m.view.getInt32(0, true);
    const buf = Number(m.view.getBigUint64(8, true));
    if (buf !== 0) {
      if (len < IFREQ) return m.putI32(t.tid, arg, 0);
      m.buf.fill(0, 0, IFREQ);
      m.buf.write('lo', 0, 'latin1');
      m.buf.writeUInt16LE(AF_INET, 16);
      m.buf.set([127, 0, 0, 1], 20);
      const w = m.write(t.tid, buf, IFREQ);
      if (w < 0) return w;
    }
    return m.putI32(t.tid, arg, IFREQ);
  }
  if (![SIOCGIFNAME, SIOCGIFFLAGS, SIOCGIFADDR, SIOCGIFNETMASK, SIOCGIFMTU, SIOCGIFHWADDR, SIOCGIFINDEX].includes(req)) return undefined;
  const r = m.read(t.tid, arg, IFREQ);
  if (r < 0) return r;
  if (req === SIOCGIFNAME) {
    if (m.view.getInt32(16, true) !== LO_INDEX) return -E.ENODEV;
    m.buf.fill(0, 0, 16);
    m.buf.write('lo', 0, 'latin1');
    return m.write(t.tid, arg, IFREQ);
  }
  const nul = m.buf.indexOf(0);
  if (m.buf.toString('latin1', 0, nul < 0 || nul > 16 ? 16 : nul) !== 'lo') return -E.ENODEV;
  m.buf.fill(0, 16, IFREQ);
  switch (req) {
    case SIOCGIFINDEX:
      m.view.setInt32(16, LO_INDEX, true);
      break;
    case SIOCGIFFLAGS:
      m.view.setInt16(16, LO_FLAGS & 0xffff, true);
      break;
    case SIOCGIFMTU:
      m.view.setInt32(16, LO_MTU, true);
      break;
    case SIOCGIFADDR:
    case SIOCGIFNETMASK:
      m.buf.writeUInt16LE(AF_INET, 16);
      m.buf.set(req === SIOCGIFADDR ? [127, 0, 0, 1] : [255, 0, 0, 0], 20);
      break;
    case SIOCGIFHWADDR:
      m.buf.writeUInt16LE(ARPHRD_LOOPBACK, 16);
      break;
  }
  return m.write(t.tid, arg, IFREQ);
}

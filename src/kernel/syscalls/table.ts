// The single syscall table: number -> handler, merged from one module per family.
import type { Handler, Family } from './types.js';
import { NR } from '../abi/sysnames.js';
import { fdFamily } from './fd.js';
import { rwFamily } from './rw.js';
import { fsFamily } from './fs.js';
import { statFamily } from './stat.js';
import { pipeFamily } from './pipe.js';
import { processFamily } from './process.js';
import { infoFamily } from './info.js';
import { xattrFamily } from './xattr.js';
import { pollFamily } from './poll.js';
import { eventfdFamily } from './eventfd.js';
import { epollFamily } from './epoll.js';
import { timerfdFamily } from './timerfd.js';
import { socketFamily } from './socket.js';
import { sendrecvFamily } from './sendrecv.js';
import { privilegedFamily } from './privileged.js';
import { futexFamily } from './futex.js';
import { signalfdFamily } from './signalfd.js';

const FAMILIES: Family[] = [fdFamily, rwFamily, fsFamily, statFamily, pipeFamily, processFamily, infoFamily, xattrFamily, pollFamily, eventfdFamily, epollFamily, timerfdFamily, socketFamily, sendrecvFamily, privilegedFamily, futexFamily, signalfdFamily];

function build(): (Handler | undefined)[] {
  const table: (Handler | undefined)[] = [];
  for (const fam of FAMILIES) {
    for (const [name, h] of Object.entries(fam)) {
      const nr = NR[name] ?? (name === 'fchmodat2' ? 452 : undefined);
      if (nr === undefined) throw new Error(`syscall table: unknown syscall name ${name}`);
      if (table[nr] !== undefined) throw new Error(`syscall table: ${name} defined twice`);
      table[nr] = h;
    }
  }
  return table;
}

export const SYSCALL_TABLE: readonly (Handler | undefined)[] = build();

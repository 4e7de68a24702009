// View models of the state tables the engine derives from events.

export interface ProcessNode {
  /** Unique key: `${tgid}@${startTs}` so pid reuse never merges two processes. */
  key: string;
  tgid: number;
  ppid: number;
  parentKey?: string;
  containerId?: string;
  exe: string;
  argv: string[];
  cwd?: string;
  uid: number;
  comm: string;
  start: number;
  exit?: number;
  exitCode?: number;
  exitSignal?: number;
  /** Earlier programs this pid ran before exec-ing the current one, oldest first. */
  lineage: Array<{ exe: string; argv: string[]; ts: number }>;
  /** Programs left out of `lineage` between its first entry and the rest (a pid that execs in a loop). */
  lineageOmitted?: number;
  /** Seeded from /proc or `docker top`, not observed starting. */
  seeded?: boolean;
  /** Started via `docker exec` rather than from the container's init. */
  fromExec?: boolean;
  /** First seen acting (no fork/exec observed, not seeded): start is when it was first seen. */
  inferred?: boolean;
  /** Live threads folded into this process besides the main one (observed clone(CLONE_THREAD)). */
  threads?: number;
}

export type FileChangeKind = 'created' | 'modified' | 'deleted' | 'renamed' | 'permissions';

export interface FileChange {
  /** Identity assigned once by the file table (state/keys.ts); every other layer uses it, never builds its own. */
  key: string;
  containerId: string;
  path: string;
  kinds: FileChangeKind[];
  renamedFrom?: string;
  mode?: number;
  first: number;
  last: number;
  processKey?: string;
  exe?: string;
  /** Known from `docker diff` (image-relative). */
  inDiff?: boolean;
  /** A new executable file (drift). */
  executable?: boolean;
}

export interface Flow {
  /**
   * Identity assigned once by the flow aggregator (state/keys.ts): outbound by remote endpoint, inbound by client
   * address and local port. Every other layer uses it, never builds its own.
   */
  key: string;
  containerId: string;
  direction: 'outbound' | 'inbound';
  proto: 'tcp' | 'udp' | 'unix' | 'other';
  remoteAddr: string;
  remotePort: number;
  /** Inbound flows: the local port that was connected to (the peer's ephemeral port is not kept). */
  localPort?: number;
  dnsName?: string;
  /** When the remote is another known container. */
  remoteContainer?: string;
  count: number;
  failures: number;
  first: number;
  last: number;
  exes: string[];
}

export interface ListeningSocket {
  /** Identity assigned once by the flow aggregator (state/keys.ts). */
  key: string;
  containerId: string;
  proto: 'tcp' | 'udp' | 'unix' | 'other';
  addr: string;
  port: number;
  exe: string;
  since: number;
}

export interface ResourceSample {
  containerId: string;
  ts: number;
  cpuPercent: number;
  memBytes: number;
  memLimit: number;
  pids: number;
  pidsLimit?: number;
  netRxBytes: number;
  netTxBytes: number;
}

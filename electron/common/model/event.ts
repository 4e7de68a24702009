// Runtime events as the engine reasons about them: decoded helper records, attributed to a container.

/** Every event kind the sensor can report. Append-only: names are stored in recordings. */
export const EVENT_KINDS = [
  // process
  'exec', 'fork', 'exit',
  // file
  'open', 'unlink', 'rename', 'chmod', 'chown', 'mkdir', 'link', 'symlink', 'mount', 'umount',
  // network
  'connect', 'accept', 'bind', 'listen', 'dns',
  // privilege and escape signals
  'setuid', 'setgid', 'capset', 'ptrace', 'module', 'bpf', 'unshare', 'setns', 'chroot',
  'memfd', 'mprotect', 'mmap',
  // an io_uring instance: its operations bypass the syscall hooks
  'io_uring',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/**
 * Each kind's code: its index in EVENT_KINDS, defined here once. The wire (GH_KIND_<NAME>, proven by the drift
 * check), the recording's chunks and the state tables all use it; EVENT_KINDS is append-only.
 */
export const KIND_CODE: Readonly<Record<EventKind, number>> = Object.fromEntries(EVENT_KINDS.map((k, i) => [k, i])) as Record<EventKind, number>;

export type EventFamily = 'process' | 'file' | 'network' | 'privilege';

export const EVENT_FAMILY: Readonly<Record<EventKind, EventFamily>> = {
  exec: 'process', fork: 'process', exit: 'process',
  open: 'file', unlink: 'file', rename: 'file', chmod: 'file', chown: 'file', mkdir: 'file',
  link: 'file', symlink: 'file', mount: 'file', umount: 'file',
  connect: 'network', accept: 'network', bind: 'network', listen: 'network', dns: 'network',
  setuid: 'privilege', setgid: 'privilege', capset: 'privilege', ptrace: 'privilege', module: 'privilege',
  bpf: 'privilege', unshare: 'privilege', setns: 'privilege', chroot: 'privilege', memfd: 'privilege',
  mprotect: 'privilege', mmap: 'privilege', io_uring: 'privilege',
};

/** Fields every event carries (from the helper's common record header). */
export interface EventBase {
  /** Wall-clock time, milliseconds since the Unix epoch, with sub-millisecond fraction. */
  ts: number;
  /** Monotonic sequence number within one capture source; breaks ties in ts. */
  seq: number;
  /** Thread id (kernel pid). */
  pid: number;
  /** Process id (kernel tgid). */
  tgid: number;
  /** Parent process id (tgid of real_parent). */
  ppid: number;
  uid: number;
  gid: number;
  /** Kernel task comm (≤ 15 bytes). */
  comm: string;
  /** cgroup v2 inode id as a decimal string (u64 does not fit a JS number safely). */
  cgroupId: string;
  /** Mount namespace inode number. */
  mntns: number;
  /** Full 64-hex container id once attributed; undefined for host processes. */
  containerId?: string;
}

export type ExecEvent = EventBase & {
  kind: 'exec';
  filename: string;
  argv: string[];
  /** True when argv was cut at the helper's bound. */
  argvTruncated?: boolean;
  cwd?: string;
  /** Executed from a memfd (fileless). */
  memfd?: boolean;
  ret: number;
};
export type ForkEvent = EventBase & { kind: 'fork'; childPid: number; childTgid: number; thread: boolean };
export type ExitEvent = EventBase & { kind: 'exit'; code: number; signal: number; thread: boolean };

export type OpenEvent = EventBase & { kind: 'open'; path: string; flags: number; mode: number; ret: number };
export type PathEvent = EventBase & { kind: 'unlink' | 'mkdir' | 'chroot' | 'umount'; path: string; ret: number };
export type RenameEvent = EventBase & { kind: 'rename' | 'link' | 'symlink'; path: string; newPath: string; ret: number };
export type ChmodEvent = EventBase & { kind: 'chmod'; path: string; mode: number; ret: number };
export type ChownEvent = EventBase & { kind: 'chown'; path: string; owner: number; group: number; ret: number };
export type MountEvent = EventBase & { kind: 'mount'; source: string; path: string; fstype: string; flags: number; ret: number };

export type SockFamily = 'inet' | 'inet6' | 'unix' | 'other';
export type L4Proto = 'tcp' | 'udp' | 'unix' | 'other';
export type NetEvent = EventBase & {
  kind: 'connect' | 'accept' | 'bind' | 'listen';
  family: SockFamily;
  proto: L4Proto;
  /** Local address/port where known (bind/listen/accept). */
  saddr?: string;
  sport?: number;
  /** Remote address/port (connect/accept). */
  daddr?: string;
  dport?: number;
  unixPath?: string;
  fd: number;
  ret: number;
};
export type DnsEvent = EventBase & {
  kind: 'dns'; qname: string; qtype: number; daddr: string; dport: number;
  /** Addresses from the answer, when the sensor saw the response. */
  answers?: string[];
};

export type SetIdEvent = EventBase & { kind: 'setuid' | 'setgid'; syscall: string; target: number[]; ret: number };
export type CapsetEvent = EventBase & { kind: 'capset'; effective: string; permitted: string; ret: number };
export type PtraceEvent = EventBase & { kind: 'ptrace'; request: number; targetPid: number; ret: number };
export type ModuleEvent = EventBase & { kind: 'module'; name: string; ret: number };
export type BpfEvent = EventBase & { kind: 'bpf'; cmd: number; ret: number };
export type NsEvent = EventBase & { kind: 'unshare' | 'setns'; flags: number; ret: number };
export type MemfdEvent = EventBase & { kind: 'memfd'; name: string; flags: number; ret: number };
export type MemProtEvent = EventBase & { kind: 'mprotect' | 'mmap'; addr: string; len: number; prot: number; flags: number; ret: number };
/** io_uring_setup: `entries` asked for, IORING_SETUP_* `flags`; ret is the ring's fd. */
export type IoUringEvent = EventBase & { kind: 'io_uring'; entries: number; flags: number; ret: number };

export type RuntimeEvent =
  | ExecEvent | ForkEvent | ExitEvent
  | OpenEvent | PathEvent | RenameEvent | ChmodEvent | ChownEvent | MountEvent
  | NetEvent | DnsEvent
  | SetIdEvent | CapsetEvent | PtraceEvent | ModuleEvent | BpfEvent | NsEvent | MemfdEvent | MemProtEvent | IoUringEvent;

/** Open flags as Linux defines them (x86_64 / generic). */
export const O_FLAGS = {
  O_WRONLY: 0o1, O_RDWR: 0o2, O_CREAT: 0o100, O_EXCL: 0o200, O_TRUNC: 0o1000, O_APPEND: 0o2000,
} as const;

export const PROT_EXEC = 0x4;

/** Counters the helper reports once a second; a recording sums them so loss is never hidden. */
export interface SensorStats {
  ts: number;
  eventsByKind: Partial<Record<EventKind, number>>;
  ringDrops: number;
  queueDrops: number;
  /** Frames on the stream that failed to decode and were skipped. */
  corruptFrames: number;
  cpuUserMs: number;
  cpuSysMs: number;
  rssKb: number;
  /** Kinds whose hooks could not attach on this kernel. */
  unsupportedKinds: EventKind[];
  /** Gaps (helper restarts), each [startTs, endTs]. */
  gaps: Array<[number, number]>;
}


/** A process that already ran when the sensor began watching its container (seeded from /proc), so the
 * process tree is whole. Same identity fields as events; `startTs` is when the process started. */
export interface ProcessSeed extends EventBase {
  exe: string;
  argv: string[];
  cwd?: string;
  startTs: number;
}

/** A period the sensor could not see (helper restart, crash): events in [from, to] are missing. */
export interface SensorGap {
  from: number;
  to: number;
  reason: string;
}

// Falco field names → extractors over RuntimeEvent + RuleContext, resolved once per (field, event kind).
import type { EventKind, RuntimeEvent } from '../model/event';
import { O_FLAGS } from '../model/event';
import type { RuleContext, RuleProcess, RuleContainer } from './context';
import { syscallName } from './evttype';

export type FieldValue = string | number | boolean | readonly string[] | readonly number[] | undefined;
export type FieldType = 'string' | 'number' | 'bool';
export type Extractor = (ev: RuntimeEvent, ctx: RuleContext) => FieldValue;

export interface FieldSpec {
  name: string;
  type: FieldType;
  /** How the field takes an argument: `proc.aname[2]`, `evt.arg.flags`. */
  arg?: 'index' | 'optional-index' | 'name';
  /** Returns a list when used without an index (e.g. every ancestor's name); compared with "any element". */
  listWithoutArg?: boolean;
  desc: string;
  /** The extractor for events of `kind`, or undefined when the field has no value for that kind. */
  forKind(kind: EventKind, arg: string | undefined): Extractor | undefined;
  /** When the value is one event property for this kind, its name: lets the compiler read it inline. */
  prop?(kind: EventKind, arg: string | undefined): string | undefined;
}

/** The event type whose `kind` union includes K (PathEvent covers unlink, mkdir, ...). */
type E<K extends EventKind> = RuntimeEvent extends infer T ? (T extends { kind: infer KK } ? (K extends KK ? T : never) : never) : never;

const basename = (p: string): string => {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
};
const dirname = (p: string): string => {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
};

const MAX_ANCESTORS = 32;

/** The acting process's own record for non-exec events; exec events describe the new program themselves. */
function selfProcess(ev: RuntimeEvent, ctx: RuleContext): RuleProcess | undefined {
  return ctx.process(ev.tgid);
}

/** The Nth ancestor (1 = parent) of the acting process. */
function ancestor(ev: RuntimeEvent, ctx: RuleContext, n: number): RuleProcess | undefined {
  let pid = ev.ppid;
  let p: RuleProcess | undefined;
  for (let i = 1; i <= n; i++) {
    if (!pid) return undefined;
    p = ctx.process(pid);
    if (!p) return undefined;
    pid = p.ppid;
  }
  return p;
}

function ancestors(ev: RuntimeEvent, ctx: RuleContext): RuleProcess[] {
  const out: RuleProcess[] = [];
  let pid = ev.ppid;
  while (pid && out.length < MAX_ANCESTORS) {
    const p = ctx.process(pid);
    if (!p) break;
    out.push(p);
    if (p.ppid === pid) break;
    pid = p.ppid;
  }
  return out;
}

/**
 * Whether `exe` is a multi-call binary (busybox, busybox-extras, toybox) or a re-exec of oneself through
 * /proc/self/exe (busybox runs applets that way): the program it runs is then named by its arguments, not its path.
 */
export function isMultiCallPath(exe: string): boolean {
  const i = exe.lastIndexOf('/') + 1;
  if (exe.startsWith('busybox', i)) return true;
  if (exe.startsWith('toybox', i) && exe.length - i === 6) return true;
  return exe === '/proc/self/exe';
}

/**
 * The applet a multi-call binary runs, as busybox chooses it: basename(argv[0]) without a login shell's "-",
 * or argv[1] when argv[0] is the binary itself (`busybox httpd -f`); undefined when argv names nothing.
 */
function appletName(argv: readonly string[]): string | undefined {
  const a0 = argv[0];
  if (!a0) return undefined;
  let name = basename(a0);
  if (name.charCodeAt(0) === 45 /* - */) name = name.slice(1);
  if (!name) return undefined;
  if (!isMultiCallPath(name)) return name;
  const a1 = argv[1];
  return a1 && a1.charCodeAt(0) !== 45 ? basename(a1) : name; // `busybox --help` is busybox itself
}

/**
 * A program's name as rules see it (proc.name, proc.pname, proc.aname): the executable's basename, except that a
 * multi-call binary is named by the applet it runs, so `/bin/busybox` started as `httpd -f` is "httpd".
 */
export function programName(exe: string, argv: readonly string[]): string {
  if (!isMultiCallPath(exe)) return basename(exe);
  return appletName(argv) ?? basename(exe);
}

/**
 * One-entry cache: consecutive events mostly come from one process, whose exe is the same string each time. Only
 * the basename and whether the exe is multi-call are cached by exe: a multi-call applet is read from argv each time.
 */
let lastExe = '';
let lastExeName = '';
let lastExeMulti = false;
const procName = (p: RuleProcess): string => {
  if (!p.exe) return p.comm;
  if (p.exe !== lastExe) { lastExe = p.exe; lastExeName = basename(p.exe); lastExeMulti = isMultiCallPath(p.exe); }
  return lastExeMulti ? appletName(p.argv) ?? lastExeName : lastExeName;
};
/** Name and arguments; `busybox httpd -f` reads "httpd -f", not "httpd httpd -f". */
function cmdline(name: string, exe: string, argv: readonly string[]): string {
  const from = argv.length > 1 && isMultiCallPath(exe) && isMultiCallPath(argv[0]) && name === basename(argv[1]) ? 2 : 1;
  return [name, ...argv.slice(from)].join(' ');
}
const procCmdline = (p: RuleProcess): string => cmdline(procName(p), p.exe, p.argv);

function selfName(ev: RuntimeEvent, ctx: RuleContext): string | undefined {
  if (ev.kind === 'exec') return programName(ev.filename, ev.argv);
  const p = selfProcess(ev, ctx);
  return p ? procName(p) : ev.comm;
}
function selfExePath(ev: RuntimeEvent, ctx: RuleContext): string | undefined {
  if (ev.kind === 'exec') return ev.filename;
  return selfProcess(ev, ctx)?.exe;
}
function selfArgv(ev: RuntimeEvent, ctx: RuleContext): string[] | undefined {
  if (ev.kind === 'exec') return ev.argv;
  return selfProcess(ev, ctx)?.argv;
}

// ---- containers ----------------------------------------------------------------------------------------

function containerOf(ev: RuntimeEvent, ctx: RuleContext): RuleContainer | undefined {
  return ev.containerId ? ctx.container(ev.containerId) : undefined;
}

interface ImageParts { repository: string; tag: string; digest: string }
const imageCache = new Map<string, ImageParts>();
/** Splits `registry:5000/ns/app:1.2@sha256:…` into repository, tag and digest. */
export function parseImageRef(image: string): ImageParts {
  let parts = imageCache.get(image);
  if (parts) return parts;
  let rest = image;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) { digest = rest.slice(at + 1); rest = rest.slice(0, at); }
  let tag = '';
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) { tag = rest.slice(colon + 1); rest = rest.slice(0, colon); }
  parts = { repository: rest, tag, digest };
  if (imageCache.size > 10_000) imageCache.clear();
  imageCache.set(image, parts);
  return parts;
}

// ---- event arguments -----------------------------------------------------------------------------------

const MODE_BITS: Array<[number, string]> = [
  [0o4000, 'S_ISUID'], [0o2000, 'S_ISGID'], [0o1000, 'S_ISVTX'],
  [0o400, 'S_IRUSR'], [0o200, 'S_IWUSR'], [0o100, 'S_IXUSR'],
  [0o40, 'S_IRGRP'], [0o20, 'S_IWGRP'], [0o10, 'S_IXGRP'],
  [0o4, 'S_IROTH'], [0o2, 'S_IWOTH'], [0o1, 'S_IXOTH'],
];
/** Renders a mode as Falco does (`S_ISUID|S_IRWXU…`) so rules can test `evt.arg.mode contains S_ISUID`. */
export function modeFlags(mode: number): string {
  return MODE_BITS.filter(([b]) => mode & b).map(([, n]) => n).join('|');
}
export function openFlags(flags: number): string {
  const out = [(flags & 3) === 0 ? 'O_RDONLY' : (flags & 3) === 1 ? 'O_WRONLY' : 'O_RDWR'];
  for (const [n, b] of Object.entries(O_FLAGS)) if (n !== 'O_WRONLY' && n !== 'O_RDWR' && flags & b) out.push(n);
  if (flags & 0o200000) out.push('O_DIRECTORY');
  if (flags & 0o2000000) out.push('O_CLOEXEC');
  if (flags & 0o20000000) out.push('O_TMPFILE');
  return out.join('|');
}
export function protFlags(prot: number): string {
  if (!prot) return 'PROT_NONE';
  const out: string[] = [];
  if (prot & 1) out.push('PROT_READ');
  if (prot & 2) out.push('PROT_WRITE');
  if (prot & 4) out.push('PROT_EXEC');
  return out.join('|');
}
const CLONE_NS: Array<[number, string]> = [
  [0x00020000, 'CLONE_NEWNS'], [0x02000000, 'CLONE_NEWCGROUP'], [0x04000000, 'CLONE_NEWUTS'],
  [0x08000000, 'CLONE_NEWIPC'], [0x10000000, 'CLONE_NEWUSER'], [0x20000000, 'CLONE_NEWPID'],
  [0x40000000, 'CLONE_NEWNET'], [0x00000080, 'CLONE_NEWTIME'],
];
export function nsFlags(flags: number): string {
  return CLONE_NS.filter(([b]) => flags & b).map(([, n]) => n).join('|');
}
const PTRACE_REQ: Record<number, string> = {
  0: 'PTRACE_TRACEME', 1: 'PTRACE_PEEKTEXT', 2: 'PTRACE_PEEKDATA', 4: 'PTRACE_POKETEXT', 5: 'PTRACE_POKEDATA',
  6: 'PTRACE_POKEUSR', 7: 'PTRACE_CONT', 8: 'PTRACE_KILL', 9: 'PTRACE_SINGLESTEP', 12: 'PTRACE_GETREGS',
  13: 'PTRACE_SETREGS', 16: 'PTRACE_ATTACH', 17: 'PTRACE_DETACH', 0x4206: 'PTRACE_SEIZE',
};

/** `evt.arg.<name>` per kind (rendered as Falco renders it) and `evt.rawarg.<name>` (numbers). */
const ARGS: { [K in EventKind]?: Record<string, (ev: E<K>, raw: boolean) => FieldValue> } = {
  exec: { filename: (e) => e.filename, exe: (e) => e.argv[0] ?? e.filename, args: (e) => e.argv.slice(1).join(' '), cwd: (e) => e.cwd, res: (e) => e.ret },
  fork: { child: (e) => e.childTgid, res: (e) => e.childPid },
  exit: { status: (e) => e.code, sig: (e) => e.signal },
  open: { name: (e) => e.path, path: (e) => e.path, flags: (e, raw) => (raw ? e.flags : openFlags(e.flags)), mode: (e, raw) => (raw ? e.mode : modeFlags(e.mode)), fd: (e) => e.ret, res: (e) => e.ret },
  unlink: { name: (e) => e.path, path: (e) => e.path, res: (e) => e.ret },
  mkdir: { path: (e) => e.path, name: (e) => e.path, res: (e) => e.ret },
  chroot: { path: (e) => e.path, res: (e) => e.ret },
  umount: { name: (e) => e.path, path: (e) => e.path, res: (e) => e.ret },
  rename: { oldpath: (e) => e.path, newpath: (e) => e.newPath, res: (e) => e.ret },
  link: { oldpath: (e) => e.path, newpath: (e) => e.newPath, res: (e) => e.ret },
  symlink: { target: (e) => e.path, linkpath: (e) => e.newPath, res: (e) => e.ret },
  chmod: { filename: (e) => e.path, path: (e) => e.path, mode: (e, raw) => (raw ? e.mode : modeFlags(e.mode)), res: (e) => e.ret },
  chown: { path: (e) => e.path, uid: (e) => e.owner, gid: (e) => e.group, res: (e) => e.ret },
  mount: { dev: (e) => e.source, dir: (e) => e.path, type: (e) => e.fstype, flags: (e) => e.flags, res: (e) => e.ret },
  connect: { fd: (e) => e.fd, res: (e) => e.ret },
  accept: { fd: (e) => e.ret, res: (e) => e.ret },
  bind: { fd: (e) => e.fd, res: (e) => e.ret },
  listen: { fd: (e) => e.fd, res: (e) => e.ret },
  dns: { name: (e) => e.qname, qtype: (e) => e.qtype },
  setuid: { uid: (e) => e.target[0], ruid: (e) => e.target[0], euid: (e) => e.target[1] ?? e.target[0], res: (e) => e.ret },
  setgid: { gid: (e) => e.target[0], rgid: (e) => e.target[0], egid: (e) => e.target[1] ?? e.target[0], res: (e) => e.ret },
  capset: { cap_effective: (e) => e.effective, cap_permitted: (e) => e.permitted, res: (e) => e.ret },
  ptrace: { request: (e, raw) => (raw ? e.request : PTRACE_REQ[e.request] ?? String(e.request)), pid: (e) => e.targetPid, res: (e) => e.ret },
  module: { name: (e) => e.name, res: (e) => e.ret },
  bpf: { cmd: (e) => e.cmd, res: (e) => e.ret },
  unshare: { flags: (e, raw) => (raw ? e.flags : nsFlags(e.flags)), res: (e) => e.ret },
  setns: { nstype: (e, raw) => (raw ? e.flags : nsFlags(e.flags)), flags: (e, raw) => (raw ? e.flags : nsFlags(e.flags)), res: (e) => e.ret },
  memfd: { name: (e) => e.name, flags: (e) => e.flags, res: (e) => e.ret },
  mprotect: { addr: (e) => e.addr, len: (e) => e.len, length: (e) => e.len, prot: (e, raw) => (raw ? e.prot : protFlags(e.prot)), res: (e) => e.ret },
  mmap: { addr: (e) => e.addr, len: (e) => e.len, length: (e) => e.len, prot: (e, raw) => (raw ? e.prot : protFlags(e.prot)), flags: (e) => e.flags, res: (e) => e.ret },
  io_uring: { entries: (e) => e.entries, flags: (e) => e.flags, res: (e) => e.ret },
};

// ---- file descriptors ----------------------------------------------------------------------------------

export const PATH_KINDS: ReadonlySet<EventKind> = new Set<EventKind>(['open', 'unlink', 'mkdir', 'chroot', 'umount', 'chmod', 'chown', 'mount', 'rename', 'link', 'symlink']);
const NET_KINDS = new Set<EventKind>(['connect', 'accept', 'bind', 'listen']);

/** The file an event is about. For rename/link/symlink it is the name being created. */
function pathExtractor(kind: EventKind): ((ev: RuntimeEvent) => string) | undefined {
  if (!PATH_KINDS.has(kind)) return undefined;
  if (kind === 'rename' || kind === 'link' || kind === 'symlink') return (ev) => (ev as E<'rename'>).newPath;
  return (ev) => (ev as E<'open'>).path;
}

type Net = E<'connect'>;
/** Falco's client/server view: for connect the remote end is the server; for accept/bind/listen, the local end. */
const serverIp = (e: Net) => (e.kind === 'connect' ? e.daddr : e.saddr);
const serverPort = (e: Net) => (e.kind === 'connect' ? e.dport : e.sport);
const clientIp = (e: Net) => (e.kind === 'connect' ? e.saddr : e.kind === 'accept' ? e.daddr : undefined);
const clientPort = (e: Net) => (e.kind === 'connect' ? e.sport : e.kind === 'accept' ? e.dport : undefined);
const remoteIp = (e: Net) => e.daddr;
const remotePort = (e: Net) => e.dport;

function netFdName(e: Net): string {
  if (e.family === 'unix') return e.unixPath ?? '';
  const c = clientIp(e), s = serverIp(e);
  if (e.kind === 'bind' || e.kind === 'listen') return `${s ?? ''}:${serverPort(e) ?? ''}`;
  return `${c ?? ''}:${clientPort(e) ?? ''}->${s ?? ''}:${serverPort(e) ?? ''}`;
}

function typechar(e: Net): string {
  return e.family === 'inet' ? '4' : e.family === 'inet6' ? '6' : e.family === 'unix' ? 'u' : 'o';
}

// ---- the registry --------------------------------------------------------------------------------------

const specs: FieldSpec[] = [];
/** Field available for every kind, one extractor. */
function all(name: string, type: FieldType, desc: string, x: Extractor, extra: Partial<FieldSpec> = {}): void {
  specs.push({ name, type, desc, forKind: () => x, ...extra });
}
function some(name: string, type: FieldType, desc: string, forKind: FieldSpec['forKind'], extra: Partial<FieldSpec> = {}): void {
  specs.push({ name, type, desc, forKind, ...extra });
}
function net(name: string, type: FieldType, desc: string, x: (e: Net, ctx: RuleContext) => FieldValue): void {
  some(name, type, desc, (k) => (NET_KINDS.has(k) ? (x as Extractor) : k === 'dns' && name === 'fd.sip' ? (ev) => (ev as E<'dns'>).daddr : k === 'dns' && name === 'fd.sport' ? (ev) => (ev as E<'dns'>).dport : undefined));
}

// evt.*
all('evt.type', 'string', 'Syscall name (see evttype.ts for how names map onto sensor event kinds).', (ev) => syscallName(ev));
all('evt.dir', 'string', 'Always "<": the sensor reports completed syscalls.', () => '<');
all('evt.num', 'number', 'Sequence number within the capture.', (ev) => ev.seq);
all('evt.time', 'string', 'Event time, ISO 8601.', (ev) => new Date(ev.ts).toISOString());
all('evt.rawtime', 'number', 'Event time in nanoseconds since the epoch.', (ev) => Math.round(ev.ts * 1e6));
some('evt.rawres', 'number', 'Syscall return value.', (k) => (k === 'fork' || k === 'exit' || k === 'dns' ? undefined : (ev) => (ev as E<'open'>).ret));
some('evt.res', 'string', 'SUCCESS, or the errno number for failures.', (k) => (k === 'fork' || k === 'exit' || k === 'dns' ? undefined : (ev) => ((ev as E<'open'>).ret < 0 ? `E${-(ev as E<'open'>).ret}` : 'SUCCESS')));
some('evt.failed', 'bool', 'The syscall failed.', (k) => (k === 'fork' || k === 'exit' || k === 'dns' ? undefined : (ev) => (ev as E<'open'>).ret < 0));
some('evt.is_open_write', 'bool', 'An open for writing.', (k) => (k === 'open' ? (ev) => ((ev as E<'open'>).flags & 3) !== 0 : undefined));
some('evt.is_open_read', 'bool', 'An open for reading.', (k) => (k === 'open' ? (ev) => ((ev as E<'open'>).flags & 3) !== 1 : undefined));
some('evt.is_open_create', 'bool', 'An open with O_CREAT.', (k) => (k === 'open' ? (ev) => ((ev as E<'open'>).flags & O_FLAGS.O_CREAT) !== 0 : undefined));
for (const [field, raw] of [['evt.arg', false], ['evt.rawarg', true]] as const) {
  some(field, 'string', `Syscall argument by name (${raw ? 'numeric' : 'rendered as Falco does'}).`, (k, arg) => {
    const f = (ARGS[k] as Record<string, (ev: RuntimeEvent, raw: boolean) => FieldValue> | undefined)?.[arg ?? ''];
    return f ? (ev) => f(ev, raw) : undefined;
  }, { arg: 'name' });
}

// proc.*
all('proc.name', 'string', 'Executable name (basename); a multi-call binary (busybox) is named by its applet: `httpd`, `sh`.', selfName);
all('proc.exe', 'string', 'argv[0] of the process.', (ev, ctx) => selfArgv(ev, ctx)?.[0] ?? selfExePath(ev, ctx));
all('proc.exepath', 'string', 'Full executable path.', selfExePath);
all('proc.args', 'string', 'Arguments (argv[1..]) joined by spaces.', (ev, ctx) => selfArgv(ev, ctx)?.slice(1).join(' '));
all('proc.cmdline', 'string', 'Name and arguments.', (ev, ctx) => {
  const argv = selfArgv(ev, ctx);
  const name = selfName(ev, ctx);
  return argv && name !== undefined ? cmdline(name, selfExePath(ev, ctx) ?? '', argv) : name;
});
all('proc.cwd', 'string', 'Working directory.', (ev, ctx) => (ev.kind === 'exec' && ev.cwd ? ev.cwd : selfProcess(ev, ctx)?.cwd));
all('proc.comm', 'string', 'Glasshouse: the kernel task name when the event happened (runc init shows as "runc:[2:INIT]" before it execs the command).', (ev) => ev.comm);
all('proc.pid', 'number', 'Process id (host tgid).', (ev) => ev.tgid);
all('thread.tid', 'number', 'Thread id.', (ev) => ev.pid);
all('proc.ppid', 'number', 'Parent process id.', (ev) => ev.ppid);
all('proc.duration', 'number', 'Nanoseconds since the process started (fork, or when it was first seen).', (ev, ctx) => {
  const p = selfProcess(ev, ctx);
  return p?.start !== undefined ? Math.max(0, Math.round((ev.ts - p.start) * 1e6)) : undefined;
});
all('proc.pname', 'string', 'Parent name.', (ev, ctx) => { const p = ancestor(ev, ctx, 1); return p && procName(p); });
all('proc.pexe', 'string', 'Parent argv[0].', (ev, ctx) => { const p = ancestor(ev, ctx, 1); return p && (p.argv[0] ?? p.exe); });
all('proc.pexepath', 'string', 'Parent executable path.', (ev, ctx) => ancestor(ev, ctx, 1)?.exe);
all('proc.pcmdline', 'string', 'Parent command line.', (ev, ctx) => { const p = ancestor(ev, ctx, 1); return p && procCmdline(p); });
all('proc.tty', 'number', 'Controlling terminal (0: none).', (ev, ctx) => {
  const p = selfProcess(ev, ctx) ?? ancestor(ev, ctx, 1);
  return p ? p.tty ?? 0 : undefined;
});
all('proc.sid', 'number', 'Session id.', (ev, ctx) => (selfProcess(ev, ctx) ?? ancestor(ev, ctx, 1))?.sid);
all('proc.sname', 'string', 'Name of the process\'s session leader (the process whose pid is its session id).', (ev, ctx) => {
  const sid = (selfProcess(ev, ctx) ?? ancestor(ev, ctx, 1))?.sid;
  const leader = sid ? ctx.process(sid) : undefined;
  return leader && procName(leader);
});
all('proc.is_container_exec', 'bool', 'Glasshouse: the process was started by `docker exec` (or descends from one).', (ev, ctx) => {
  const p = selfProcess(ev, ctx);
  if (p?.fromExec) return true;
  // The same walk as ancestors(), without building the list: this runs on every exec.
  let pid = ev.ppid;
  for (let n = 0; pid && n < MAX_ANCESTORS; n++) {
    const a = ctx.process(pid);
    if (!a) return false;
    if (a.fromExec === true) return true;
    if (a.ppid === pid) return false;
    pid = a.ppid;
  }
  return false;
});
all('proc.aname', 'string', 'Name of the Nth ancestor (0 = self, 1 = parent); without an index: any ancestor.', (ev, ctx) => ancestors(ev, ctx).map(procName), {
  arg: 'optional-index', listWithoutArg: true,
  forKind: (_k, arg) => {
    if (arg === undefined) return (ev, ctx) => ancestors(ev, ctx).map(procName);
    const n = Number(arg);
    if (n === 0) return selfName;
    return (ev, ctx) => { const p = ancestor(ev, ctx, n); return p && procName(p); };
  },
});
all('proc.apid', 'number', 'Pid of the Nth ancestor; without an index: any ancestor.', () => undefined, {
  arg: 'optional-index', listWithoutArg: true,
  forKind: (_k, arg) => {
    if (arg === undefined) return (ev, ctx) => ancestors(ev, ctx).map((p) => p.tgid);
    const n = Number(arg);
    if (n === 0) return (ev) => ev.tgid;
    return (ev, ctx) => ancestor(ev, ctx, n)?.tgid;
  },
});
all('proc.aexepath', 'string', 'Executable path of the Nth ancestor; without an index: any ancestor.', () => undefined, {
  arg: 'optional-index', listWithoutArg: true,
  forKind: (_k, arg) => {
    if (arg === undefined) return (ev, ctx) => ancestors(ev, ctx).map((p) => p.exe);
    const n = Number(arg);
    if (n === 0) return selfExePath;
    return (ev, ctx) => ancestor(ev, ctx, n)?.exe;
  },
});
all('proc.is_exe_upper_layer', 'bool', 'The executable is not from the image: it was created or replaced in the container (drift).', (ev, ctx) => {
  const exe = selfExePath(ev, ctx);
  if (!exe || !ev.containerId || !ctx.fileInImage) return undefined;
  const inImage = ctx.fileInImage(ev.containerId, exe);
  return inImage === undefined ? undefined : !inImage;
});
all('glasshouse.exe_written', 'bool', 'Glasshouse: the container wrote the executable after it started.', (ev, ctx) => {
  const exe = selfExePath(ev, ctx);
  if (!exe || !ev.containerId || !ctx.fileWrittenSinceStart) return undefined;
  return ctx.fileWrittenSinceStart(ev.containerId, exe);
});
some('proc.is_exe_from_memfd', 'bool', 'The program was executed from a memfd (fileless).', (k) => (k === 'exec' ? (ev) => (ev as E<'exec'>).memfd === true || (ev as E<'exec'>).filename.startsWith('/memfd:') : undefined));

// user.*
all('user.uid', 'number', 'User id (read when the syscall returns: after a successful setuid(0) it is already 0).', (ev) => ev.uid);
all('glasshouse.exec_uid', 'number', 'Glasshouse: the user id the process had when it started its program (exec); set*id calls do not change it, so rules can tell who became root.', (ev, ctx) => (ev.kind === 'exec' ? ev.uid : selfProcess(ev, ctx)?.uid));
all('user.name', 'string', 'User name (root for uid 0 when the container\'s passwd is unknown).', (ev, ctx) => ctx.userName?.(ev.uid, ev.containerId) ?? (ev.uid === 0 ? 'root' : String(ev.uid)));
all('group.gid', 'number', 'Group id.', (ev) => ev.gid);
all('group.name', 'string', 'Group name (root for gid 0; the id otherwise, as the container\'s /etc/group is not read).', (ev) => (ev.gid === 0 ? 'root' : String(ev.gid)));

// fd.*
some('fd.name', 'string', 'File path, or the connection tuple for sockets.', (k) => {
  const p = pathExtractor(k);
  if (p) return p;
  if (NET_KINDS.has(k)) return (ev) => netFdName(ev as Net);
  return undefined;
});
some('fd.directory', 'string', 'Directory of the file.', (k) => { const p = pathExtractor(k); return p && ((ev) => dirname(p(ev))); });
some('fd.filename', 'string', 'File name without its directory.', (k) => { const p = pathExtractor(k); return p && ((ev) => basename(p(ev))); });
some('fd.typechar', 'string', 'f file, 4 IPv4, 6 IPv6, u unix socket.', (k) => (PATH_KINDS.has(k) ? () => 'f' : NET_KINDS.has(k) ? (ev) => typechar(ev as Net) : undefined));
some('fd.type', 'string', 'file, ipv4, ipv6 or unix.', (k) => (PATH_KINDS.has(k) ? () => 'file' : NET_KINDS.has(k) ? (ev) => ({ '4': 'ipv4', '6': 'ipv6', u: 'unix', o: 'other' })[typechar(ev as Net)] : undefined));
some('fd.num', 'number', 'Descriptor number.', (k) => (k === 'open' ? (ev) => (ev as E<'open'>).ret : NET_KINDS.has(k) ? (ev) => (ev as Net).fd : undefined));
net('fd.sip', 'string', 'Server IP (remote for connect, local for accept/bind/listen).', (e) => serverIp(e));
net('fd.sport', 'number', 'Server port.', (e) => serverPort(e));
net('fd.cip', 'string', 'Client IP.', (e) => clientIp(e));
net('fd.cport', 'number', 'Client port.', (e) => clientPort(e));
net('fd.rip', 'string', 'Remote IP.', (e) => remoteIp(e));
net('fd.rport', 'number', 'Remote port.', (e) => remotePort(e));
net('fd.lip', 'string', 'Local IP.', (e) => e.saddr);
net('fd.lport', 'number', 'Local port.', (e) => e.sport);
net('fd.ip', 'string', 'Either IP (compare with = to match client or server).', (e) => [clientIp(e), serverIp(e)].filter((x): x is string => !!x));
net('fd.port', 'number', 'Either port.', (e) => [clientPort(e), serverPort(e)].filter((x): x is number => x !== undefined));
net('fd.net', 'string', 'Either IP, compared as a network (fd.net != "127.0.0.0/8": neither end is loopback).', (e) => [clientIp(e), serverIp(e)].filter((x): x is string => !!x));
net('fd.snet', 'string', 'Server IP, compared as a network: fd.snet in (10.0.0.0/8).', (e) => serverIp(e));
net('fd.cnet', 'string', 'Client IP, compared as a network.', (e) => clientIp(e));
net('fd.rnet', 'string', 'Remote IP, compared as a network.', (e) => remoteIp(e));
net('fd.lnet', 'string', 'Local IP, compared as a network.', (e) => e.saddr);
net('fd.l4proto', 'string', 'tcp, udp, unix.', (e) => e.proto);
net('fd.connected', 'bool', 'The socket is connected: a connect that succeeded, an accepted connection.', (e) => (e.kind === 'connect' ? e.ret === 0 : e.kind === 'accept' ? e.ret >= 0 : false));
net('fd.name_changed', 'bool', 'The socket\'s tuple changed with this event (sendto/sendmsg to a new peer); the sensor reports no sendto, so false.', () => false);
net('fd.sockfamily', 'string', 'ip or unix.', (e) => (e.family === 'unix' ? 'unix' : 'ip'));
net('fd.sip.name', 'string', 'DNS name the container resolved for the server IP.', (e, ctx) => { const ip = serverIp(e); return ip ? ctx.dnsName?.(ip, e.containerId) : undefined; });
net('fd.rip.name', 'string', 'DNS name the container resolved for the remote IP.', (e, ctx) => (e.daddr ? ctx.dnsName?.(e.daddr, e.containerId) : undefined));

// container.*
const cont = (x: (c: RuleContainer, ev: RuntimeEvent) => FieldValue): Extractor => (ev, ctx) => { const c = containerOf(ev, ctx); return c ? x(c, ev) : undefined; };
all('container.id', 'string', 'Short (12-hex) container id, or "host".', (ev) => (ev.containerId ? ev.containerId.slice(0, 12) : 'host'));
all('container.full_id', 'string', 'Full container id, or "host".', (ev) => ev.containerId ?? 'host');
all('container.name', 'string', 'Container name, or "host".', (ev, ctx) => (ev.containerId ? ctx.container(ev.containerId)?.name : 'host'));
all('container.image', 'string', 'Image as the container was created from (repo:tag).', cont((c) => c.image));
all('container.image.repository', 'string', 'Image repository.', cont((c) => parseImageRef(c.image).repository));
all('container.image.tag', 'string', 'Image tag.', cont((c) => parseImageRef(c.image).tag));
all('container.image.digest', 'string', 'Image digest.', cont((c) => c.imageDigest ?? (parseImageRef(c.image).digest || undefined)));
all('container.privileged', 'bool', 'The container runs --privileged.', cont((c) => c.privileged));
all('container.start_ts', 'number', 'When the container\'s current run started, in nanoseconds since the epoch.', cont((c) => (c.startedAt !== undefined ? c.startedAt * 1e6 : undefined)));
all('compose.project', 'string', 'Glasshouse: compose project of the container.', cont((c) => c.composeProject));
all('compose.service', 'string', 'Glasshouse: compose service of the container.', cont((c) => c.composeService));

// glasshouse extras on DNS
some('dns.name', 'string', 'Glasshouse: the name a DNS query asked for.', (k) => (k === 'dns' ? (ev) => (ev as E<'dns'>).qname : undefined));

const PROPS: Record<string, (kind: EventKind, arg: string | undefined) => string | undefined> = {
  'fd.name': (k) => (k === 'rename' || k === 'link' || k === 'symlink' ? 'newPath' : PATH_KINDS.has(k) ? 'path' : undefined),
  'evt.rawres': (k) => (k === 'fork' || k === 'exit' || k === 'dns' ? undefined : 'ret'),
  'user.uid': () => 'uid',
  'proc.pid': () => 'tgid',
  'proc.comm': () => 'comm',
  'proc.ppid': () => 'ppid',
  'proc.exepath': (k) => (k === 'exec' ? 'filename' : undefined),
  'fd.sport': (k) => (k === 'connect' || k === 'dns' ? 'dport' : NET_KINDS.has(k) ? 'sport' : undefined),
  'fd.sip': (k) => (k === 'connect' || k === 'dns' ? 'daddr' : NET_KINDS.has(k) ? 'saddr' : undefined),
  'fd.l4proto': (k) => (NET_KINDS.has(k) ? 'proto' : undefined),
  'dns.name': (k) => (k === 'dns' ? 'qname' : undefined),
};
for (const spec of specs) if (PROPS[spec.name]) spec.prop = PROPS[spec.name];

const BY_NAME = new Map(specs.map((s) => [s.name, s]));

/**
 * Evaluation epoch: the engine bumps it once per event, so an extractor shared by many rules computes its
 * value once per event (proc.name, fd.name, ancestry walks) and never serves a value from another event.
 */
let epoch = 0;
export function nextEpoch(): void {
  epoch = (epoch + 1) | 0;
}

const shared = new Map<string, Extractor | null>();
/** The extractor for (field, kind), shared across rules and memoised per event; null when not available. */
export function extractorFor(f: ResolvedField, kind: EventKind): Extractor | null {
  const key = `${f.spec.name}\u0000${f.arg ?? ''}\u0000${kind}`;
  let x = shared.get(key);
  if (x !== undefined) return x;
  const raw = f.spec.forKind(kind, f.arg);
  if (!raw) {
    x = null;
  } else {
    let seen = -1;
    let last: FieldValue;
    x = (ev, ctx) => {
      if (seen === epoch) return last;
      last = raw(ev, ctx);
      seen = epoch;
      return last;
    };
  }
  shared.set(key, x);
  return x;
}

/**
 * Relative cost of extracting a field for a kind, used to order `and`/`or` branches cheap-first (branches are
 * side-effect free, so order does not change results). 1 = read an event property.
 */
export function fieldCost(name: string, kind: EventKind, arg: string | undefined): number {
  if (name.startsWith('evt.') || name.startsWith('fd.') || name.startsWith('user.uid') || name === 'group.gid' || name === 'dns.name') {
    return name.endsWith('.name') && name !== 'fd.name' && name !== 'dns.name' ? 4 : name === 'fd.name' && NET_KINDS.has(kind) ? 2 : 1;
  }
  if (name === 'proc.pid' || name === 'proc.ppid' || name === 'thread.tid' || name === 'container.id' || name === 'container.full_id') return 1;
  if (kind === 'exec' && ['proc.name', 'proc.exepath', 'proc.exe', 'proc.args', 'proc.cmdline', 'proc.is_exe_from_memfd'].includes(name)) return 2;
  if (name === 'proc.aname' || name === 'proc.apid' || name === 'proc.aexepath') return arg === undefined ? 12 : 3 + Number(arg) * 2;
  if (name === 'proc.is_container_exec') return 10;
  if (name.startsWith('proc.p')) return 5;
  return 4;
}

/** Bit names an argument renders as (`evt.arg.flags contains O_TRUNC`), so a rule can test bits, not strings. */
export function flagBits(kind: EventKind, arg: string | undefined): ((ev: RuntimeEvent) => number) | undefined {
  if (!arg) return undefined;
  switch (`${kind}.${arg}`) {
    case 'open.flags': return (ev) => (ev as E<'open'>).flags;
    case 'open.mode': case 'chmod.mode': return (ev) => (ev as E<'chmod'>).mode;
    case 'mprotect.prot': case 'mmap.prot': return (ev) => (ev as E<'mmap'>).prot;
    case 'unshare.flags': case 'setns.flags': case 'setns.nstype': return (ev) => (ev as E<'unshare'>).flags;
    default: return undefined;
  }
}

/** The numeric value of a rendered flag name, for the tables used by evt.arg rendering. */
export function flagValue(name: string): { mask: number; value: number } | undefined {
  const mode = MODE_BITS.find(([, n]) => n === name);
  if (mode) return { mask: mode[0], value: mode[0] };
  const ns = CLONE_NS.find(([, n]) => n === name);
  if (ns) return { mask: ns[0], value: ns[0] };
  switch (name) {
    case 'PROT_READ': return { mask: 1, value: 1 };
    case 'PROT_WRITE': return { mask: 2, value: 2 };
    case 'PROT_EXEC': return { mask: 4, value: 4 };
    case 'O_WRONLY': return { mask: 3, value: 1 };
    case 'O_RDWR': return { mask: 3, value: 2 };
    case 'O_CLOEXEC': return { mask: 0o2000000, value: 0o2000000 };
    case 'O_DIRECTORY': return { mask: 0o200000, value: 0o200000 };
    case 'O_TMPFILE': return { mask: 0o20000000, value: 0o20000000 };
    default: {
      const b = (O_FLAGS as Record<string, number>)[name];
      return b ? { mask: b, value: b } : undefined;
    }
  }
}

export interface ResolvedField {
  spec: FieldSpec;
  arg?: string;
  /** The field as written, for messages and output. */
  text: string;
}

/**
 * Looks a field up by the text used in a rule: `proc.aname[2]`, `evt.arg.flags`, `evt.arg[flags]`.
 * Returns a sentence describing the problem when the field is unknown or its argument is wrong.
 */
export function resolveField(text: string): ResolvedField | string {
  let name = text;
  let arg: string | undefined;
  const br = text.indexOf('[');
  if (br >= 0) {
    if (!text.endsWith(']')) return `field "${text}" has an unclosed "["`;
    name = text.slice(0, br);
    arg = text.slice(br + 1, -1).trim();
  }
  let spec = BY_NAME.get(name);
  if (!spec && arg === undefined) {
    // evt.arg.flags: the argument follows the field name after a dot.
    for (const prefix of ['evt.arg.', 'evt.rawarg.']) {
      if (name.startsWith(prefix)) { spec = BY_NAME.get(prefix.slice(0, -1)); arg = name.slice(prefix.length); }
    }
  }
  if (!spec) return `unsupported field "${text}"`;
  if (spec.arg === undefined && arg !== undefined) return `field "${spec.name}" takes no argument`;
  if (spec.arg === 'index' && arg === undefined) return `field "${spec.name}" needs an index, e.g. ${spec.name}[1]`;
  if ((spec.arg === 'index' || spec.arg === 'optional-index') && arg !== undefined && !/^\d+$/.test(arg)) {
    return `field "${spec.name}" needs a numeric index, not "${arg}"`;
  }
  if (spec.arg === 'name') {
    if (!arg) return `field "${spec.name}" needs an argument name, e.g. ${spec.name}.name`;
    if (/^\d+$/.test(arg)) return `field "${spec.name}[${arg}]": positional arguments are not supported; use the argument's name`;
    const known = Object.values(ARGS).some((m) => m && arg! in m);
    if (!known) return `unsupported field "${text}": no event kind has an argument "${arg}"`;
  }
  return { spec, arg, text };
}

/** Every supported field, for `glasshouse rules fields` and documentation. */
export function supportedFields(): ReadonlyArray<Pick<FieldSpec, 'name' | 'type' | 'desc' | 'arg'>> {
  return specs;
}

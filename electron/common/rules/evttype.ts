// Falco's evt.type names (syscalls) mapped onto Glasshouse event kinds, in both directions.
import { EVENT_KINDS, type EventKind, type RuntimeEvent } from '../model/event';

/**
 * Every syscall name a Falco rule may test with `evt.type`, and the kind our sensor reports it as. Several
 * syscalls collapse into one kind (open/openat/openat2/creat are all `open`), so `evt.type=open` and
 * `evt.type=openat` both match every open event: the sensor does not say which variant ran.
 * Kinds without a Falco name (`dns`) are reachable under their own name.
 */
export const SYSCALL_TO_KIND: Readonly<Record<string, EventKind>> = {
  execve: 'exec', execveat: 'exec',
  clone: 'fork', clone3: 'fork', fork: 'fork', vfork: 'fork',
  procexit: 'exit', exit: 'exit', exit_group: 'exit',
  open: 'open', openat: 'open', openat2: 'open', creat: 'open', open_by_handle_at: 'open',
  unlink: 'unlink', unlinkat: 'unlink', rmdir: 'unlink',
  rename: 'rename', renameat: 'rename', renameat2: 'rename',
  chmod: 'chmod', fchmod: 'chmod', fchmodat: 'chmod',
  chown: 'chown', lchown: 'chown', fchown: 'chown', fchownat: 'chown',
  mkdir: 'mkdir', mkdirat: 'mkdir',
  link: 'link', linkat: 'link',
  symlink: 'symlink', symlinkat: 'symlink',
  mount: 'mount', umount: 'umount', umount2: 'umount',
  connect: 'connect', accept: 'accept', accept4: 'accept', bind: 'bind', listen: 'listen',
  dns: 'dns',
  setuid: 'setuid', setreuid: 'setuid', setresuid: 'setuid', setfsuid: 'setuid',
  setgid: 'setgid', setregid: 'setgid', setresgid: 'setgid', setfsgid: 'setgid',
  capset: 'capset', ptrace: 'ptrace',
  init_module: 'module', finit_module: 'module', delete_module: 'module',
  bpf: 'bpf', unshare: 'unshare', setns: 'setns', chroot: 'chroot',
  memfd_create: 'memfd', mprotect: 'mprotect', mmap: 'mmap', io_uring_setup: 'io_uring',
};

/** The name `evt.type` shows for an event of each kind (outputs, `evt.type startswith ...`). */
export const KIND_TO_SYSCALL: Readonly<Record<EventKind, string>> = {
  exec: 'execve', fork: 'clone', exit: 'procexit',
  open: 'openat', unlink: 'unlinkat', rename: 'renameat2', chmod: 'fchmodat', chown: 'fchownat',
  mkdir: 'mkdirat', link: 'linkat', symlink: 'symlinkat', mount: 'mount', umount: 'umount2',
  connect: 'connect', accept: 'accept4', bind: 'bind', listen: 'listen', dns: 'dns',
  setuid: 'setuid', setgid: 'setgid', capset: 'capset', ptrace: 'ptrace', module: 'init_module',
  bpf: 'bpf', unshare: 'unshare', setns: 'setns', chroot: 'chroot', memfd: 'memfd_create',
  mprotect: 'mprotect', mmap: 'mmap', io_uring: 'io_uring_setup',
};

/** The syscall name of one event: exact where the sensor reports it (set*id), canonical otherwise. */
export function syscallName(ev: RuntimeEvent): string {
  if (ev.kind === 'setuid' || ev.kind === 'setgid') return ev.syscall || ev.kind;
  return KIND_TO_SYSCALL[ev.kind];
}

/** Kinds an `evt.type` value stands for; an unknown name (a syscall we do not trace) maps to none. */
export function kindsForSyscall(name: string): EventKind[] {
  const k = SYSCALL_TO_KIND[name];
  if (k) return [k];
  if ((EVENT_KINDS as readonly string[]).includes(name)) return [name as EventKind];
  return [];
}

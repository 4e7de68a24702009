// The shared prefilter changes nothing: engines with and without it report the same matches, in the same order.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_KINDS, type EventKind, type RuntimeEvent } from '../model/event';
import { RuleEngine, type RuleSource } from './index';
import { MemoryContext, CID } from './testkit';

const dir = join(__dirname, '../../../assets/rules');
const pack = readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));

/** Deterministic generator (LCG) so a failure reproduces from its seed. */
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32; };
  return { next, pick: <T>(a: readonly T[]): T => a[Math.floor(next() * a.length)], int: (n: number) => Math.floor(next() * n) };
}

/** Every string the rules mention (list items, quoted and bare condition values), to build events rules care about. */
function vocabulary(sources: RuleSource[]): string[] {
  const words = new Set<string>();
  for (const s of sources) {
    for (const m of s.text.matchAll(/items:\s*\[([^\]]*)\]/g)) for (const w of m[1].split(',')) words.add(w.trim().replace(/^"|"$/g, ''));
    for (const m of s.text.matchAll(/(?:in|pmatch|startswith|endswith|contains|glob|=)\s*\(?\s*"?([^\s"(),]+)"?/g)) words.add(m[1]);
  }
  words.delete('');
  return [...words];
}

function generate(n: number, seed: number, vocab: string[]): { events: RuntimeEvent[]; ctx: MemoryContext } {
  const r = rng(seed);
  const dirs = ['/', '/etc', '/etc/cron.d', '/root', '/root/.ssh', '/home/app/.ssh', '/tmp', '/var/log', '/var/run', '/usr/lib', '/usr/bin', '/bin',
    '/lib', '/dev', '/dev/shm', '/proc/1', '/proc/self', '/proc/12', '/sys/fs/cgroup', '/sys/kernel', '/var/run/secrets/kubernetes.io', '/run/secrets', '/app', ''];
  const names = vocab.filter((w) => !w.includes(' '));
  const path = (): string => {
    const w = r.pick(names);
    switch (r.int(5)) {
      case 0: return w;
      case 1: return `${r.pick(dirs)}/${w.replace(/^\//, '')}`;
      case 2: return `${w}/${r.pick(names).replace(/^\//, '')}`;
      case 3: return `${r.pick(dirs)}/${r.pick(['.hidden', 'x.pyc', 'a.gz', 'log.1', 'environ', 'mem', 'root', 'release_agent', 'authorized_keys', 'id_rsa', 'known_hosts', 'credentials'])}`;
      default: return `${r.pick(dirs)}${r.int(3) ? '/' : ''}`;
    }
  };
  const name = () => (r.int(4) ? r.pick(names).split('/').pop() || 'x' : r.pick(['node', 'sh', 'bash', 'java', 'python3', 'runc:[2:INIT]']));
  const ctx = new MemoryContext();
  for (let pid = 200; pid < 260; pid++) {
    const busybox = r.int(4) === 0; // seeded from /proc: exe is the multi-call binary, argv[0] the applet
    const exe = busybox ? '/bin/busybox' : r.int(3) ? `/usr/bin/${name()}` : path();
    ctx.addProc({ tgid: pid, ppid: r.int(5) ? 199 + r.int(pid - 199) : 0, exe, argv: [busybox ? name() : exe.split('/').pop()!, ...Array.from({ length: r.int(3) }, () => r.pick(vocab))], comm: name().slice(0, 15), tty: r.int(4) ? 0 : 34816, fromExec: r.int(6) === 0 });
  }
  ctx.imageFiles.set(CID, new Set(['/bin/sh', '/usr/bin/node']));
  ctx.written.set(CID, new Set(['/tmp/x']));
  const ips = ['169.254.169.254', '10.0.0.5', '8.8.8.8', '140.82.112.3', '0.0.0.0', '::', 'fd00:ec2::254', '2001:db8::1', '172.17.0.1'];
  const ports = [22, 53, 80, 443, 3333, 4444, 6667, 8080, 9050, 5432, 31337];
  const events: RuntimeEvent[] = [];
  for (let i = 0; i < n; i++) {
    const kind: EventKind = r.pick(EVENT_KINDS);
    const tgid = 200 + r.int(70); // some pids are unknown to the process table
    const base = { ts: 1.7e12 + i, seq: i + 1, pid: tgid, tgid, ppid: 199 + r.int(60), uid: r.int(3) ? 0 : 1000, gid: 0, comm: name().slice(0, 15), cgroupId: '1', mntns: 1, containerId: r.int(8) ? CID : undefined };
    const ret = r.int(6) ? r.int(5) : -13;
    const flags = r.pick([0, 1, 2, 0o101, 0o1101, 0o2001, 0o200000, 0o1002]);
    let e: Record<string, unknown>;
    switch (kind) {
      case 'exec': {
        const args = Array.from({ length: r.int(4) }, () => r.pick(vocab));
        if (r.int(5) === 0) { // a multi-call binary: one filename, the program named by argv (the cache must not mix them)
          const f = r.pick(['/bin/busybox', '/proc/self/exe', '/bin/toybox']);
          e = { filename: f, argv: r.int(3) ? [name(), ...args] : ['busybox', name(), ...args], ret, memfd: false };
          break;
        }
        const f = r.int(4) ? path() : `/memfd:${name()}`;
        e = { filename: f, argv: [f.split('/').pop(), ...args], ret, memfd: r.int(10) === 0 };
        break;
      }
      case 'fork': e = { childPid: tgid + 1, childTgid: tgid, thread: r.int(2) === 0 }; break;
      case 'exit': e = { code: 0, signal: 0, thread: false }; break;
      case 'open': e = { path: path(), flags, mode: r.pick([0o644, 0o755, 0o4755]), ret }; break;
      case 'unlink': case 'mkdir': case 'chroot': case 'umount': e = { path: path(), ret }; break;
      case 'rename': case 'link': case 'symlink': e = { path: path(), newPath: path(), ret }; break;
      case 'chmod': e = { path: path(), mode: r.pick([0o644, 0o755, 0o4755, 0o2700]), ret }; break;
      case 'chown': e = { path: path(), owner: 0, group: 0, ret }; break;
      case 'mount': e = { source: 'none', path: path(), fstype: r.pick(['proc', 'cgroup', 'ext4', 'tmpfs']), flags: 0, ret }; break;
      case 'connect': case 'accept': case 'bind': case 'listen': {
        const unix = r.int(5) === 0;
        e = unix ? { family: 'unix', proto: 'unix', unixPath: r.pick(['/var/run/docker.sock', '/run/containerd/containerd.sock', '/tmp/s', path()]), fd: 3, ret }
          : { family: 'inet', proto: r.pick(['tcp', 'udp']), saddr: r.pick(ips), sport: r.pick(ports), daddr: r.pick(ips), dport: r.pick(ports), fd: 3, ret };
        break;
      }
      case 'dns': e = { qname: r.int(2) ? r.pick(names) : `x.${r.pick(names)}`, qtype: 1, daddr: '127.0.0.11', dport: 53 }; break;
      case 'setuid': case 'setgid': e = { syscall: kind, target: [r.int(2) ? 0 : 1000], ret: r.int(4) ? 0 : -1 }; break;
      case 'capset': e = { effective: '0', permitted: '0', ret: 0 }; break;
      case 'ptrace': e = { request: r.pick([0, 16, 0x4206, 5]), targetPid: 1, ret: 0 }; break;
      case 'module': e = { name: 'x', ret: 0 }; break;
      case 'bpf': e = { cmd: 5, ret: r.int(2) ? 3 : -1 }; break;
      case 'unshare': case 'setns': e = { flags: r.pick([0, 0x10000000, 0x00020000, 0x40000000]), ret: 0 }; break;
      case 'memfd': e = { name: 'x', flags: 0, ret: 3 }; break;
      default: e = { addr: '0x1', len: 4096, prot: r.int(8), flags: 0, ret: 0 }; break;
    }
    events.push({ ...base, kind, ...e } as unknown as RuntimeEvent);
  }
  return { events, ctx };
}

function compare(sources: RuleSource[], n: number, seed: number): { matches: number; rulesHit: number } {
  const fast = RuleEngine.fromSources(sources);
  const plain = RuleEngine.fromSources(sources, { prefilter: false });
  const { events, ctx } = generate(n, seed, vocabulary(sources));
  let matches = 0;
  const hit = new Set<string>();
  for (const e of events) {
    const a = fast.matches(e, ctx).map((m) => m.rule.name);
    const b = plain.matches(e, ctx).map((m) => m.rule.name);
    if (a.join('\n') !== b.join('\n')) expect({ event: e, prefilter: a }).toEqual({ event: e, prefilter: b });
    matches += a.length;
    a.forEach((x) => hit.add(x));
  }
  return { matches, rulesHit: hit.size };
}

describe('shared prefilter', () => {
  it('guards most of the built-in pack for the busy kinds', () => {
    const engine = RuleEngine.fromSources(pack);
    for (const kind of ['exec', 'open', 'connect'] as const) {
      const c = engine.prefilterCoverage(kind);
      expect(c.guarded / c.rules, kind).toBeGreaterThan(0.75);
    }
    expect(engine.prefilterCoverage('open').guarded).toBe(engine.prefilterCoverage('open').rules);
    // File events and execs are decided by their path alone, so the rules to run are cached by it.
    for (const kind of ['open', 'exec', 'rename', 'dns'] as const) expect(engine.prefilterCoverage(kind).cached, kind).toBe(true);
  });

  it('gives the same matches as plain evaluation for the built-in pack over a generated event mix', () => {
    for (const seed of [1, 2, 3]) {
      const r = compare(pack, 20_000, seed);
      // The mix must exercise the pack, or the comparison proves nothing.
      expect(r.matches).toBeGreaterThan(1000);
      expect(r.rulesHit).toBeGreaterThan(45);
    }
  });

  it('gives the same matches for rules mixing operators, or-branches over several fields, and negations', () => {
    const text = `
- list: dirs
  items: [/etc, /tmp/, /]
- macro: writes
  condition: evt.type = open and evt.is_open_write = true
- rule: pmatch with root
  desc: d
  condition: writes and fd.name pmatch (dirs)
  output: o
  priority: INFO
- rule: directory root or filename
  desc: d
  condition: evt.type in (open, unlink, rename) and (fd.directory in (/, /etc) or fd.filename startswith ".")
  output: o
  priority: INFO
- rule: directory said on the name
  desc: d
  condition: evt.type in (open, rename, mkdir) and (fd.directory in (/etc, /root/.ssh, tmp) or fd.directory endswith /.ssh or fd.directory startswith /var or fd.directory glob "/proc/*")
  output: o
  priority: INFO
- rule: glob and suffix
  desc: d
  condition: evt.type = open and (fd.name glob "/proc/*/environ" or fd.name glob "*.gz" or fd.name endswith .pyc or fd.name = "" or fd.name contains "/.ssh/")
  output: o
  priority: INFO
- rule: negated guard field
  desc: d
  condition: evt.type = open and not fd.name startswith /etc/ and not proc.name in (sh, node)
  output: o
  priority: INFO
- rule: across kinds
  desc: d
  condition: (evt.type = execve and proc.name in (sh, bash)) or (evt.type = connect and fd.sport in (4444, 53)) or (evt.type = dns and dns.name endswith .io)
  output: o
  priority: INFO
- rule: sockets by type
  desc: d
  condition: evt.type in (connect, listen) and (fd.typechar = u or fd.sip = "8.8.8.8") and fd.name != ""
  output: o
  priority: INFO
- rule: empty list
  desc: d
  condition: evt.type = open and fd.name in ()
  output: o
  priority: INFO
- rule: exepath prefix
  desc: d
  condition: evt.type in (execve, open) and (proc.exepath startswith /tmp/ or proc.exepath = /usr/bin/node)
  output: o
  priority: INFO
  exceptions:
    - name: known
      fields: [proc.name, fd.name]
      comps: [=, startswith]
      values: [[node, /etc]]
`;
    const r = compare([{ name: 'mixed.yaml', text }], 20_000, 7);
    expect(r.matches).toBeGreaterThan(1000);
    expect(r.rulesHit).toBeGreaterThanOrEqual(8);
  });
});

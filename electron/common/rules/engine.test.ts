// Falco semantics of the rule engine: lists, macros, exceptions, append/override, operators, located errors.
import { describe, expect, it } from 'vitest';
import { RuleEngine, formatDiagnostic, FindingTracker, sha256Hex } from './index';
import { ev, MemoryContext, CID } from './testkit';
import { EVENT_KINDS } from '../model/event';
/** The time of every testkit event (testkit's BASE.ts). */
const BASE_TS = 1_700_000_000_000;

const ctx = new MemoryContext();
const LONG_SHA = '86e4ed601abb881a03f08899c4faa0e94ace671a8eb89ad1c484bc64df5ada8f';
const names = (engine: RuleEngine, e: ReturnType<typeof ev>) => engine.matches(e, ctx).map((m) => m.rule.name);
const load = (text: string, more: string[] = []) =>
  RuleEngine.fromSources([{ name: 'base.yaml', text }, ...more.map((t, i) => ({ name: `extra${i}.yaml`, text: t }))]);

const FALCO_STYLE = `
- required_engine_version: 0.26.0
- list: shell_binaries
  items: [ash, bash, csh, ksh, sh, tcsh, zsh, dash]
- list: more_shells
  items: [shell_binaries, fish]
- macro: spawned_process
  condition: evt.type in (execve, execveat) and evt.dir=<
- macro: container
  condition: (container.id != host)
- macro: shell_procs
  condition: proc.name in (more_shells)
- rule: Run shell untrusted
  desc: "A shell started in a container. Fix: remove the shell from the image."
  condition: spawned_process and container and shell_procs and not proc.pname in (nginx)
  output: "Shell spawned (user=%user.name cmd=%proc.cmdline parent=%proc.pname container=%container.name image=%container.image)"
  priority: WARNING
  tags: [container, shell, mitre_execution, T1059.004]
  exceptions:
    - name: known_scripts
      fields: [proc.cmdline, container.image.repository]
      comps: [startswith, =]
      values:
        - ["sh -c /healthcheck", nginx]
`;

describe('Falco-style file', () => {
  it('loads lists of lists, macros and exceptions and matches as Falco documents', () => {
    const engine = load(FALCO_STYLE);
    expect(engine.errors).toEqual([]);
    const rule = engine.rules[0];
    expect(rule.severity).toBe('medium');
    expect(rule.mitre).toEqual(['T1059.004']);
    expect(rule.why).toBe('A shell started in a container.');
    expect(rule.fix).toBe('remove the shell from the image.');
    expect(rule.kinds).toEqual(['exec']);
    // bash (parent of 100) spawning sh: fires.
    expect(names(engine, ev({ kind: 'exec', filename: '/bin/sh', argv: ['sh', '-c', 'id'], ret: 0 }))).toEqual(['Run shell untrusted']);
    // fish comes from the nested list.
    expect(names(engine, ev({ kind: 'exec', filename: '/usr/bin/fish', argv: ['fish'], ret: 0 }))).toHaveLength(1);
    // Not a shell, on the host, or the exception: no match.
    expect(names(engine, ev({ kind: 'exec', filename: '/bin/ls', argv: ['ls'], ret: 0 }))).toEqual([]);
    expect(names(engine, ev({ kind: 'exec', filename: '/bin/sh', argv: ['sh'], ret: 0, containerId: undefined }))).toEqual([]);
    expect(names(engine, ev({ kind: 'exec', filename: '/bin/sh', argv: ['sh', '-c', '/healthcheck', '--deep'], ret: 0 }))).toEqual([]);
    // Parent nginx is excluded by the condition.
    expect(names(engine, ev({ kind: 'exec', filename: '/bin/sh', argv: ['sh'], ret: 0, ppid: 1 }))).toEqual([]);
  });

  it('renders %field output with Falco field values', () => {
    const engine = load(FALCO_STYLE);
    const [m] = engine.matches(ev({ kind: 'exec', filename: '/bin/sh', argv: ['sh', '-c', 'id'], ret: 0 }), ctx);
    expect(m.rule.output.render(m.event, ctx)).toBe('Shell spawned (user=root cmd=sh -c id parent=bash container=web-1 image=nginx:1.25)');
  });

  it('appends to lists, macros and rules (legacy append: true)', () => {
    const engine = load(FALCO_STYLE, [`
- list: shell_binaries
  items: [busybox]
  append: true
- macro: container
  condition: and container.image.repository != "trusted/app"
  append: true
- rule: Run shell untrusted
  condition: and not proc.args contains "--safe"
  append: true
- rule: Run shell untrusted
  exceptions:
    - name: known_scripts
      values:
        - ["sh -c /ready", nginx]
  append: true
`]);
    expect(engine.errors).toEqual([]);
    expect(names(engine, ev({ kind: 'exec', filename: '/bin/busybox', argv: ['busybox'], ret: 0 }))).toHaveLength(1);
    expect(names(engine, ev({ kind: 'exec', filename: '/bin/sh', argv: ['sh', '--safe'], ret: 0 }))).toEqual([]);
    expect(names(engine, ev({ kind: 'exec', filename: '/bin/sh', argv: ['sh', '-c', '/ready'], ret: 0 }))).toEqual([]);
    ctx.containers.set('b'.repeat(64), { id: 'b'.repeat(64), name: 'app', image: 'trusted/app:2' });
    expect(names(engine, ev({ kind: 'exec', filename: '/bin/sh', argv: ['sh'], ret: 0, containerId: 'b'.repeat(64) }))).toEqual([]);
  });

  it('applies the override: syntax (append and replace) and toggles enabled', () => {
    const engine = load(FALCO_STYLE, [`
- list: shell_binaries
  items: [zsh]
  override:
    items: replace
- rule: Run shell untrusted
  priority: CRITICAL
  tags: [extra]
  override:
    priority: replace
    tags: append
- rule: Spare
  desc: d
  condition: evt.type=connect and fd.sport=4444
  output: o
  priority: NOTICE
- rule: Spare
  enabled: false
`]);
    expect(engine.errors).toEqual([]);
    expect(names(engine, ev({ kind: 'exec', filename: '/bin/sh', argv: ['sh'], ret: 0 }))).toEqual([]);
    expect(names(engine, ev({ kind: 'exec', filename: '/bin/zsh', argv: ['zsh'], ret: 0 }))).toHaveLength(1);
    const r = engine.rules.find((x) => x.name === 'Run shell untrusted')!;
    expect(r.severity).toBe('critical');
    expect(r.tags).toContain('extra');
    expect(engine.rules.find((x) => x.name === 'Spare')!.enabled).toBe(false);
  });

  it('takes quoted list items as Falco splices them: \'"10.0.0.0/8"\' is the network 10.0.0.0/8', () => {
    const engine = load(`- list: private_nets\n  items: ['"10.0.0.0/8"', '"192.168.0.0/16"']\n` + rule('evt.type=connect and not fd.snet in (private_nets)', 'Public'));
    expect(engine.errors).toEqual([]);
    const to = (daddr: string) => ev({ kind: 'connect', family: 'inet', proto: 'tcp', daddr, dport: 443, saddr: '172.17.0.2', sport: 40000, fd: 3, ret: 0 });
    expect(names(engine, to('10.1.2.3'))).toEqual([]);
    expect(names(engine, to('8.8.8.8'))).toHaveLength(1);
  });

  it('rejects append to an unknown item with a located error', () => {
    const engine = load('- macro: nope\n  condition: and x\n  append: true\n');
    expect(engine.errors.map(formatDiagnostic)).toEqual([
      'base.yaml:1:3: error: macro "nope": cannot append to or override macro "nope": no earlier macro has that name',
    ]);
  });
});

const rule = (cond: string, name = 'R') => `- rule: ${name}\n  desc: d\n  condition: ${cond}\n  output: o\n  priority: ERROR\n`;

describe('operators', () => {
  const open = (path: string, flags = 0) => ev({ kind: 'open', path, flags, mode: 0, ret: 3 });
  const cases: Array<[string, ReturnType<typeof ev>, boolean]> = [
    ['evt.type=open and fd.name = /etc/shadow', open('/etc/shadow'), true],
    ['evt.type=open and fd.name == /etc/shadow', open('/etc/shadowx'), false],
    ['evt.type=open and fd.name != /etc/shadow', open('/etc/passwd'), true],
    ['evt.type=open and fd.name startswith /etc/', open('/etc/x'), true],
    ['evt.type=open and fd.name endswith .pem', open('/k/a.pem'), true],
    ['evt.type=open and fd.name contains ssh', open('/root/.ssh/id'), true],
    ['evt.type=open and fd.name icontains SSH', open('/root/.ssh/id'), true],
    ['evt.type=open and fd.name glob "/root/.ssh/id_*"', open('/root/.ssh/id_rsa'), true],
    ['evt.type=open and fd.name glob "/root/*.pem"', open('/root/.ssh/id_rsa'), false],
    ['evt.type=open and fd.name pmatch (/etc, /usr/bin)', open('/usr/bin/ls'), true],
    ['evt.type=open and fd.name pmatch (/etc, /usr/bin)', open('/usr/binx'), false],
    ['evt.type=open and fd.name pmatch (/etc)', open('/etc'), true],
    ['evt.type=open and fd.directory in (/etc, /bin)', open('/etc/hosts'), true],
    ['evt.type=open and fd.filename in ("hosts")', open('/etc/hosts'), true],
    ['evt.type=open and evt.is_open_write=true', open('/x', 1), true],
    ['evt.type=open and evt.is_open_write=true', open('/x', 0), false],
    ['evt.type=open and evt.arg.flags contains O_CREAT', open('/x', 0o101), true],
    ['evt.type=open and fd.num >= 3 and fd.num < 4', open('/x'), true],
    ['evt.type=open and fd.name regex "/etc/(shadow|gshadow)"', open('/etc/gshadow'), true],
    ['evt.type=open and fd.name regex "/etc/(shadow|gshadow)"', open('/etc/gshadowx'), false],
    ['evt.type=open and proc.aname intersects (nginx, apache)', open('/x'), true],
    ['evt.type=open and proc.aname = bash', open('/x'), true],
    ['evt.type=open and proc.aname[2] = nginx', open('/x'), true],
    ['evt.type=open and proc.aname[1] = nginx', open('/x'), false],
    ['evt.type=open and proc.apid[1] = 50', open('/x'), true],
    ['evt.type=open and container.image.repository = nginx and container.image.tag = "1.25"', open('/x'), true],
    ['evt.type=open and compose.service = web and compose.project exists', open('/x'), true],
    ['evt.type=open and fd.sip exists', open('/x'), false],
    ['evt.type=open and not fd.sip exists', open('/x'), true],
    ['evt.type=connect and fd.sport in (3333, 4444) and fd.sip = "1.2.3.4" and fd.l4proto=tcp and fd.typechar=4',
      ev({ kind: 'connect', family: 'inet', proto: 'tcp', daddr: '1.2.3.4', dport: 3333, saddr: '10.0.0.2', sport: 40000, fd: 3, ret: 0 }), true],
    ['evt.type=connect and fd.name = "10.0.0.2:40000->1.2.3.4:3333"',
      ev({ kind: 'connect', family: 'inet', proto: 'tcp', daddr: '1.2.3.4', dport: 3333, saddr: '10.0.0.2', sport: 40000, fd: 3, ret: 0 }), true],
    // fd.connected: a connect that succeeded and an accepted connection are connected; a refused connect is not
    ['evt.type=connect and fd.connected=true', ev({ kind: 'connect', family: 'inet', proto: 'tcp', daddr: '1.2.3.4', dport: 80, saddr: '10.0.0.2', sport: 40000, fd: 3, ret: 0 }), true],
    ['evt.type=connect and fd.connected=true', ev({ kind: 'connect', family: 'inet', proto: 'tcp', daddr: '1.2.3.4', dport: 80, saddr: '10.0.0.2', sport: 40000, fd: 3, ret: -111 }), false],
    ['evt.type=accept and fd.connected=true', ev({ kind: 'accept', family: 'inet', proto: 'tcp', daddr: '10.0.0.9', dport: 5000, saddr: '10.0.0.2', sport: 80, fd: 3, ret: 5 }), true],
    ['evt.type=bind and fd.connected=false and fd.name_changed=false', ev({ kind: 'bind', family: 'inet', proto: 'udp', daddr: '', dport: 0, saddr: '0.0.0.0', sport: 53, fd: 3, ret: 0 }), true],
    // fd.net compares either end as a network (Falco's outbound macro: fd.net != "127.0.0.0/8")
    ['evt.type=connect and fd.net = "10.0.0.0/8"', ev({ kind: 'connect', family: 'inet', proto: 'tcp', daddr: '1.2.3.4', dport: 80, saddr: '10.0.0.2', sport: 40000, fd: 3, ret: 0 }), true],
    ['evt.type=connect and fd.net != "127.0.0.0/8"', ev({ kind: 'connect', family: 'inet', proto: 'tcp', daddr: '127.0.0.1', dport: 80, saddr: '127.0.0.1', sport: 40000, fd: 3, ret: 0 }), false],
    // proc.sname: the session leader's name (the test process 100 is in bash's session, 50); group.name; container.start_ts
    ['evt.type=open and proc.sname = bash', { ...open('/x'), tgid: 100 }, true],
    ['evt.type=open and group.name = root', open('/x'), true],
    ['evt.type=open and container.start_ts > 1699999900000000000 and container.start_ts < 1700000000000000000', open('/x'), true],
    // proc.duration in ns: the test process (tgid 100) started 2 s before the event; 7 s makes it old
    ['evt.type=open and proc.duration <= 5000000000', { ...open('/x'), tgid: 100 }, true],
    ['evt.type=open and proc.duration > 5000000000', { ...open('/x'), tgid: 100, ts: BASE_TS + 5000 }, true],
    ['evt.type=chmod and evt.arg.mode contains S_ISUID', ev({ kind: 'chmod', path: '/x', mode: 0o4755, ret: 0 }), true],
    ['evt.type=setuid and evt.arg.uid=0 and user.uid != 0', ev({ kind: 'setuid', syscall: 'setuid', target: [0], ret: 0, uid: 1000 }), true],
    ['evt.type=mprotect and evt.arg.prot contains PROT_EXEC', ev({ kind: 'mprotect', addr: '0x1', len: 4096, prot: 5, flags: 0, ret: 0 }), true],
    ['evt.type in (unshare, setns) and evt.arg.flags contains CLONE_NEWNS', ev({ kind: 'unshare', flags: 0x20000, ret: 0 }), true],
    ['(evt.type=open or evt.type=unlink) and ((fd.name=/a))', ev({ kind: 'unlink', path: '/a', ret: 0 }), true],
    ['evt.type=open and evt.rawres < 0', open('/x'), false],
    ['evt.type=execve and proc.is_exe_upper_layer=true', ev({ kind: 'exec', filename: '/tmp/x', argv: ['x'], ret: 0 }), true],
  ];
  ctx.imageFiles.set(CID, new Set(['/bin/sh']));
  ctx.procs.get(100)!.start = BASE_TS - 2000;
  ctx.procs.get(100)!.sid = 50;
  ctx.containers.get(CID)!.startedAt = BASE_TS - 60_000;
  it.each(cases)('%s', (cond, e, want) => {
    const engine = load(rule(JSON.stringify(cond)));
    expect(engine.errors).toEqual([]);
    expect(names(engine, e).length === 1).toBe(want);
  });

  it('indexes rules by event type and skips kinds the condition excludes', () => {
    const engine = load(rule('evt.type in (open, openat) and fd.name=/x', 'A') + rule('evt.type=connect and fd.sport=1', 'B') + rule('not evt.type=connect and proc.name=sh', 'C') + rule('proc.name=sh', 'D'));
    expect(engine.rules.map((r) => r.kinds.length)).toEqual([1, 1, EVENT_KINDS.length - 1, EVENT_KINDS.length]);
    expect(engine.rulesFor('open').map((r) => r.name)).toEqual(['A', 'C', 'D']);
    expect(engine.diagnostics.some((d) => d.item === 'rule "D"' && /every event/.test(d.message))).toBe(true);
  });
});

describe('located errors', () => {
  it('reports malformed YAML with file:line:col', () => {
    const engine = load('- rule: X\n  condition: [a\n  desc: y\n');
    expect(engine.errors.length).toBeGreaterThan(0);
    expect(engine.errors[0].file).toBe('base.yaml');
    expect(engine.errors[0].line).toBeGreaterThanOrEqual(2);
  });

  it('points a condition syntax error at the offending token, also in block scalars', () => {
    const text = `${rule('evt.type=open', 'Good')}- rule: Bad\n  desc: d\n  condition: >\n    evt.type=open and\n    (fd.name = /x or\n  output: o\n  priority: ERROR\n`;
    const engine = load(text);
    expect(engine.errors).toHaveLength(1);
    const e = engine.errors[0];
    expect(e.item).toBe('rule "Bad"');
    expect(e.line).toBe(10);
    expect(e.message).toMatch(/syntax error/);
    expect(engine.rules.find((r) => r.name === 'Good')!.enabled).toBe(true);
  });

  it('disables a rule that uses an unsupported field with a warning naming file, line and field; others still run', () => {
    const engine = load(rule('evt.type=open and fd.name=/x', 'Good') + rule('evt.type=open and k8s.ns.name=default', 'K8s'));
    expect(engine.errors).toEqual([]);
    const w = engine.diagnostics.find((d) => d.item === 'rule "K8s"')!;
    expect(formatDiagnostic(w)).toBe('base.yaml:8:32: warning: rule "K8s": unsupported field "k8s.ns.name"; the rule is disabled');
    expect(engine.rules.find((r) => r.name === 'K8s')!.enabled).toBe(false);
    expect(names(load(rule('evt.type=open and fd.name=/x', 'Good')), ev({ kind: 'open', path: '/x', flags: 0, mode: 0, ret: 3 }))).toEqual(['Good']);
  });

  it('reports undefined macros, bad values, missing keys, bad priority and macro loops', () => {
    const engine = load(`
- macro: loop_a
  condition: loop_b
- macro: loop_b
  condition: loop_a
${rule('evt.type=open and no_such_macro', 'U')}${rule('evt.type=connect and fd.sport = http', 'N')}${rule('evt.type=open and loop_a', 'L')}
- rule: Missing
  condition: evt.type=open
- rule: Prio
  desc: d
  condition: evt.type=open
  output: o
  priority: LOUD
`);
    const msgs = engine.errors.map(formatDiagnostic);
    expect(msgs.some((m) => /base\.yaml:\d+:\d+: error: rule "U": undefined macro "no_such_macro"/.test(m))).toBe(true);
    expect(msgs.some((m) => /rule "N": fd\.sport is a number, but "http" is not/.test(m))).toBe(true);
    expect(msgs.some((m) => /rule "L": macro "loop_a" refers to itself/.test(m))).toBe(true);
    expect(msgs.some((m) => /rule "Missing": a rule needs "output", "desc", "priority"/.test(m))).toBe(true);
    expect(msgs.some((m) => /rule "Prio": priority "LOUD"/.test(m))).toBe(true);
  });

  it('reports a macro syntax error at the macro, and the rule that uses it', () => {
    const engine = load(`- macro: broken\n  condition: fd.name in (a, b\n${rule('evt.type=open and broken', 'UsesBroken')}`);
    expect(engine.errors.map((d) => `${d.line} ${d.item}`)).toEqual(['2 macro "broken"', '5 rule "UsesBroken"']);
  });

  it('checks required_engine_version', () => {
    expect(load('- required_engine_version: 99.0.0\n').errors[0].message).toMatch(/requires rules engine version 99\.0\.0/);
    expect(load('- required_engine_version: 12\n').errors).toEqual([]);
  });

  it('disables rules for other event sources with a warning', () => {
    const engine = load(`${rule('ka.verb=create', 'Audit')}  source: k8s_audit\n`);
    expect(engine.errors).toEqual([]);
    expect(engine.rules[0].enabled).toBe(false);
  });
});

describe('findings', () => {
  it('deduplicates by a fingerprint that ignores pids and times', () => {
    const engine = load(FALCO_STYLE);
    const tracker = new FindingTracker();
    const a = ev({ kind: 'exec', filename: '/bin/sh', argv: ['sh'], ret: 0 });
    const b = ev({ kind: 'exec', filename: '/bin/sh', argv: ['sh', '-x'], ret: 0, tgid: 200, pid: 200, ts: a.ts + 5000 });
    for (const e of [a, b]) engine.evaluate(e, ctx, (m) => tracker.observe(m, ctx));
    const [f] = tracker.list();
    expect(tracker.list()).toHaveLength(1);
    expect(f.count).toBe(2);
    expect(f.last - f.first).toBe(5000);
    expect(f.fingerprint).toBe(sha256Hex('Run shell untrusted|nginx@sha256:abc|/bin/sh'));
    expect(f.container).toMatchObject({ name: 'web-1', image: 'nginx:1.25', imageDigest: 'sha256:abc' });
    expect(f.composeService).toBe('web');
    expect(f.evidence.ancestry!.map((x) => x.exe)).toEqual(['/usr/sbin/nginx', '/bin/bash', '/bin/sh']);
    expect(f.mitre).toEqual(['T1059.004']);
    expect(f.status).toBe('open');
  });

  it('computes SHA-256 correctly', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    // Multi-block input with a non-ASCII character (value from node:crypto).
    expect(sha256Hex('a'.repeat(1000) + 'é')).toBe(LONG_SHA);
  });
});

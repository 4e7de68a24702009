// Program names of multi-call binaries (busybox): proc.name, proc.pname and proc.aname[N] name the applet, for execs
// and for process-table records alike, while proc.exepath stays the real executable.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuleEngine } from './index';
import { programName } from './fields';
import { ev, MemoryContext } from './testkit';

const PROBE = `
- rule: names
  desc: d
  condition: evt.type in (execve, open)
  output: "name=%proc.name pname=%proc.pname a2=%proc.aname[2] exepath=%proc.exepath cmdline=%proc.cmdline pcmdline=%proc.pcmdline"
  priority: INFO
`;
const probe = RuleEngine.fromSources([{ name: 'probe.yaml', text: PROBE }]);
const render = (e: ReturnType<typeof ev>, ctx: MemoryContext): string => {
  const [m] = probe.matches(e, ctx);
  return m.rule.output.render(m.event, ctx);
};

/** A busybox httpd seeded from /proc at capture start (exe is the readlink of /proc/PID/exe), its CGI script, a shell. */
function busyboxServer(): MemoryContext {
  const ctx = new MemoryContext();
  ctx.addProc({ tgid: 10, ppid: 1, exe: '/bin/busybox', argv: ['httpd', '-f', '-p', '8080', '-h', '/www'], comm: 'httpd' });
  ctx.addProc({ tgid: 20, ppid: 10, exe: '/www/cgi-bin/run', argv: ['/www/cgi-bin/run'], comm: 'run' });
  return ctx;
}

describe('multi-call binary names', () => {
  it('names a seeded busybox httpd by its applet, keeping the real exe path', () => {
    const ctx = busyboxServer();
    expect(render(ev({ kind: 'open', tgid: 10, pid: 10, ppid: 1, path: '/www/index.html', flags: 0, mode: 0, ret: 3 }), ctx))
      .toBe('name=httpd pname=nginx a2=<NA> exepath=/bin/busybox cmdline=httpd -f -p 8080 -h /www pcmdline=nginx -g daemon off;');
  });

  it('names an exec of /bin/busybox by argv[0], and its server ancestor by applet too', () => {
    const ctx = busyboxServer();
    expect(render(ev({ kind: 'exec', tgid: 30, pid: 30, ppid: 20, filename: '/bin/busybox', argv: ['sh', '-c', 'id'], ret: 0 }), ctx))
      .toBe('name=sh pname=run a2=httpd exepath=/bin/busybox cmdline=sh -c id pcmdline=run');
  });

  it('names `busybox httpd -f` by argv[1], and the executed record the same way once it is a parent', () => {
    const ctx = busyboxServer();
    expect(render(ev({ kind: 'exec', tgid: 40, pid: 40, ppid: 1, filename: '/bin/busybox', argv: ['busybox', 'httpd', '-f'], ret: 0 }), ctx))
      .toBe('name=httpd pname=nginx a2=<NA> exepath=/bin/busybox cmdline=httpd -f pcmdline=nginx -g daemon off;');
    ctx.addProc({ tgid: 40, ppid: 1, exe: '/bin/busybox', argv: ['busybox', 'httpd', '-f'], comm: 'busybox' });
    expect(render(ev({ kind: 'exec', tgid: 41, pid: 41, ppid: 40, filename: '/bin/sh', argv: ['sh'], ret: 0 }), ctx))
      .toBe('name=sh pname=httpd a2=nginx exepath=/bin/sh cmdline=sh pcmdline=httpd -f');
  });

  it('names a /proc/self/exe re-exec (busybox running an applet) by argv[0]', () => {
    const ctx = busyboxServer();
    expect(render(ev({ kind: 'exec', tgid: 50, pid: 50, ppid: 20, filename: '/proc/self/exe', argv: ['nc', '-l', '-p', '1'], ret: 0 }), ctx))
      .toBe('name=nc pname=run a2=httpd exepath=/proc/self/exe cmdline=nc -l -p 1 pcmdline=run');
  });

  it('keeps the one-entry name cache correct when one exe runs different applets', () => {
    const ctx = busyboxServer();
    ctx.addProc({ tgid: 60, ppid: 10, exe: '/bin/busybox', argv: ['sh'], comm: 'sh' });
    ctx.addProc({ tgid: 61, ppid: 60, exe: '/bin/busybox', argv: ['sleep', '1'], comm: 'sleep' });
    const open = (tgid: number, ppid: number) => ev({ kind: 'open', tgid, pid: tgid, ppid, path: '/x', flags: 0, mode: 0, ret: 3 });
    expect(render(open(60, 10), ctx)).toMatch(/^name=sh pname=httpd /);
    expect(render(open(61, 60), ctx)).toMatch(/^name=sleep pname=sh a2=httpd /);
    expect(render(open(10, 1), ctx)).toMatch(/^name=httpd pname=nginx /);
  });

  it('follows busybox: login shells drop the "-", busybox alone or with an option is busybox, other programs keep their basename', () => {
    expect(programName('/bin/busybox', ['-sh'])).toBe('sh');
    expect(programName('/bin/busybox', ['/bin/sh', '-c', 'id'])).toBe('sh');
    expect(programName('/bin/busybox', ['busybox'])).toBe('busybox');
    expect(programName('/bin/busybox', ['busybox', '--help'])).toBe('busybox');
    expect(programName('/bin/busybox', [])).toBe('busybox');
    expect(programName('/bin/busybox-extras', ['httpd'])).toBe('httpd');
    expect(programName('/usr/bin/toybox', ['toybox', 'nc'])).toBe('nc');
    expect(programName('/usr/bin/python3', ['python', 'x.py'])).toBe('python3');
    expect(programName('/tmp/busybox-copy', ['x'])).toBe('x'); // a renamed copy still answers to its applet
    expect(programName('/tmp/dropped', ['busybox', 'sh'])).toBe('dropped');
  });
});

describe('built-in pack on a busybox server', () => {
  const dir = join(__dirname, '../../../assets/rules');
  const pack = RuleEngine.fromSources([{ name: 'glasshouse_rules.yaml', text: readFileSync(join(dir, 'glasshouse_rules.yaml'), 'utf8') }]);
  const fired = (e: ReturnType<typeof ev>, ctx: MemoryContext) => pack.matches(e, ctx).map((m) => m.rule.name);

  it('sees a shell under a seeded busybox httpd\'s CGI script as spawned by the server, and names it', () => {
    const ctx = busyboxServer();
    const e = ev({ kind: 'exec', tgid: 30, pid: 30, ppid: 20, filename: '/bin/sh', argv: ['sh', '-c', 'id'], ret: 0 });
    const m = pack.matches(e, ctx).find((x) => x.rule.name === 'Shell spawned by a server process');
    expect(m?.rule.output.render(m.event, ctx)).toContain('server=run shell=sh cmdline=sh -c id grandparent=httpd');
  });

  it('does not take a busybox httpd, or busybox itself, for a shell', () => {
    const ctx = busyboxServer();
    const spawnedBy = (argv: string[]) => fired(ev({ kind: 'exec', tgid: 70, pid: 70, ppid: 1, filename: '/bin/busybox', argv, ret: 0 }), ctx);
    expect(spawnedBy(['busybox', 'httpd', '-f'])).not.toContain('Shell spawned by a server process');
    expect(spawnedBy(['busybox', 'sh'])).toContain('Shell spawned by a server process'); // parent is nginx
    expect(spawnedBy(['busybox'])).not.toContain('Shell spawned by a server process');
  });
});

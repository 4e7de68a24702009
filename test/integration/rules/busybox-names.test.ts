// Multi-call binaries live: a busybox httpd already running when capture starts (seeded from /proc, exe
// /bin/busybox) is named "httpd" by ancestry, so the shell its CGI script starts is a server's shell.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../../support/docker';
import { observe, startRig, type Rig } from './harness';

const CGI = '#!/bin/sh\necho Content-Type: text/plain\necho\nsh -c "id" >/dev/null\necho done\n';

describe('busybox program names on a real capture', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig([], undefined, ['sh', '-c',
      `mkdir -p /www/cgi-bin && printf '%s' '${CGI}' > /www/cgi-bin/run && chmod +x /www/cgi-bin/run && exec httpd -f -p 8083 -h /www`]);
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it('names a seeded busybox httpd "httpd" in the ancestry of the shell its CGI script starts', async () => {
    // The server was seeded from /proc, not seen exec'ing: its record carries the multi-call binary as exe.
    const ctx = rig.detector.ctx;
    const pid = Number((await docker(['inspect', '-f', '{{.State.Pid}}', rig.container.id])).trim());
    const seeded = ctx.process(pid);
    expect(seeded && { exe: seeded.exe, argv0: seeded.argv[0] }).toEqual({ exe: '/bin/busybox', argv0: 'httpd' });

    const matches = await observe(rig, 'wget -qO- http://127.0.0.1:8083/cgi-bin/run');
    const shell = matches.find((m) => m.rule.name === 'Shell spawned by a server process');
    const execs = rig.events.filter((e) => e.kind === 'exec').map((e) => e.kind === 'exec' && `${e.tgid}<${e.ppid} ${e.filename} ${JSON.stringify(e.argv)} ${e.ret}`);
    expect(shell, `matches: ${matches.map((m) => m.rule.name).join(', ')}; execs: ${execs.join('\n')}`).toBeDefined();
    expect(shell!.rule.output.render(shell!.event, ctx)).toMatch(/server=run shell=sh cmdline=sh -c id grandparent=httpd /);
    // The server itself is no shell: nothing it does is a shell's doing.
    expect(matches.filter((m) => m.rule.name === 'Terminal shell in container' && m.event.tgid === pid)).toEqual([]);
  });
});

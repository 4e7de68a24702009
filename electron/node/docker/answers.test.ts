import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DockerAnswerError, answerRejectTallies, answerRejects, isEmptyAnswer, onAnswerReject, parseContainerList, parseDiff, parseEvent,
  parseExecInspect, parseInfo, parseInspect, parseStats, parseTop, parseVersion, type DockerCall,
} from './answers';
import { DockerAnswerError as CommonDockerAnswerError, deserializeError, serializeError } from '../../common/ipc/errors';
import { sampleFromStats } from './info';
import { summaryFromListEntry, toContainerDetail } from './inspect';

const FIXTURES = join(__dirname, '../../../test/fixtures/docker');
const ENGINES = ['docker-20.10', 'podman-4.3'].filter((e) => existsSync(join(FIXTURES, e)));
/** A fixture as the engine sent it (bytes), and as dockerode hands a JSON body on (parsed). */
const raw = (engine: string, f: string) => readFileSync(join(FIXTURES, engine, f));
const json = (engine: string, f: string) => JSON.parse(raw(engine, f).toString('utf8')) as unknown;
const lines = (engine: string, f: string) => raw(engine, f).toString('utf8').split('\n').filter(Boolean);

/** Runs `fn`, expects a DockerAnswerError for `call`, and that exactly one reject was counted for it. */
function rejected(call: DockerCall, fn: () => unknown): DockerAnswerError {
  const before = answerRejects()[call] ?? 0;
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DockerAnswerError);
  const e = err as DockerAnswerError;
  expect(e.name).toBe('DockerAnswerError');
  expect(e.code).toBe('EANSWER');
  expect(e.call).toBe(call);
  expect(e.message).toContain(`answered ${call}`);
  expect(e.message).toMatch(/This answer was skipped\.$/);
  expect(answerRejects()[call]).toBe(before + 1);
  expect(answerRejectTallies().find((t) => t.call === call)?.last).toBe(e.message);
  return e;
}

describe('parseDiff', () => {
  it('reads null, an empty body and a Buffer holding null as an empty diff', () => {
    expect(parseDiff('c', null)).toEqual([]);
    expect(parseDiff('c', Buffer.from('null\n'))).toEqual([]);
    expect(parseDiff('c', Buffer.alloc(0))).toEqual([]);
    expect(parseDiff('c', '')).toEqual([]);
  });
  it('parses a Buffer body of entries and plain arrays', () => {
    const body = Buffer.from('[{"Path":"/tmp","Kind":0},{"Path":"/tmp/x","Kind":1}]\n');
    expect(parseDiff('c', body)).toEqual([{ Path: '/tmp', Kind: 0 }, { Path: '/tmp/x', Kind: 1 }]);
    expect(parseDiff('c', [{ Path: '/etc', Kind: 2, Extra: 1 }])).toEqual([{ Path: '/etc', Kind: 2 }]);
  });
  it('turns a malformed answer into a named, counted error', () => {
    rejected('container diff', () => parseDiff('abc', [{ Kind: 1 }]));
    expect(rejected('container diff', () => parseDiff('abc', Buffer.from('{oops'))).message).toMatch(/container diff for container abc/);
    rejected('container diff', () => parseDiff('abc', [{ Path: '/x', Kind: 7 }]));
    rejected('container diff', () => parseDiff('abc', { Path: '/x', Kind: 0 }));
  });
});

describe.each(ENGINES)('every recorded answer of %s parses', (engine) => {
  // Podman 4.3's compat API differs in places; each difference is named where it is asserted.
  const podman = engine.startsWith('podman');

  it('has a parser for every fixture file (a new fixture is never left untested)', () => {
    const known = /^(version|info|list(-running)?|inspect-(running|minimal|stopped|paused|missing)|top-(running|default|paused|stopped)|stats-(running|stopped|stream)|diff-(changed|readonly-idle)|events|exec-inspect-(done|privileged|running))(\.\d{3})?\.jsonl?$/;
    expect(readdirSync(join(FIXTURES, engine)).length).toBe(22);
    for (const f of readdirSync(join(FIXTURES, engine))) expect(f).toMatch(known);
  });

  it('version and info', () => {
    const v = parseVersion(json(engine, 'version.json'));
    expect(v.Version).not.toBe('');
    expect(v.ApiVersion).toMatch(/^1\.\d+$/);
    expect(parseVersion(raw(engine, 'version.json')).Version).toBe(v.Version);
    const i = parseInfo(json(engine, 'info.json'));
    expect(i.OperatingSystem).not.toBe('');
    expect(['cgroupfs', 'systemd']).toContain(i.CgroupDriver);
  });

  it('inspect of a running container with a port, a mount, capabilities and limits', () => {
    const i = parseInspect('full', json(engine, 'inspect-running.json'));
    // Fields Glasshouse does not name still pass (GraphDriver, ResolvConfPath …): a newer engine adds more.
    expect(Object.keys(i).length).toBeGreaterThan(15);
    const d = toContainerDetail(i);
    expect(d.state).toBe('running');
    expect(d.name).toMatch(/^gh-fixture-\d+-full$/);
    expect(d.ports).toEqual([expect.objectContaining({ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1' })]);
    expect(d.facts).toMatchObject({ memoryLimit: 64 << 20, pidsLimit: 50, healthcheck: true, workingDir: '/var/www',
      restartPolicy: { name: 'on-failure', maximumRetryCount: 2 } });
    expect(d.facts.capAdd).toContain('NET_ADMIN');
    expect(d.facts.capDrop).toContain('MKNOD');
    expect(d.facts.mounts).toEqual([expect.objectContaining({ destination: '/data', readOnly: true })]);
    expect(d.facts.env).toContain('MODE=fixture');
    expect(d.facts.pid).toBeGreaterThan(0);
  });

  it('inspect of a read-only container with no ports, mounts or network', () => {
    const d = toContainerDetail(parseInspect('minimal', json(engine, 'inspect-minimal.json')));
    expect(d.ports).toEqual([]);
    expect(d.facts).toMatchObject({ readonlyRootfs: true, networkMode: 'none', mounts: [], capAdd: [], privileged: false });
    // Podman lists the capabilities its smaller default set leaves out as dropped; Docker lists only what was asked.
    if (podman) expect(d.facts.capDrop).toEqual(expect.arrayContaining(['MKNOD', 'NET_RAW']));
    else expect(d.facts.capDrop).toEqual([]);
  });

  it('inspect of a stopped and of a paused container', () => {
    const stopped = toContainerDetail(parseInspect('stopped', json(engine, 'inspect-stopped.json')));
    expect(stopped.state).toBe('exited');
    expect(stopped.facts.pid).toBe(0);
    expect(stopped.startedAt).toBeUndefined();
    const paused = toContainerDetail(parseInspect('minimal', json(engine, 'inspect-paused.json')));
    expect(paused.state).toBe('paused');
  });

  it('an error body in place of an inspect answer is rejected, not read as a container', () => {
    const f = readdirSync(join(FIXTURES, engine)).find((x) => /^inspect-missing\.\d{3}\.json$/.test(x))!;
    expect(f).toBeDefined();
    expect(rejected('container inspect', () => parseInspect('gone', json(engine, f))).message).toMatch(/for container gone/);
  });

  it('the container list: all three containers, ports only where published', () => {
    const list = parseContainerList(json(engine, 'list.json')).map(summaryFromListEntry);
    expect(list.map((c) => c.name.replace(/^gh-fixture-\d+-/, '')).sort()).toEqual(['full', 'minimal', 'stopped']);
    const full = list.find((c) => c.name.endsWith('-full'))!;
    expect(full.ports).toEqual([expect.objectContaining({ containerPort: 80, hostIp: '127.0.0.1', hostPort: expect.any(Number) })]);
    expect(list.find((c) => c.name.endsWith('-minimal'))!.ports).toEqual([]);
    expect(list.find((c) => c.name.endsWith('-stopped'))!.state).toBe('exited');
    expect(parseContainerList(raw(engine, 'list-running.json')).map((c) => c.State).sort()).toEqual(['running', 'running']);
  });

  it('top of a running container (custom and default columns), of a paused and of a stopped one', () => {
    const text = (t: { Processes: string[][] }) => t.Processes.map((p) => p.join(' ')).join('\n');
    expect(text(parseTop('full', json(engine, 'top-default.json')))).toContain('httpd');
    if (podman) {
      // Podman runs ps(1) in the container: busybox ps rejects the custom columns, and a paused or stopped
      // container runs nothing. Each is an empty 200 body: named and counted, never an empty process list.
      for (const f of ['top-running.json', 'top-paused.json', 'top-stopped.json']) {
        expect(isEmptyAnswer(raw(engine, f))).toBe(true);
        rejected('container top', () => parseTop('c', raw(engine, f)));
      }
      // … and it sends busybox's rows and titles as one string each: read as columns, the command with its spaces.
      expect(json(engine, 'top-default.json')).toMatchObject({ Titles: ['PID   USER     COMMAND'] });
      expect(parseTop('full', json(engine, 'top-default.json'))).toEqual({
        Titles: ['PID', 'USER', 'COMMAND'], Processes: [['1', 'root', 'httpd -f -p 80 -h /var/www']],
      });
      return;
    }
    const custom = parseTop('full', json(engine, 'top-running.json'));
    expect(custom.Titles).toEqual(['PID', 'PPID', 'USER', 'ELAPSED', 'COMMAND']);
    expect(text(custom)).toContain('httpd');
    expect(text(parseTop('minimal', json(engine, 'top-paused.json')))).toContain('sleep 600');
    expect(json(engine, 'top-stopped.409.json')).toMatchObject({ message: expect.stringMatching(/is not running/) });
  });

  it('stats of a running container, of a stopped one (one-shot) and a stream', () => {
    const running = sampleFromStats('full', parseStats('full', json(engine, 'stats-running.json')));
    expect(running.memLimit).toBe(64 << 20);
    expect(running.pids).toBeGreaterThanOrEqual(1);
    if (podman) {
      // Podman answers a stopped container's one-shot stats with an empty body (Glasshouse follows streams only,
      // where that is no line at all); as an answer it is named and counted.
      rejected('container stats', () => parseStats('stopped', raw(engine, 'stats-stopped.json')));
    } else {
      const stopped = sampleFromStats('stopped', parseStats('stopped', json(engine, 'stats-stopped.json')));
      expect(stopped).toMatchObject({ cpuPercent: 0, pids: 0, netRxBytes: 0 });
    }
    const stream = lines(engine, 'stats-stream.jsonl');
    expect(stream.length).toBe(2);
    for (const l of stream) expect(sampleFromStats('full', parseStats('full', Buffer.from(l))).memLimit).toBe(64 << 20);
  });

  it('diff of a changed and of a read-only idle container', () => {
    expect(parseDiff('c', raw(engine, 'diff-changed.json'))).toEqual(expect.arrayContaining([{ Path: '/tmp/m', Kind: 1 }]));
    // Podman counts its own /etc (hosts, resolv.conf) and /var/tmp set-up as changes even on a read-only root.
    expect(parseDiff('c', raw(engine, 'diff-readonly-idle.json')).filter((d) => !/^\/(etc|var)(\/|$)/.test(d.Path))).toEqual([]);
    if (!podman) expect(parseDiff('c', raw(engine, 'diff-readonly-idle.json'))).toEqual([]);
  });

  it('every event line, with the create, start, exec, die and removal actions among them', () => {
    const events = lines(engine, 'events.jsonl').map((l) => parseEvent(l));
    const actions = new Set(events.map((e) => e.Action.split(':')[0]));
    // Podman 4.3 names them exec / exec_died / remove (Docker: exec_create / exec_start / destroy), and its exec
    // event carries no execID attribute.
    for (const a of podman ? ['create', 'start', 'exec', 'exec_died', 'die', 'remove'] : ['create', 'start', 'exec_create', 'exec_start', 'die', 'destroy']) {
      expect(actions).toContain(a);
    }
    if (!podman) expect(events.find((e) => e.Action.startsWith('exec_create'))!.Actor.Attributes?.execID).toMatch(/^[0-9a-f]{64}$/);
    expect(events.every((e) => e.Type === 'container' && e.Actor.ID.length > 0)).toBe(true);
  });

  it('exec inspect: finished as another user, privileged, still running', () => {
    const done = parseExecInspect('e1', json(engine, 'exec-inspect-done.json'));
    // Podman 4.3 still says Running: true seconds after a detached exec has ended.
    expect(done).toMatchObject({ Running: podman, ExitCode: 0, ProcessConfig: { entrypoint: 'id', user: 'nobody' } });
    const priv = parseExecInspect('e2', json(engine, 'exec-inspect-privileged.json'));
    expect(priv.Privileged === true || priv.ProcessConfig.privileged === true).toBe(true);
    const running = parseExecInspect('e3', json(engine, 'exec-inspect-running.json'));
    // Podman answers ExitCode 0, not null, for an exec still running.
    expect(running).toMatchObject({ Running: true, ExitCode: podman ? 0 : null, ProcessConfig: { entrypoint: 'sleep', arguments: ['30'] } });
  });
});

describe('a malformed answer becomes a named, counted DockerAnswerError', () => {
  const engine = 'docker-20.10';
  const inspect = () => json(engine, 'inspect-running.json') as Record<string, any>;
  const html = Buffer.from('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n');

  it('says what was wrong, for which container, and what it means for the user', () => {
    const e = rejected('container inspect', () => parseInspect('0123456789abcdef', html));
    expect(e.message).toContain('for container 0123456789ab');
    expect(e.message).toContain('the body is not JSON: "<html><head><title>502 Bad Gateway</titl…"');
    expect(e.message).toContain("Glasshouse cannot show or judge this container's configuration");
    expect(e.hint).toMatch(/Podman/);
    // Across IPC it stays a DockerAnswerError with its sentence, hint and code.
    const back = deserializeError(serializeError(e));
    expect(back).toBeInstanceOf(CommonDockerAnswerError);
    expect(back).toMatchObject({ name: 'DockerAnswerError', message: e.message, hint: e.hint, code: 'EANSWER' });
  });

  it.each<[string, () => unknown]>([
    ['null', () => null],
    ['an HTML error page in a Buffer', () => html],
    ['an array', () => [inspect()]],
    ['no HostConfig (posture would default to unprivileged)', () => ({ ...inspect(), HostConfig: undefined })],
    ['State.Running as a string', () => ({ ...inspect(), State: { ...inspect().State, Running: 'true' } })],
    ['an empty Id', () => ({ ...inspect(), Id: '' })],
    ['CapAdd as a number', () => ({ ...inspect(), HostConfig: { ...inspect().HostConfig, CapAdd: 5 } })],
    ['Ports bindings as a string', () => ({ ...inspect(), NetworkSettings: { Ports: { '80/tcp': '8080' } } })],
  ])('inspect: %s', (_what, body) => {
    rejected('container inspect', () => parseInspect('c', body()));
  });

  it('inspect: a newer engine\'s extra fields and nulls where Docker allows them pass', () => {
    const i = parseInspect('c', { ...inspect(), Shiny: { New: true }, Mounts: null, NetworkSettings: null,
      Config: { ...inspect().Config, Labels: null, Env: null, Entrypoint: 'sh' } });
    expect(i.Shiny).toEqual({ New: true });
    expect(toContainerDetail(i).facts).toMatchObject({ mounts: [], entrypoint: ['sh'], env: [] });
  });

  it.each<[string, unknown]>([
    ['null', null], ['an object', { Id: 'x' }], ['HTML', html], ['a string of JSON text that is not a list', Buffer.from('"oops"')],
  ])('list: %s rejects the whole answer', (_what, body) => {
    rejected('container list', () => parseContainerList(body));
  });

  it('list: one malformed entry is left out and named; the others stay', () => {
    const good = json(engine, 'list.json') as Array<Record<string, unknown>>;
    const bad = { ...good[0], Id: 'feedfacefeedface00', Created: 'yesterday' };
    const before = answerRejects()['container list'] ?? 0;
    const out = parseContainerList([good[1], bad, 42, good[2]]);
    expect(out.map((c) => c.Id)).toEqual([good[1].Id, good[2].Id]);
    expect(answerRejects()['container list']).toBe(before + 2);
    expect(answerRejectTallies().find((t) => t.call === 'container list')!.last).toMatch(/for entry 3 .*left out of the container list/);
  });

  it.each<[string, unknown]>([
    ['null', null], ['HTML', html], ['Processes as rows of numbers', { Titles: ['PID'], Processes: [[1]] }],
    ['no Titles', { Processes: [] }], ['an error body', { message: 'Container x is not running' }],
  ])('top: %s', (_what, body) => {
    rejected('container top', () => parseTop('c', body));
  });

  it('top: an empty body (Podman\'s answer when ps fails in the container) is named, not an empty list', () => {
    expect(isEmptyAnswer(Buffer.alloc(0))).toBe(true);
    expect(isEmptyAnswer(Buffer.from('\n'))).toBe(true);
    expect(isEmptyAnswer({ Titles: [] })).toBe(false);
    expect(rejected('container top', () => parseTop('c', Buffer.alloc(0))).message).toContain('answer: ');
  });

  it('top: Processes null is no process', () => {
    expect(parseTop('c', { Titles: ['PID'], Processes: null })).toEqual({ Titles: ['PID'], Processes: [] });
  });

  it.each<[string, unknown]>([
    ['null', null], ['a torn document', Buffer.from('{"read":"2026-01-01T00:00:00Z","cpu_st')], ['read missing', { cpu_stats: {} }],
    ['memory usage as a string', { read: 'x', memory_stats: { usage: '12' } }], ['an array', [{ read: 'x' }]],
  ])('stats: %s', (_what, body) => {
    rejected('container stats', () => parseStats('c', body));
  });

  it.each<[string, string]>([
    ['not JSON', 'event stream says hi'], ['null', 'null'], ['no Actor', '{"Type":"container","Action":"start"}'],
    ['Action as a number', '{"Type":"container","Action":1,"Actor":{"ID":"x"}}'],
    ['the pre-1.22 shape only', '{"status":"start","id":"abc","from":"busybox","time":1}'],
  ])('event: %s', (_what, line) => {
    rejected('engine event', () => parseEvent(line));
  });

  it.each<[string, unknown]>([
    ['null', null], ['HTML', html], ['no ProcessConfig', { ID: 'e', ContainerID: 'c', Running: false, ExitCode: 0 }],
    ['ExitCode as a string', { ...(json(engine, 'exec-inspect-done.json') as object), ExitCode: '0' }],
    ['no ContainerID', { ...(json(engine, 'exec-inspect-done.json') as object), ContainerID: undefined }],
  ])('exec inspect: %s', (_what, body) => {
    expect(rejected('exec inspect', () => parseExecInspect('0123456789abcdef0', body)).message).toContain('for exec 0123456789ab');
  });

  it.each<[string, unknown]>([
    ['null', null], ['HTML', html], ['ApiVersion as a number', { ...(json(engine, 'version.json') as object), ApiVersion: 1.41 }],
    ['ApiVersion not a version', { ...(json(engine, 'version.json') as object), ApiVersion: 'latest' }],
  ])('version: %s', (_what, body) => {
    rejected('engine version', () => parseVersion(body));
  });

  it.each<[string, unknown]>([
    ['null', null], ['HTML', html], ['SecurityOptions as a string', { ...(json(engine, 'info.json') as object), SecurityOptions: 'name=rootless' }],
    ['no OperatingSystem', { CgroupDriver: 'systemd' }],
  ])('info: %s', (_what, body) => {
    rejected('engine info', () => parseInfo(body));
  });

  it('tells listeners about each rejected answer, and stops when asked', () => {
    let heard = 0;
    const stop = onAnswerReject(() => heard++);
    expect(() => parseTop('c', null)).toThrow(DockerAnswerError);
    expect(() => parseVersion(null)).toThrow(DockerAnswerError);
    stop();
    expect(() => parseInfo(null)).toThrow(DockerAnswerError);
    expect(heard).toBe(2);
  });
});

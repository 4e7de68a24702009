import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from '../model/event';
import { RuleEngine } from '../rules/engine';
import { WorldState } from '../state/worldState';
import { Detector } from './detector';

const CID = 'c'.repeat(64);
const pack = () => RuleEngine.fromSources([{ name: 'glasshouse_rules.yaml', text: readFileSync(join(__dirname, '../../../assets/rules/glasshouse_rules.yaml'), 'utf8') }]);
let seq = 0;
const base = (tgid: number, ppid: number, comm: string) => ({
  ts: 1_700_000_000_000 + seq, seq: seq++, pid: tgid, tgid, ppid, uid: 0, gid: 0, comm, cgroupId: '42', mntns: 1, containerId: CID,
});
const exec = (tgid: number, ppid: number, filename: string, argv: string[]): RuntimeEvent =>
  ({ ...base(tgid, ppid, filename.split('/').pop()!.slice(0, 15)), kind: 'exec', filename, argv, ret: 0 });
const fork = (parent: number, ppid: number, child: number, comm: string): RuntimeEvent =>
  ({ ...base(parent, ppid, comm), kind: 'fork', childPid: child, childTgid: child, thread: false });

describe('Detector', () => {
  it('turns a server spawning a shell into one finding with ancestry, counted on repeat, and streams only changes', () => {
    const world = new WorldState();
    world.upsertContainer({ id: CID, name: 'web-1', image: 'shop/web:1', composeProject: 'shop', composeService: 'web' });
    const d = new Detector(pack(), world);
    const run = (evs: RuntimeEvent[]) => { world.applyBatch(evs); d.observe(evs); };

    run([exec(100, 1, '/usr/sbin/nginx', ['nginx', '-g', 'daemon off;']), fork(100, 1, 101, 'nginx'), exec(101, 100, '/bin/sh', ['sh', '-c', 'id'])]);
    const shell = d.list().find((f) => f.ruleId === 'Shell spawned by a server process');
    expect(shell).toBeDefined();
    expect(shell).toMatchObject({ severity: 'high', source: 'runtime', count: 1, container: { id: CID, name: 'web-1', image: 'shop/web:1' }, composeService: 'web' });
    expect(shell!.mitre).toContain('T1059.004');
    expect(shell!.evidence.ancestry?.map((a) => a.exe)).toEqual(expect.arrayContaining(['/usr/sbin/nginx', '/bin/sh']));
    expect(shell!.evidence.output).toMatch(/server=nginx shell=sh/);

    const first = d.changedSince(0);
    expect(first.findings.map((f) => f.ruleId)).toContain('Shell spawned by a server process');
    expect(d.changedSince(first.rev).findings).toEqual([]);

    run([fork(100, 1, 102, 'nginx'), exec(102, 100, '/bin/sh', ['sh', '-c', 'id'])]);
    expect(d.list().find((f) => f.ruleId === 'Shell spawned by a server process')!.count).toBe(2);
    expect(d.changedSince(first.rev).findings.map((f) => f.ruleId)).toContain('Shell spawned by a server process');
    expect(d.changedSince(first.rev, ['other-container']).findings).toEqual([]);

    expect(d.setStatus(shell!.fingerprint, 'expected')?.status).toBe('expected');
    expect(d.setStatus('0'.repeat(64), 'expected')).toBeUndefined();
  });

  it('does not take a failed exec for a spawned process (spawned_process needs evt.res = SUCCESS)', () => {
    const world = new WorldState();
    world.upsertContainer({ id: CID, name: 'web-1', image: 'shop/web:1' });
    const d = new Detector(pack(), world);
    const failed = { ...exec(301, 300, '/bin/sh', ['sh', '-c', 'id']), ret: -13 } as RuntimeEvent; // EACCES
    const evs = [exec(300, 1, '/usr/sbin/nginx', ['nginx']), fork(300, 1, 301, 'nginx'), failed];
    world.applyBatch(evs);
    d.observe(evs);
    expect(d.list().map((f) => f.ruleId)).not.toContain('Shell spawned by a server process');
    expect(world.processes.byPid(301)?.exe).not.toBe('/bin/sh'); // the failed attempt did not become the process image
    const ok = exec(301, 300, '/bin/sh', ['sh', '-c', 'id']);
    world.applyBatch([ok]);
    d.observe([ok]);
    expect(d.list().map((f) => f.ruleId)).toContain('Shell spawned by a server process');
  });

  it('stays quiet on a benign process tree', () => {
    const world = new WorldState();
    world.upsertContainer({ id: CID, name: 'app', image: 'app:1' });
    const d = new Detector(pack(), world);
    const evs = [exec(200, 1, '/app/server', ['/app/server', '--port', '8080']), fork(200, 1, 201, 'server'), exec(201, 200, '/app/worker', ['/app/worker'])];
    world.applyBatch(evs);
    d.observe(evs);
    expect(d.list()).toEqual([]);
    expect(d.stats.evaluated).toBe(3);
  });

  it('points a finding\'s evidence at the flow and file rows by the keys the state tables gave them', () => {
    const world = new WorldState();
    world.upsertContainer({ id: CID, name: 'web-1', image: 'shop/web:1' });
    const d = new Detector(pack(), world);
    const connect = { ...base(401, 1, 'sh'), kind: 'connect', fd: 3, family: 'inet', proto: 'tcp', daddr: '203.0.113.7', dport: 4444, ret: 0 } as RuntimeEvent;
    const write = { ...base(401, 1, 'sh'), kind: 'open', path: '/etc/gh-evil', flags: 0o1 | 0o100, mode: 0o644, ret: 3 } as RuntimeEvent;
    const evs = [exec(401, 1, '/bin/sh', ['sh', '-c', 'x']), connect, write];
    world.applyBatch(evs, d.observeOne);
    const out = d.list().find((f) => f.ruleId === 'Shell opens network connection')!;
    const etc = d.list().find((f) => f.ruleId === 'Write below etc')!;
    const flow = world.flows.flows(CID).find((f) => f.remotePort === 4444)!;
    const file = world.files.get(CID, '/etc/gh-evil')!;
    expect(out.evidence.flowKey).toBe(flow.key);
    expect(etc.evidence.fileKey).toBe(file.key);
    expect(etc.evidence.flowKey).toBeUndefined();
  });
});

// Posture checks on hand-built ContainerDetails, and "mark as expected" round-trips through the loader.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ContainerDetail, ContainerFacts } from '../../model/container';
import { RuleEngine, FindingTracker } from '../index';
import { ev, MemoryContext, CID } from '../testkit';
import { POSTURE_CHECKS, runPostureChecks } from './checks';
import { execPostureFindings } from './exec';
import { markExpected, POSTURE_EXPECTED_LIST } from './expectations';

const hardenedFacts: ContainerFacts = {
  user: '10001', privileged: false, capAdd: [], capDrop: ['ALL'], readonlyRootfs: true,
  securityOpt: ['no-new-privileges:true', 'label=type:container_t'], apparmorProfile: 'docker-default',
  networkMode: 'bridge', pidMode: '', ipcMode: 'private', utsMode: '', usernsMode: '', cgroupParent: '',
  mounts: [{ type: 'volume', source: '/var/lib/docker/volumes/x/_data', destination: '/data', readOnly: false, propagation: '' }],
  devices: [], memoryLimit: 256 * 1024 * 1024, nanoCpus: 1e9, cpuShares: 0, pidsLimit: 100,
  restartPolicy: { name: 'on-failure', maximumRetryCount: 3 }, healthcheck: true, healthStatus: 'healthy',
  env: ['PATH=/bin', 'DB_PASSWORD_FILE=/run/secrets/db'], networks: [], entrypoint: [], cmd: [], workingDir: '/', pid: 1,
  imageDigest: 'sha256:feed', ulimits: [],
};
const detail = (f: Partial<ContainerFacts> = {}, d: Partial<ContainerDetail> = {}): ContainerDetail => ({
  id: CID, name: 'web-1', image: 'nginx:1.25', imageId: 'sha256:1', state: 'running', status: 'Up', createdAt: 1, startedAt: 2,
  ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 8080 }], labels: {},
  composeProject: 'shop', composeService: 'web', facts: { ...hardenedFacts, ...f }, ...d,
});
const ids = (d: ContainerDetail, host = {}) => runPostureChecks(d, { host }).map((f) => f.ruleId.replace('cis-docker-', ''));

describe('posture checks', () => {
  it('pass on a hardened container', () => {
    expect(ids(detail(), { swarmState: 'inactive', processNames: ['nginx'] })).toEqual([]);
  });

  const bad: Array<[string, Partial<ContainerFacts>, Partial<ContainerDetail>?, object?]> = [
    ['5.1', {}, {}, { swarmState: 'active' }],
    ['5.2', { apparmorProfile: 'unconfined' }],
    ['5.3', { securityOpt: ['no-new-privileges:true'] }],
    ['5.4', { capAdd: ['SYS_ADMIN'] }],
    ['5.5', { privileged: true }],
    ['5.6', { mounts: [{ type: 'bind', source: '/etc', destination: '/host-etc', readOnly: true }] }],
    ['5.7', {}, {}, { processNames: ['sshd'] }],
    ['5.8', {}, { ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 80 }] }],
    ['5.10', { networkMode: 'host' }],
    ['5.11', { memoryLimit: 0 }],
    ['5.12', { nanoCpus: 0, cpuShares: 0 }],
    ['5.13', { readonlyRootfs: false }],
    ['5.14', {}, { ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 }] }],
    ['5.15', { restartPolicy: { name: 'always', maximumRetryCount: 0 } }],
    ['5.16', { pidMode: 'host' }],
    ['5.17', { ipcMode: 'host' }],
    ['5.20', { mounts: [{ type: 'bind', source: '/srv', destination: '/srv', readOnly: false, propagation: 'rshared' }] }],
    ['5.21', { utsMode: 'host' }],
    ['5.22', { securityOpt: ['no-new-privileges:true', 'label=x', 'seccomp=unconfined'] }],
    ['5.25', { cgroupParent: '/custom' }],
    ['5.26', { securityOpt: ['label=type:container_t'] }],
    ['5.27', { healthStatus: undefined }],
    ['5.29', { pidsLimit: null }],
    ['5.31', { usernsMode: 'host' }],
    ['5.32', { mounts: [{ type: 'bind', source: '/var/run/docker.sock', destination: '/var/run/docker.sock', readOnly: false }] }],
    ['4.1', { user: '' }],
    ['4.6', { healthcheck: false }],
    ['4.10', { env: ['DB_PASSWORD=hunter2'] }],
  ];
  it('cover every check', () => {
    expect(bad.map((b) => b[0]).sort()).toEqual(POSTURE_CHECKS.map((c) => c.id).sort());
  });
  it.each(bad)('%s fails on its misconfiguration only', (id, f, d, host) => {
    expect(ids(detail(f, d), { swarmState: 'inactive', processNames: ['nginx'], ...host })).toEqual([id]);
  });

  it('never puts a secret value into evidence, and rates SYS_ADMIN higher than other caps', () => {
    const [f] = runPostureChecks(detail({ env: ['API_TOKEN=s3cr3t'] }), { only: new Set(['4.10']) });
    expect(f.evidence).toMatchObject({ field: 'Config.Env', value: 'API_TOKEN' });
    expect(JSON.stringify(f)).not.toContain('s3cr3t');
    expect(runPostureChecks(detail({ capAdd: ['SYS_ADMIN'] }), { only: new Set(['5.4']) })[0].severity).toBe('high');
    expect(runPostureChecks(detail({ capAdd: ['IPC_LOCK'] }), { only: new Set(['5.4']) })[0].severity).toBe('medium');
    expect(runPostureChecks(detail({ capAdd: ['NET_BIND_SERVICE'] }), { only: new Set(['5.4']) })).toEqual([]);
  });

  it('has stable fingerprints and carries why, fix, severity', () => {
    const a = runPostureChecks(detail({ privileged: true }))[0];
    const b = runPostureChecks(detail({ privileged: true }, { id: 'f'.repeat(64) }))[0];
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a).toMatchObject({ source: 'posture', severity: 'critical', ruleId: 'cis-docker-5.5' });
    expect(a.fix).toMatch(/compose: .*\ndocker run: /s);
  });
});

const pack = readFileSync(join(__dirname, '../../../../assets/rules/glasshouse_rules.yaml'), 'utf8');

describe('mark as expected', () => {
  it('writes a Falco exception scoped to the image that stops the rule for that image only', () => {
    const ctx = new MemoryContext();
    ctx.procs.get(50)!.fromExec = true;
    const shell = ev({ kind: 'exec', filename: '/bin/sh', argv: ['sh'], ret: 0 });
    const before = RuleEngine.fromSources([{ name: 'pack.yaml', text: pack }]);
    const tracker = new FindingTracker();
    before.evaluate(shell, ctx, (m) => tracker.observe(m, ctx));
    const finding = tracker.list().find((f) => f.ruleId === 'Terminal shell in container')!;
    expect(finding).toBeDefined();

    const user = markExpected('# my rules\n', finding, 'image');
    expect(user).toContain('# my rules');
    expect(markExpected(user, finding, 'image')).toBe(user); // idempotent
    const after = RuleEngine.fromSources([{ name: 'pack.yaml', text: pack }, { name: 'user.yaml', text: user }]);
    expect(after.errors).toEqual([]);
    expect(after.matches(shell, ctx).map((m) => m.rule.name)).not.toContain('Terminal shell in container');
    ctx.containers.set('c'.repeat(64), { id: 'c'.repeat(64), name: 'api', image: 'python:3.12' });
    expect(after.matches({ ...shell, containerId: 'c'.repeat(64) }, ctx).map((m) => m.rule.name)).toContain('Terminal shell in container');
  });

  it('scopes to a compose service and appends further values to the same exception', () => {
    const ctx = new MemoryContext();
    ctx.procs.get(50)!.fromExec = true;
    const shell = ev({ kind: 'exec', filename: '/bin/sh', argv: ['sh'], ret: 0 });
    const engine = RuleEngine.fromSources([{ name: 'pack.yaml', text: pack }]);
    const tracker = new FindingTracker();
    engine.evaluate(shell, ctx, (m) => tracker.observe(m, ctx));
    const f = tracker.list()[0];
    let user = markExpected('', f, 'service');
    user = markExpected(user, { ...f, composeService: 'worker' }, 'service');
    expect(user.match(/glasshouse_expected_service/g)).toHaveLength(1);
    const after = RuleEngine.fromSources([{ name: 'pack.yaml', text: pack }, { name: 'user.yaml', text: user }]);
    expect(after.errors).toEqual([]);
    expect(after.matches(shell, ctx)).toEqual([]);
    expect(() => markExpected('', { ...f, composeProject: undefined }, 'service')).toThrow(/not part of a compose service/);
  });

  it('records posture expectations in a list the posture checks honour', () => {
    const [f] = runPostureChecks(detail({ readonlyRootfs: false }), { only: new Set(['5.13']) });
    const user = markExpected('', f, 'image');
    const engine = RuleEngine.fromSources([{ name: 'pack.yaml', text: pack }, { name: 'user.yaml', text: user }]);
    expect(engine.errors).toEqual([]);
    const expected = new Set(engine.list(POSTURE_EXPECTED_LIST));
    expect([...expected]).toEqual(['5.13:image:nginx']);
    expect(runPostureChecks(detail({ readonlyRootfs: false }), { only: new Set(['5.13']), expected })[0].status).toBe('expected');
    expect(runPostureChecks(detail({ readonlyRootfs: false }, { image: 'redis:7' }), { only: new Set(['5.13']), expected })[0].status).toBe('open');
  });

  it('refuses to edit a malformed file', () => {
    const [f] = runPostureChecks(detail({ privileged: true }));
    expect(() => markExpected('- rule: [x\n', f, 'image')).toThrow(/not valid YAML/);
  });
});

describe('CIS 5.23 (exec --privileged)', () => {
  const exec = (privileged: boolean) => ({ execId: 'e1', containerId: CID, privileged, user: 'root', command: ['sh', '-c', 'id'], ts: 5 });

  it('fires for a privileged exec only, with the command as evidence, and honours expected marks', () => {
    expect(execPostureFindings(detail(), exec(false))).toEqual([]);
    const [f] = execPostureFindings(detail(), exec(true));
    expect(f).toMatchObject({ ruleId: 'cis-docker-5.23', source: 'posture', severity: 'high', status: 'open', first: 5 });
    expect(f.evidence).toMatchObject({ field: 'ExecConfig.Privileged', value: 'sh -c id (user root)' });
    expect(f.mitre).toContain('T1609');
    // Deduplicated per container like the other posture checks.
    expect(execPostureFindings(detail(), { ...exec(true), command: ['ls'] })[0].fingerprint).toBe(f.fingerprint);
    expect(execPostureFindings(detail(), exec(true), { expected: new Set(['5.23:service:shop/web']) })[0].status).toBe('expected');
  });
});

// glasshouse.yaml: parsing with line-numbered problems, and evaluation into policy findings.
import { describe, expect, it } from 'vitest';
import { parsePolicy, formatProblems } from './policy';
import { evaluatePolicy, globToRegExp } from './evaluate';
import { keyedFile, keyedFlow } from '../state/keys';
import type { ContainerRef, FileChange, Flow, ProcessNode } from '../model';

const POLICY = `version: 1
defaults:
  severity: medium
services:
  web:
    processes: [nginx, /usr/sbin/nginx, /docker-entrypoint.sh]
    egress:
      - db:5432
      - "*.example.com:443"
      - 10.0.0.0/8
    writes: [/var/cache/nginx/**, /tmp/*.pid]
    severity: high
  db:
    egress: []
`;

const web: ContainerRef = { id: 'w'.repeat(64), name: 'shop-web-1', image: 'nginx:1.25', composeProject: 'shop', composeService: 'web' };
const db: ContainerRef = { id: 'd'.repeat(64), name: 'shop-db-1', image: 'postgres:16', composeProject: 'shop', composeService: 'db' };
const other: ContainerRef = { id: 'o'.repeat(64), name: 'shop-cache-1', image: 'redis:7', composeService: 'cache' };

const proc = (key: string, exe: string, containerId: string, parentKey?: string): ProcessNode =>
  ({ key, tgid: Number(key.split('@')[0]), ppid: 0, parentKey, containerId, exe, argv: [exe.split('/').pop()!], uid: 0, comm: 'x', start: 1000, lineage: [] });
const flow = (containerId: string, remoteAddr: string, remotePort: number, extra: Partial<Flow> = {}): Flow =>
  keyedFlow({ containerId, direction: 'outbound', proto: 'tcp', remoteAddr, remotePort, count: 1, failures: 0, first: 1, last: 2, exes: ['/bin/x'], ...extra });
const write = (containerId: string, path: string, processKey?: string): FileChange =>
  keyedFile({ containerId, path, kinds: ['created'], first: 5, last: 5, processKey });

describe('parsePolicy', () => {
  it('reads services, defaults and egress forms', () => {
    const { policy, problems } = parsePolicy(POLICY);
    expect(problems).toEqual([]);
    const w = policy!.services.get('web')!;
    expect(w.severity).toBe('high');
    expect(w.egress!.map((e) => [e.host, e.port])).toEqual([['db', 5432], ['*.example.com', 443], ['10.0.0.0/8', undefined]]);
    expect(policy!.services.get('db')!.severity).toBe('medium');
    expect(policy!.services.get('db')!.processes).toBeUndefined();
    expect(w.line).toBe(5);
  });

  it('names file, line and the fix for every mistake, and keeps going', () => {
    const { policy, problems } = parsePolicy('version: 2\nservices:\n  web:\n    egres: [a]\n    egress: ["db:99999"]\n    writes: [tmp]\n    severity: urgent\n', 'g.yaml');
    expect(policy).toBeUndefined();
    expect(formatProblems(problems)).toBe([
      'g.yaml:1: Set "version: 1" (the only policy version there is).',
      'g.yaml:4: Unknown key "egres" in web: expected processes, egress, writes, severity.',
      'g.yaml:5: services.web.egress entry "db:99999" has a bad port "99999" (use 1-65535 or *).',
      'g.yaml:6: services.web.writes entry "tmp" must be an absolute path or glob, e.g. /tmp/**.',
      'g.yaml:7: services.web.severity must be one of critical, high, medium, low, info.',
    ].join('\n'));
    expect(parsePolicy('services: [').problems[0].line).toBeGreaterThan(0);
  });
});

describe('evaluatePolicy', () => {
  const { policy } = parsePolicy(POLICY, 'glasshouse.yaml');

  it('turns processes, egress and writes outside the allow-lists into findings', () => {
    const processes = [
      proc('1@0', '/usr/sbin/nginx', web.id),
      proc('7@1', '/bin/sh', web.id, '1@0'),
      proc('8@2', '/bin/sh', web.id, '1@0'),
      proc('9@3', '/usr/bin/anything', db.id),
      proc('3@4', '/bin/sh', other.id),
    ];
    const flows = [
      flow(web.id, '172.18.0.3', 5432, { remoteContainer: 'shop-db-1' }),
      flow(web.id, '93.184.216.34', 443, { dnsName: 'api.example.com' }),
      flow(web.id, '10.1.2.3', 8080),
      flow(web.id, '127.0.0.11', 53),
      flow(web.id, '203.0.113.7', 3333),
      flow(db.id, '172.18.0.2', 80, { remoteContainer: 'shop-web-1' }),
      flow(other.id, '203.0.113.7', 3333),
    ];
    const fileChanges = [write(web.id, '/var/cache/nginx/a/b'), write(web.id, '/tmp/nginx.pid'), write(web.id, '/etc/passwd', '7@1'), write(web.id, '/tmp/sub/x.pid')];
    const findings = evaluatePolicy(policy!, { containers: [web, db, other], processes, flows, fileChanges });
    const summary = findings.map((f) => `${f.ruleId} ${f.container.name} ${f.evidence.path ?? f.evidence.endpoint} ×${f.count} ${f.severity}`).sort();
    expect(summary).toEqual([
      'policy.egress shop-db-1 shop-web-1:80 (172.18.0.2) ×1 medium',
      'policy.egress shop-web-1 203.0.113.7:3333 ×1 high',
      'policy.process shop-web-1 /bin/sh ×2 high',
      'policy.write shop-web-1 /etc/passwd ×1 high',
      'policy.write shop-web-1 /tmp/sub/x.pid ×1 high',
    ]);
    const shell = findings.find((f) => f.ruleId === 'policy.process')!;
    expect(shell.source).toBe('policy');
    expect(shell.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(shell.evidence.ancestry!.map((a) => a.exe)).toEqual(['/usr/sbin/nginx', '/bin/sh']);
    expect(shell.fix).toBe('Stop the behaviour, or if it is expected add "/bin/sh" to services.web.processes in glasshouse.yaml (line 5).');
    const passwd = findings.find((f) => f.evidence.path === '/etc/passwd')!;
    expect(passwd.evidence.ancestry!.at(-1)!.exe).toBe('/bin/sh');
    // The evidence points at the rows by the keys the state tables gave them.
    expect(passwd.evidence.fileKey).toBe(fileChanges[2].key);
    expect(findings.find((f) => f.evidence.endpoint === '203.0.113.7:3333')!.evidence.flowKey).toBe(flows[4].key);
    // Same behaviour, same fingerprint on the next run (no pids, ids or times in it).
    const again = evaluatePolicy(policy!, { containers: [web, db, other], processes, flows, fileChanges });
    expect(again.map((f) => f.fingerprint).sort()).toEqual(findings.map((f) => f.fingerprint).sort());
  });

  it('globs: ** spans directories, * stays in one segment', () => {
    expect(globToRegExp('/var/**').test('/var/a/b/c')).toBe(true);
    expect(globToRegExp('/var/**/x').test('/var/x')).toBe(true);
    expect(globToRegExp('/tmp/*.pid').test('/tmp/a/b.pid')).toBe(false);
    expect(globToRegExp('/tmp/?.pid').test('/tmp/a.pid')).toBe(true);
    expect(globToRegExp('/a.b').test('/aXb')).toBe(false);
  });
});

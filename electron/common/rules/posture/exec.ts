// CIS 5.23 (no `docker exec --privileged`): judged per exec from Docker's exec events, not from the container config.
import type { ContainerDetail } from '../../model/container';
import type { Finding } from '../../model/finding';
import { imageKey } from '../findings';
import { sha256Hex } from '../sha256';
import { postureExpectationKeys, postureRuleId } from './checks';

/** One `docker exec` as Docker's exec inspect describes it (ProcessConfig). */
export interface ContainerExecInfo {
  execId: string;
  containerId: string;
  privileged: boolean;
  /** `--user` as given; empty means the container's user. */
  user: string;
  command: string[];
  /** When Docker reported the exec (ms). */
  ts: number;
}

const CIS_ID = '5.23';

/**
 * A finding when the exec asked for --privileged: every capability and device, even in a hardened container.
 * Deduplicated per container like the other posture checks; the latest exec's command is the evidence.
 */
export function execPostureFindings(d: ContainerDetail, e: ContainerExecInfo, opts: { expected?: ReadonlySet<string>; hash?: (s: string) => string } = {}): Finding[] {
  if (!e.privileged) return [];
  const ruleId = postureRuleId(CIS_ID);
  const hash = opts.hash ?? sha256Hex;
  const expected = opts.expected && postureExpectationKeys(CIS_ID, d).some((k) => opts.expected!.has(k));
  return [{
    fingerprint: hash(`${ruleId}|${imageKey(d.image, d.facts.imageDigest)}|${CIS_ID}:${d.name}`),
    ruleId,
    title: `docker exec --privileged (CIS ${CIS_ID}) in ${d.name}`,
    source: 'posture',
    severity: 'high',
    mitre: ['T1609', 'T1611'],
    why: 'A privileged exec runs with every capability and all host devices, whatever the container was started with: one command can escape to the host.',
    fix: `compose: docker compose exec without --privileged; grant the one capability the task needs in the service (cap_add) or use a separate debug container\ndocker run: docker exec without --privileged (add only the capability needed with a dedicated container: docker run --cap-add <CAP> …)`,
    container: { id: d.id, name: d.name, image: d.image, imageDigest: d.facts.imageDigest },
    composeProject: d.composeProject,
    composeService: d.composeService,
    evidence: { events: [], field: 'ExecConfig.Privileged', value: `${e.command.join(' ')}${e.user ? ` (user ${e.user})` : ''}` },
    count: 1,
    first: e.ts,
    last: e.ts,
    status: expected ? 'expected' : 'open',
  }];
}

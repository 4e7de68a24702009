// Runtime detection: evaluates the rule engine on each event against the engine's state tables, and keeps findings.
import type { Finding, FindingStatus } from '../model/finding';
import type { RuntimeEvent } from '../model/event';
import type { RuleContainer, RuleContext, RuleProcess } from '../rules/context';
import { FindingTracker } from '../rules/findings';
import type { RuleEngine } from '../rules/engine';
import type { WorldState } from '../state/worldState';
import type { ContainerDetail } from '../model/container';
import { POSTURE_EXPECTED_LIST, runPostureChecks, execPostureFindings, type ContainerExecInfo } from '../rules/posture';

/** CIS posture findings for a container; the rules' expected-list marks matching ones as expected. */
export function postureOf(rules: RuleEngine, detail: ContainerDetail): Finding[] {
  return runPostureChecks(detail, { expected: new Set(rules.list(POSTURE_EXPECTED_LIST) ?? []) });
}

/** A RuleContext answering from the state tables: O(1) map reads only (this is the event hot path). */
export function worldContext(world: WorldState): RuleContext {
  // Container lookups are frequent and their answer changes only when metadata arrives: cache per record state.
  const cache = new Map<string, { detailSeen: boolean; name: string; value: RuleContainer }>();
  return {
    process: (tgid) => world.processes.byPid(tgid) as RuleProcess | undefined,
    container: (id) => {
      const rec = world.containers.get(id);
      if (!rec) return undefined;
      const hit = cache.get(id);
      if (hit && hit.detailSeen === !!rec.detail && hit.name === rec.ref.name) return hit.value;
      const value: RuleContainer = { ...rec.ref, ...(rec.detail ? { privileged: rec.detail.facts.privileged, startedAt: rec.detail.startedAt } : {}) };
      cache.set(id, { detailSeen: !!rec.detail, name: rec.ref.name, value });
      return value;
    },
    fileWrittenSinceStart: (cid, path) => {
      const f = world.files.get(cid, path);
      return !!f && f.kinds.some((k) => k === 'created' || k === 'modified' || k === 'renamed');
    },
    fileInImage: (cid, path) => {
      const f = world.files.get(cid, path);
      if (!f) return undefined; // not seen changing: we cannot tell from events alone
      return !(f.kinds.includes('created') || f.kinds.includes('renamed'));
    },
    dnsName: (ip, cid) => (cid ? world.flows.nameOf(cid, ip) : undefined),
    flowKey: (ev) => world.flows.flowKeyOf(ev),
    fileKey: (cid, path) => world.files.keyOf(cid, path),
  };
}

export interface DetectorStats {
  /** Events of the container runtime's own setup (runc init before its exec): recorded, not judged by rules. */
  runtimeSetup?: number;
  evaluated: number;
  matches: number;
}

/**
 * Feeds events (already applied to `world`) to the rules; keeps findings with a revision number per change
 * so each live subscriber can be sent only what changed since its last frame.
 */
export class Detector {
  readonly tracker = new FindingTracker();
  readonly ctx: RuleContext;
  readonly stats: DetectorStats = { evaluated: 0, matches: 0 };
  private rev = 0;
  private readonly revOf = new Map<string, number>();

  constructor(readonly rules: RuleEngine, readonly world: WorldState) {
    this.ctx = worldContext(world);
  }

  /** Evaluates a batch of events the world has just applied. */
  observe(batch: readonly RuntimeEvent[]): void {
    for (let i = 0; i < batch.length; i++) this.observeOne(batch[i]);
  }

  /** Evaluates one event right after the world applied it (so process fields are as of that event). */
  readonly observeOne = (e: RuntimeEvent): void => {
    // The runtime making the container (runc init before the entrypoint's exec) is recorded, not judged.
    if (e.containerId !== undefined && this.world.processes.isRuntimeSetup(e.tgid)) {
      this.stats.runtimeSetup = (this.stats.runtimeSetup ?? 0) + 1;
      return;
    }
    this.stats.evaluated++;
    this.rules.evaluate(e, this.ctx, this.onMatch);
  };

  private readonly onMatch = (m: Parameters<Parameters<RuleEngine['evaluate']>[2]>[0]): void => {
    this.stats.matches++;
    const { finding } = this.tracker.observe(m, this.ctx);
    this.revOf.set(finding.fingerprint, ++this.rev);
  };

  /** Posture of a container, honouring the user's "expected" marks (the glasshouse_posture_expected list). */
  addPosture(detail: ContainerDetail): void {
    this.add(postureOf(this.rules, detail));
  }

  /** CIS 5.23: one `docker exec` into a watched container, judged from Docker's exec inspect. */
  addExec(detail: ContainerDetail, exec: ContainerExecInfo): void {
    this.add(execPostureFindings(detail, exec, { expected: new Set(this.rules.list(POSTURE_EXPECTED_LIST) ?? []) }));
  }

  /** Adds posture (or policy) findings made outside the event path. */
  add(findings: readonly Finding[]): void {
    for (const f of findings) {
      const { finding, isNew } = this.tracker.upsert(f);
      if (isNew || finding.count !== f.count) this.revOf.set(finding.fingerprint, ++this.rev);
    }
  }

  setStatus(fingerprint: string, status: FindingStatus): Finding | undefined {
    if (!this.tracker.setStatus(fingerprint, status)) return undefined;
    this.revOf.set(fingerprint, ++this.rev);
    return this.tracker.get(fingerprint);
  }

  get revision(): number {
    return this.rev;
  }

  /** Findings changed after revision `since` (for one subscriber), and the revision to ask from next time. */
  changedSince(since: number, containerIds?: readonly string[]): { findings: Finding[]; rev: number } {
    const out: Finding[] = [];
    if (since < this.rev) {
      for (const [fp, r] of this.revOf) {
        if (r <= since) continue;
        const f = this.tracker.get(fp);
        if (f && (!containerIds || containerIds.includes(f.container.id))) out.push(f);
      }
    }
    return { findings: out, rev: this.rev };
  }

  list(containerId?: string): Finding[] {
    const all = this.tracker.list();
    return containerId ? all.filter((f) => f.container.id === containerId || f.container.name === containerId) : all;
  }
}

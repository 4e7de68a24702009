// One scan's engine: events → state tables → rules → findings, then posture and policy at the end.
import { createHash } from 'node:crypto';
import type { RuntimeEvent } from '../../common/model/event';
import type { ContainerDetail, ContainerRef } from '../../common/model/container';
import type { Finding } from '../../common/model/finding';
import { SEVERITY_RANK, type Severity } from '../../common/model/finding';
import { WorldState } from '../../common/state';
import { FindingTracker, RuleEngine, type RuleContext } from '../../common/rules';
import { runPostureChecks } from '../../common/rules/posture/checks';
import { evaluatePolicy, type Policy } from '../../common/policy';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export interface ScanResult {
  findings: Finding[];
  containers: ContainerRef[];
  world: WorldState;
}

/** Reads state tables for the rules; O(1) map lookups only (rules run on the hot path). */
function contextOf(world: WorldState): RuleContext {
  return {
    process: (tgid) => world.processes.byPid(tgid),
    container: (id) => world.containers.get(id)?.ref,
    fileWrittenSinceStart: (cid, path) => {
      const f = world.files.get(cid, path);
      return f ? f.kinds.some((k) => k === 'created' || k === 'modified' || k === 'renamed') : false;
    },
  };
}

export class ScanSession {
  readonly world = new WorldState();
  private readonly tracker = new FindingTracker({ hash: sha256 });
  private readonly ctx: RuleContext;
  private readonly watched = new Map<string, ContainerDetail>();
  events = 0;
  findingCount = 0;

  constructor(private readonly rules: RuleEngine, private readonly onFinding?: (f: Finding) => void) {
    this.ctx = contextOf(this.world);
  }

  /** Adds a container to the scan (its metadata is what findings name). */
  watch(detail: ContainerDetail): void {
    this.watched.set(detail.id, detail);
    this.world.upsertContainer(detail);
  }

  isWatched(containerId: string | undefined): boolean {
    return !!containerId && this.watched.has(containerId);
  }

  /** Applies events to the state first, so rules see the acting process as it is after the event. */
  consume(batch: readonly RuntimeEvent[]): void {
    for (const ev of batch) {
      if (!this.isWatched(ev.containerId)) continue;
      if (!this.world.apply(ev)) continue;
      this.events++;
      this.rules.evaluate(ev, this.ctx, (m) => {
        const { finding, isNew } = this.tracker.observe(m, this.ctx);
        if (isNew) { this.findingCount++; this.onFinding?.(finding); }
      });
    }
  }

  /** Runtime findings plus posture (per watched container) and policy findings, newest state. */
  finish(policy?: Policy): ScanResult {
    const findings = [...this.tracker.list()];
    const processes = [...this.world.processes.all()].filter((p) => this.isWatched(p.containerId));
    for (const d of this.watched.values()) {
      const names = [...new Set(processes.filter((p) => p.containerId === d.id).map((p) => p.exe.slice(p.exe.lastIndexOf('/') + 1)))];
      findings.push(...runPostureChecks(d, { host: { processNames: names }, hash: sha256 }));
    }
    const containers: ContainerRef[] = [...this.watched.values()].map((d) => ({
      id: d.id, name: d.name, image: d.image, imageDigest: d.facts.imageDigest, composeProject: d.composeProject, composeService: d.composeService,
    }));
    if (policy) {
      findings.push(...evaluatePolicy(policy, {
        containers,
        processes,
        flows: this.world.flows.flows().filter((f) => this.isWatched(f.containerId)),
        fileChanges: this.world.files.list().filter((f) => this.isWatched(f.containerId)),
      }, { hash: sha256 }));
    }
    return { findings: findings.filter((f) => this.isWatched(f.container.id)), containers, world: this.world };
  }
}

export function atOrAbove(findings: Finding[], threshold: Severity): Finding[] {
  return findings.filter((f) => f.status === 'open' && SEVERITY_RANK[f.severity] >= SEVERITY_RANK[threshold]);
}

// Groups catalog rows by compose project and service (compose labels); standalone containers last.
import type { ComposeGroup, ContainerSummary } from '../model/container';

const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

export function groupByCompose(containers: Iterable<ContainerSummary>): ComposeGroup[] {
  const projects = new Map<string | null, Map<string | null, ContainerSummary[]>>();
  for (const c of containers) {
    const project = c.composeProject ?? null;
    const service = project === null ? null : (c.composeService ?? null);
    let services = projects.get(project);
    if (!services) projects.set(project, (services = new Map()));
    let list = services.get(service);
    if (!list) services.set(service, (list = []));
    list.push(c);
  }
  const groups: ComposeGroup[] = [];
  for (const [project, services] of projects) {
    groups.push({
      project,
      services: [...services].map(([service, list]) => ({ service, containers: list.sort(byName) }))
        .sort((a, b) => (a.service ?? '\uffff').localeCompare(b.service ?? '\uffff')),
    });
  }
  return groups.sort((a, b) => (a.project === null ? 1 : b.project === null ? -1 : a.project.localeCompare(b.project)));
}

/** Uptime as people say it: "3 min", "2 h 5 min", "4 d". */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d`;
}

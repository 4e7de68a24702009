import { describe, expect, it } from 'vitest';
import type { ContainerSummary } from '../model/container';
import { formatUptime, groupByCompose } from './group';

const c = (name: string, project?: string, service?: string): ContainerSummary => ({
  id: name, name, image: 'img', imageId: 'sha', state: 'running', status: 'Up', createdAt: 0, ports: [], labels: {},
  ...(project ? { composeProject: project } : {}), ...(service ? { composeService: service } : {}),
});

describe('groupByCompose', () => {
  it('groups by project then service, standalone last, names sorted', () => {
    const groups = groupByCompose([c('z-solo'), c('web-2', 'shop', 'web'), c('db-1', 'shop', 'db'), c('web-1', 'shop', 'web'), c('a', 'api', 'x')]);
    expect(groups.map((g) => g.project)).toEqual(['api', 'shop', null]);
    const shop = groups[1];
    expect(shop.services.map((s) => s.service)).toEqual(['db', 'web']);
    expect(shop.services[1].containers.map((x) => x.name)).toEqual(['web-1', 'web-2']);
    expect(groups[2].services[0].containers[0].name).toBe('z-solo');
  });
  it('formats uptime', () => {
    expect(formatUptime(5_000)).toBe('5 s');
    expect(formatUptime(3 * 60_000)).toBe('3 min');
    expect(formatUptime(125 * 60_000)).toBe('2 h 5 min');
    expect(formatUptime(5 * 86_400_000)).toBe('5 d');
  });
});

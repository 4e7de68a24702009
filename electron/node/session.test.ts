import { describe, expect, it } from 'vitest';
import type { ContainerSummary } from '../common/model/container';
import { matchesSelection } from './session';

const c = (name: string, labels: Record<string, string> = {}, project?: string): ContainerSummary => ({
  id: `${name}`.padEnd(64, '0'), name, image: 'i', imageId: 'x', state: 'running', status: '', createdAt: 0, ports: [], labels,
  ...(project ? { composeProject: project } : {}),
});

describe('matchesSelection', () => {
  it('selects by name, id prefix or compose project; everything when nothing is named', () => {
    expect(matchesSelection(c('web'), {})).toBe(true);
    expect(matchesSelection(c('web'), { containers: ['web'] })).toBe(true);
    expect(matchesSelection(c('web'), { containers: ['/web'] })).toBe(true);
    expect(matchesSelection(c('abcdef123456'), { containers: ['abcdef123456'] })).toBe(true);
    expect(matchesSelection(c('db', {}, 'shop'), { compose: ['shop'] })).toBe(true);
    expect(matchesSelection(c('db', {}, 'shop'), { compose: ['other'], containers: ['web'] })).toBe(false);
  });
  it('never selects the sensor\'s own container, even when everything is asked for', () => {
    expect(matchesSelection(c('helper', { 'dev.glasshouse.helper': '1' }), {})).toBe(false);
    expect(matchesSelection(c('helper', { 'dev.glasshouse.helper': '1' }), { containers: ['helper'] })).toBe(false);
  });
});

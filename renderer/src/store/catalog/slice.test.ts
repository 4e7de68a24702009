import { describe, expect, it } from 'vitest';
import type { ContainerSummary } from '../../../../electron/common/model/container';
import { reduceCatalog } from './slice';

const row = (id: string, state: ContainerSummary['state'] = 'running'): ContainerSummary => ({
  id, name: id, image: 'img', imageId: 'x', state, status: '', createdAt: 0, ports: [], labels: {},
});

describe('reduceCatalog', () => {
  it('applies reset, upsert and remove in order without mutating the previous state', () => {
    const before = { a: row('a') };
    const after = reduceCatalog(before, [
      { type: 'upsert', container: row('b') },
      { type: 'upsert', container: row('a', 'exited') },
      { type: 'remove', id: 'b' },
    ]);
    expect(Object.keys(after)).toEqual(['a']);
    expect(after.a.state).toBe('exited');
    expect(before.a.state).toBe('running');
  });
  it('reset replaces everything; removing an unknown id is a no-op that keeps identity', () => {
    const s = reduceCatalog({ a: row('a') }, [{ type: 'reset', snapshot: { containers: [row('c')] } }]);
    expect(Object.keys(s)).toEqual(['c']);
    expect(reduceCatalog(s, [{ type: 'remove', id: 'zz' }])).toBe(s);
  });
});

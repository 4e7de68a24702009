// A read-only container that changes nothing: the Engine answers `null` to diff; the provider must return [].
import { afterAll, describe, expect, it } from 'vitest';
import { dockerInfoProvider } from '../../../electron/node/docker/info';
import { engineApi, removeTestContainers, runContainer } from '../../support/docker';

describe('docker diff of an unchanged container', () => {
  afterAll(removeTestContainers);
  it('is an empty diff, not a list of bytes', async () => {
    const { id } = await runContainer({ args: ['--read-only'] });
    const diff = await dockerInfoProvider(engineApi()).diff(id);
    expect(diff).toEqual([]);
  }, 60_000);
});

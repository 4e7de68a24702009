// `docker diff` through the provider lists what the container changed in its root, and nothing else: not the engine's
// own set-up (Podman lists the /etc it puts hosts and resolv.conf in, and its tmpfs mount points on a read-only root).
import { afterAll, describe, expect, it } from 'vitest';
import { dockerInfoProvider } from '../../../electron/node/docker/info';
import { engineApi, execIn, removeTestContainers, runContainer } from '../../support/docker';

describe('docker diff', () => {
  afterAll(removeTestContainers);
  it('of a read-only container that changes nothing is an empty diff, not a list of bytes', async () => {
    const { id } = await runContainer({ args: ['--read-only'] });
    const diff = await dockerInfoProvider(engineApi()).diff(id);
    expect(diff).toEqual([]);
  }, 60_000);

  it('lists the container\'s own changes, under /etc too, and none of the engine\'s', async () => {
    const { id } = await runContainer();
    await execIn(id, ['touch', '/tmp/m']);
    const info = dockerInfoProvider(engineApi());
    expect(await info.diff(id)).toEqual([{ Path: '/tmp', Kind: 0 }, { Path: '/tmp/m', Kind: 1 }]);
    await execIn(id, ['sh', '-c', 'echo x > /etc/glasshouse-mark']);
    const paths = (await info.diff(id)).map((d) => `${d.Kind} ${d.Path}`).sort();
    expect(paths).toEqual(['0 /etc', '0 /tmp', '1 /etc/glasshouse-mark', '1 /tmp/m']);
  }, 60_000);
});

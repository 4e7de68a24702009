// Helper images of earlier builds are pruned from the real engine; the current one and any in use stay.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildHelperImage, imageExists, pruneHelperImages } from '../../../electron/node/docker/helper-container';
import { ensureHelperImage } from '../../../electron/node/sensor/transport';
import { HELPER_VERSION } from '../../../electron/node/sensor';
import { dockerClient, HELPER, SENSOR_LABEL } from './support';

describe('helper image pruning', () => {
  const docker = dockerClient();
  const dir = mkdtempSync(join(tmpdir(), 'gh-prune-'));
  const old = `glasshouse-helper:prunetest-${process.pid}-old`;
  const used = `glasshouse-helper:prunetest-${process.pid}-used`;
  let holder: string | undefined;
  afterAll(async () => {
    if (holder) await docker.getContainer(holder).remove({ force: true }).catch(() => undefined);
    for (const t of [old, used]) await docker.getImage(t).remove({ force: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('removes other builds once they are an hour old, never the current build or one a container uses', async () => {
    const current = await ensureHelperImage(docker, HELPER, HELPER_VERSION);
    for (const [tag, body] of [[old, 'old build'], [used, 'build in use']]) {
      const f = join(dir, tag.split(':')[1]);
      writeFileSync(f, `#!/bin/false\n${body} ${process.pid}\n`, { mode: 0o755 });
      await buildHelperImage(docker, f, tag);
    }
    holder = (await docker.createContainer({ Image: used, Labels: { [SENSOR_LABEL]: '1' } })).id;

    // just built: too young to touch (another Glasshouse may be about to start from it)
    expect(await pruneHelperImages(docker, current.tag)).not.toContain(old);
    expect(await imageExists(docker, old)).toBe(true);

    const removed = await pruneHelperImages(docker, current.tag, Date.now() + 2 * 3600_000);
    expect(removed).toContain(old);
    expect(removed).not.toContain(used);
    expect(removed).not.toContain(current.tag);
    expect(await imageExists(docker, old)).toBe(false);
    expect(await imageExists(docker, used)).toBe(true);
    expect(await imageExists(docker, current.tag)).toBe(true);
  });
});

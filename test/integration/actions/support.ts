// Test support for response actions: containers, networks and images under their own label.
import { execFileSync } from 'node:child_process';
import { copyFileSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { docker, ensureRelabeledBusybox, importRootfs, testName } from '../../support/docker';

/**
 * Our own label, not dev.glasshouse.test: other suites' removeTestContainers() on the shared dockerd removes every
 * dev.glasshouse.test container, which would pull containers out from under these tests while they run.
 */
export const ACTIONS_LABEL = 'dev.glasshouse.actions-test';
export const NO_SHELL_IMAGE = 'glasshouse-test/noshell:1';
/** The test busybox re-imported without its dev.glasshouse.test image label (containers inherit image labels). */
export const ACTIONS_IMAGE = 'glasshouse-test/actions-busybox:1';

export function ensureActionsImage(): Promise<string> {
  return ensureRelabeledBusybox(ACTIONS_IMAGE, ACTIONS_LABEL, ['ENV PATH=/bin:/sbin:/usr/bin']);
}

export async function runActionsContainer(o: { network?: string; alias?: string; cmd?: string[]; image?: string; args?: string[] } = {}) {
  const image = o.image ?? (await ensureActionsImage());
  const name = testName('act');
  const id = await docker(['run', '-d', '--name', name, '--label', `${ACTIONS_LABEL}=1`,
    ...(o.network ? ['--network', o.network] : []), ...(o.alias ? ['--network-alias', o.alias] : []), ...(o.args ?? []),
    image, ...(o.cmd ?? ['sleep', '100000'])]);
  return { id, name };
}

export async function createNetwork(): Promise<string> {
  const name = testName('net');
  await docker(['network', 'create', '--label', `${ACTIONS_LABEL}=1`, name]);
  return name;
}

export async function cleanupActions(): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `label=${ACTIONS_LABEL}`])).split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-f', ...ids]).catch(() => undefined);
  const nets = (await docker(['network', 'ls', '-q', '--filter', `label=${ACTIONS_LABEL}`])).split('\n').filter(Boolean);
  for (const n of nets) await docker(['network', 'rm', n]).catch(() => undefined);
  // Snapshot images only: the test images are kept for the next run.
  const imgs = (await docker(['images', '-q', '--filter', `label=${ACTIONS_LABEL}`, '--filter', 'label=dev.glasshouse.snapshot-of'])).split('\n').filter(Boolean);
  if (imgs.length) await docker(['rmi', '-f', ...new Set(imgs)]).catch(() => undefined);
}

export function ipOf(id: string): string {
  return execFileSync('docker', ['inspect', id, '--format', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}']).toString().trim();
}

/** Can `from` open a TCP connection to host:port? (busybox nc; wget segfaults in this static busybox) */
export async function canConnect(fromId: string, host: string, port: number): Promise<boolean> {
  try {
    await docker(['exec', fromId, 'sh', '-c', `echo | nc -w 2 ${host} ${port}`], { timeoutMs: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * An image with no shell at all: one static binary, busybox renamed /busybox-sleeper (busybox runs argv[1] as the
 * applet when its own name starts with "busybox"), and no sh/ash/bash anywhere.
 */
export async function ensureNoShellImage(): Promise<string> {
  return importRootfs(NO_SHELL_IMAGE, [`LABEL ${ACTIONS_LABEL}=1`, 'CMD ["/busybox-sleeper","sleep","100000"]'], (dir) => {
    for (const d of ['etc', 'tmp', 'proc', 'sys', 'dev']) mkdirSync(join(dir, d), { recursive: true });
    copyFileSync('/bin/busybox', join(dir, 'busybox-sleeper'));
    chmodSync(join(dir, 'busybox-sleeper'), 0o755);
    writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/:/nonexistent\n');
  });
}

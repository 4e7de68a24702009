// Sensor test support: own busybox image and containers under our own label, so other suites' cleanup
// (which removes everything labelled dev.glasshouse.test, including the shared busybox image's children)
// never removes ours mid-test, and ours never touch theirs.
import Dockerode from 'dockerode';
import type { RuntimeEvent } from '../../../electron/common/model/event';
import type { Sensor } from '../../../electron/node/sensor';
import { docker, engineApi, ensureRelabeledBusybox, installStaticTool } from '../../support/docker';

export const SENSOR_LABEL = 'dev.glasshouse.sensor-test';
export const SENSOR_IMAGE = 'glasshouse-sensor-test/busybox:1';
/** Cleanup removes only this process's containers: the suite may run twice at once on a shared dockerd. */
const OWNER = `${SENSOR_LABEL}.owner=${process.pid}`;

/** The engine under test (DOCKER_HOST in the engine matrix). */
export function dockerClient(): Dockerode {
  return engineApi();
}

/** The shared busybox rootfs re-imported without the shared test label. */
export function ensureSensorImage(): Promise<string> {
  return ensureRelabeledBusybox(SENSOR_IMAGE, SENSOR_LABEL, ['ENV PATH=/bin:/sbin:/usr/bin']);
}

export async function runSensorContainer(args: string[] = [], cmd: string[] = ['sleep', '100000'], image?: string): Promise<{ id: string; name: string; pid: number }> {
  image ??= await ensureSensorImage();
  // own name prefix too: other suites clean up by the shared gh-test- prefix and label
  const name = `ghs-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const id = await docker(['run', '-d', '--name', name, '--label', `${SENSOR_LABEL}=1`, '--label', OWNER, ...args, image, ...cmd]);
  const pid = Number(await docker(['inspect', '-f', '{{.State.Pid}}', id]));
  return { id, name, pid };
}

export async function execIn(id: string, cmd: string[], opts: { user?: string; allowFail?: boolean } = {}): Promise<string> {
  try {
    return await docker(['exec', ...(opts.user ? ['--user', opts.user] : []), id, ...cmd]);
  } catch (e) {
    if (opts.allowFail) return String((e as Error).message);
    throw e;
  }
}

export async function removeSensorContainers(): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `label=${OWNER}`])).split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-f', ...ids]).catch(() => undefined);
}

/** Collects every event the sensor emits. */
export function collect(sensor: Sensor): RuntimeEvent[] {
  const all: RuntimeEvent[] = [];
  sensor.on('events', (evs: RuntimeEvent[]) => all.push(...evs));
  return all;
}

/** Waits until `pred` finds an event (polling the collected list), or fails with what was seen. */
/** Writes `path` inside the container (a shell `echo x > path`) and returns the open event the sensor reported for it. */
export async function writeAndSee(all: RuntimeEvent[], containerId: string, path: string): Promise<RuntimeEvent> {
  await execIn(containerId, ['sh', '-c', `echo x > ${path}`]);
  return waitForEvent(all, (e) => e.kind === 'open' && 'path' in e && e.path === path, `open ${path}`);
}

export async function waitForEvent<T extends RuntimeEvent>(all: RuntimeEvent[], pred: (e: RuntimeEvent) => e is T, what: string, ms?: number): Promise<T>;
export async function waitForEvent(all: RuntimeEvent[], pred: (e: RuntimeEvent) => boolean, what: string, ms?: number): Promise<RuntimeEvent>;
export async function waitForEvent(all: RuntimeEvent[], pred: (e: RuntimeEvent) => boolean, what: string, ms = 10_000): Promise<RuntimeEvent> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const e = all.find(pred);
    if (e) return e;
    await new Promise((r) => setTimeout(r, 100));
  }
  const kinds = all.reduce<Record<string, number>>((m, e) => ((m[e.kind] = (m[e.kind] ?? 0) + 1), m), {});
  throw new Error(`no ${what} event within ${ms} ms; saw ${JSON.stringify(kinds)}`);
}

export const HELPER = process.env.GLASSHOUSE_HELPER ?? `${process.cwd()}/native/build/glasshouse-helper`;

/** Compiles probe.c (static) once per content and copies it into a container as /bin/ghprobe. */
export function installProbe(containerId: string): Promise<void> {
  return installStaticTool(containerId, `${__dirname}/probe.c`, '/bin/ghprobe', ['-pthread']);
}

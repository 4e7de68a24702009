// Drives the built-in pack with the real helper: behaviours run in a real container, the Sensor's events go
// through the state tables and the rule engine exactly as the engine's session wires them.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeEvent, ProcessSeed } from '../../../electron/common/model/event';
import { RuleEngine, type RuleMatch } from '../../../electron/common/rules';
import { Detector } from '../../../electron/common/detect/detector';
import { WorldState } from '../../../electron/common/state/worldState';
import { toContainerDetail } from '../../../electron/node/docker/inspect';
import { Sensor } from '../../../electron/node/sensor';
import { docker, ensureRelabeledBusybox, hasImage } from '../../support/docker';
import { dockerClient, HELPER } from '../sensor/support';

export const RULES_DIR = join(__dirname, '../../../assets/rules');
export const RULES_IMAGE = 'glasshouse-rules-test/tools:1';
/** Our own label: other suites' cleanup (test or sensor labels) never removes these containers mid-run. */
export const RULES_LABEL = 'dev.glasshouse.rules-test';

export function loadPack(): RuleEngine {
  return RuleEngine.fromSources(readdirSync(RULES_DIR).filter((f) => f.endsWith('.yaml')).sort()
    .map((f) => ({ name: f, text: readFileSync(join(RULES_DIR, f), 'utf8') })));
}

/** Programs the pack names, as busybox links baked into the image (so running them is not drift). */
const TOOL_LINKS = ['nmap', 'xmrig', 'socat', 'apk', 'pip', 'python3', 'docker', 'kubectl', 'sshd', 'useradd', 'sudo',
  'pkexec', 'strace', 'shred', 'iptables', 'debugfs', 'insmod', 'scp', 'curl', 'kworker'];

/** The shared busybox rootfs re-imported without any other suite's label (export/import drops labels). */
function ensureRulesBase(): Promise<string> {
  return ensureRelabeledBusybox('glasshouse-rules-test/busybox:1', RULES_LABEL);
}

/** The label-free busybox plus tool links, a passwd/shadow and a root history, built once locally (no pull). */
export async function ensureRulesImage(): Promise<string> {
  if (await hasImage(RULES_IMAGE)) return RULES_IMAGE;
  const base = await ensureRulesBase();
  const dockerfile = [
    `FROM ${base}`,
    `LABEL ${RULES_LABEL}=1`,
    `RUN mkdir -p /usr/local/bin /root/.ssh /var/log /etc/crontabs /var/run/secrets/kubernetes.io/serviceaccount /root/.aws && ${TOOL_LINKS.map((t) => `ln -s /bin/busybox /usr/local/bin/${t}`).join(' && ')}`,
    'RUN echo "root:*:19000:0:99999:7:::" > /etc/shadow && echo "ssh-rsa AAAA test" > /root/.ssh/id_rsa && echo "ls" > /root/.ash_history && echo token > /var/run/secrets/kubernetes.io/serviceaccount/token && echo "[default]" > /root/.aws/credentials && echo log > /var/log/app.log',
    'ENV PATH=/usr/local/bin:/bin:/sbin:/usr/bin',
  ].join('\n');
  await docker(['build', '-q', '-t', RULES_IMAGE, '-'], { input: dockerfile, timeoutMs: 120_000 });
  return RULES_IMAGE;
}

export interface Rig {
  sensor: Sensor;
  world: WorldState;
  detector: Detector;
  matches: RuleMatch[];
  events: RuntimeEvent[];
  container: { id: string; name: string };
  stop(): Promise<void>;
}

/** Starts a container from the tools image running `cmd` (seeded from /proc when watched), the helper watching it, and state + rules fed from the sensor. */
export async function startRig(runArgs: string[] = [], image?: string, cmd: string[] = ['sleep', '100000']): Promise<Rig> {
  image ??= await ensureRulesImage();
  const name = `gh-test-rules-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const id = await docker(['run', '-d', '--name', name, '--label', `${RULES_LABEL}=1`, ...runArgs, image, ...cmd]);
  const inspect = JSON.parse(await docker(['inspect', id]))[0];
  const engine = loadPack();
  const world = new WorldState();
  world.upsertContainer(toContainerDetail(inspect));
  const detector = new Detector(engine, world);
  const matches: RuleMatch[] = [];
  const events: RuntimeEvent[] = [];
  const sensor = new Sensor({ mode: 'container', docker: dockerClient(), helperPath: HELPER });
  // The same seed mapping LiveSource applies (sensor /proc seeds → process-table seeds).
  sensor.on('seed', (seeds: ProcessSeed[]) => world.seedProcesses(seeds.map((x) => ({
    tgid: x.tgid, ppid: x.ppid, exe: x.exe, argv: x.argv, cwd: x.cwd, uid: x.uid, comm: x.comm, start: x.startTs ?? x.ts, containerId: x.containerId,
  }))));
  sensor.on('events', (batch: RuntimeEvent[]) => {
    world.applyBatch(batch);
    for (const e of batch) {
      if (e.containerId === id) events.push(e);
      engine.evaluate(e, detector.ctx, (m) => matches.push(m));
    }
    detector.observe(batch);
  });
  await sensor.start();
  // Reads are filtered in the kernel: ask for the prefixes the pack's read rules look at.
  sensor.setSensitivePrefixes(engine.list('sensitive_read_prefixes') ?? []);
  await sensor.watchContainer(id);
  return {
    sensor, world, detector, matches, events, container: { id, name },
    async stop() {
      await sensor.stop().catch(() => undefined);
      await docker(['rm', '-f', id]).catch(() => undefined);
    },
  };
}

/** Runs a shell command in the container (docker exec); failures of the command itself are part of behaviours. */
export async function sh(rig: Rig, script: string, user?: string): Promise<void> {
  await docker(['exec', ...(user ? ['--user', user] : []), rig.container.id, 'sh', '-c', `${script}; true`]).catch(() => undefined);
}

/**
 * Runs `script`, then a marker command, and waits until the marker's exec is seen: every event the script
 * caused has then been delivered (one ordered stream). Returns the matches that arrived meanwhile.
 */
export async function observe(rig: Rig, script: string, opts: { user?: string; direct?: boolean } = {}): Promise<RuleMatch[]> {
  const from = rig.matches.length;
  const marker = `gh-marker-${Math.random().toString(36).slice(2, 10)}`;
  // direct: run the program itself with docker exec (no shell in between).
  if (opts.direct) await docker(['exec', rig.container.id, ...script.split(' ')]).catch(() => undefined);
  else await sh(rig, script, opts.user);
  // The marker must run: if the container is gone, fail now instead of waiting for events that never come.
  await docker(['exec', rig.container.id, 'echo', marker]);
  const end = Date.now() + 15_000;
  while (Date.now() < end) {
    if (rig.events.some((e) => e.kind === 'exec' && e.argv.includes(marker))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 300));
  // The marker is itself a program run by docker exec: a match on it says nothing about the scenario.
  const markerTgids = new Set(rig.events.filter((e) => e.kind === 'exec' && e.argv.includes(marker)).map((e) => e.tgid));
  return rig.matches.slice(from).filter((m) => m.event.containerId === rig.container.id && !markerTgids.has(m.event.tgid));
}

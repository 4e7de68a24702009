// Preflight: can the sensor run here, and if not, which sentence tells the user why and what to do.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type Dockerode from 'dockerode';
import type { EventKind } from '../../common/model/event';
import { engineFacts, helperCapabilities, runHelperPreflight, type EngineFacts } from '../docker/helper-container';
import { ensureHelperImage } from './transport';

export interface PreflightReport {
  ok: boolean;
  mode: 'container' | 'local';
  kernel?: string;
  btf?: boolean;
  tracefs?: string | null;
  cgroup2?: string;
  /** Capabilities the helper had (container mode: the set it was given). */
  capabilities: string[];
  unsupportedKinds: EventKind[];
  engine?: EngineFacts;
  /** What is wrong, each a sentence that says what happened and what to do. Empty when ok. */
  sentences: string[];
}

interface HelperPreflightJson {
  kernel: string;
  btf: boolean;
  tracefs: string | null;
  cgroup2: string;
  capBpf: boolean;
  capPerfmon: boolean;
  capSysAdmin: boolean;
  capSysPtrace: boolean;
  unsupported: EventKind[];
  problems: string[];
  loaded: boolean;
}

function fromHelper(report: PreflightReport, json: HelperPreflightJson): void {
  report.kernel = json.kernel;
  report.btf = json.btf;
  report.tracefs = json.tracefs;
  report.cgroup2 = json.cgroup2;
  report.unsupportedKinds = json.unsupported;
  if (report.mode === 'local') {
    report.capabilities = [json.capBpf && 'BPF', json.capPerfmon && 'PERFMON', json.capSysAdmin && 'SYS_ADMIN', json.capSysPtrace && 'SYS_PTRACE'].filter(Boolean) as string[];
  }
  report.sentences.push(...json.problems);
  if (json.unsupported.length) {
    report.sentences.push(`This kernel cannot report ${json.unsupported.join(', ')} events (their tracepoints are missing); recordings will mark them unsupported.`);
  }
  const [maj, min] = json.kernel.split('.').map(Number);
  if (maj < 5 || (maj === 5 && min < 8)) report.sentences.push(`Kernel ${json.kernel} is older than 5.8: the sensor needs 5.8 or newer with BTF.`);
  report.ok = json.loaded && json.btf;
}

function parseJsonLine(stdout: string): HelperPreflightJson | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  try {
    return line ? (JSON.parse(line) as HelperPreflightJson) : undefined;
  } catch {
    return undefined;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms))]);
}

/**
 * What a rootless engine blocks and what to do, in the engine's own terms. Rootless Docker and rootless Podman run
 * every container in a user namespace of one user: no container gets CAP_BPF/CAP_SYS_ADMIN of the host (the
 * initial user namespace) nor the host's PID namespace, so the helper cannot load its programs or see processes.
 * The rest of Glasshouse (catalog, posture, actions, terminals, the scan's `docker top` polling) keeps working on it.
 */
export function rootlessEngineSentence(facts: Pick<EngineFacts, 'engine' | 'serverVersion'>): { message: string; hint: string } {
  const blocked = 'it runs containers in your user\'s namespace, so it cannot give the helper container the host privileges eBPF needs (CAP_BPF or CAP_SYS_ADMIN in the initial user namespace) nor the host PID namespace: the runtime sensor cannot record here (the catalog, posture checks, actions and terminals still work, and `glasshouse scan` falls back to `docker top` polling).';
  if (facts.engine === 'podman') {
    return {
      message: `This Podman ${facts.serverVersion} service runs rootless: ${blocked}`,
      hint: 'To record, use the rootful Podman service (`sudo systemctl start podman.socket`, then DOCKER_HOST=unix:///run/podman/podman.sock with access to that socket), or run the sensor locally as root (`sudo glasshouse helper run`, then GLASSHOUSE_SENSOR=socket:/run/glasshouse/helper.sock).',
    };
  }
  return {
    message: `This Docker ${facts.serverVersion} engine runs rootless: ${blocked}`,
    hint: 'To record, use a rootful Docker engine (`sudo systemctl start docker`, then DOCKER_HOST=unix:///var/run/docker.sock or `docker context use default`), or run the sensor locally as root (`sudo glasshouse helper run`, then GLASSHOUSE_SENSOR=socket:/run/glasshouse/helper.sock).',
  };
}

export async function preflight(
  opts: { mode: 'container' | 'local'; docker?: Dockerode },
  helperPath: string,
  version: string,
): Promise<PreflightReport> {
  const report: PreflightReport = { ok: false, mode: opts.mode, capabilities: [], unsupportedKinds: [], sentences: [] };
  if (!existsSync(helperPath)) {
    report.sentences.push(`The sensor helper binary was not found at ${helperPath}: build it with \`make -C native\` or set GLASSHOUSE_HELPER.`);
    return report;
  }
  try {
    if (opts.mode === 'container') {
      const docker = opts.docker;
      if (!docker) {
        report.sentences.push('Container mode needs a Docker engine connection.');
        return report;
      }
      const facts = await withTimeout(engineFacts(docker), 15_000, 'Asking the Docker engine for its facts');
      report.engine = facts;
      if (facts.rootless) {
        const s = rootlessEngineSentence(facts);
        report.sentences.push(`${s.message} ${s.hint}`);
        return report;
      }
      if (facts.enhancedIsolation) {
        report.sentences.push('Docker Desktop Enhanced Container Isolation is on: it blocks eBPF and the host PID namespace for every container, including the Glasshouse helper. Turn it off in Docker Desktop (Settings → General), or ask your administrator to allow this machine.');
        return report;
      }
      const caps = helperCapabilities(facts.knowsBpfCap);
      report.capabilities = caps;
      const image = await withTimeout(ensureHelperImage(docker, helperPath, version), 120_000, 'Building the helper image');
      const r = await withTimeout(runHelperPreflight(docker, { image: image.tag, args: [], capabilities: caps }), 60_000, 'The helper preflight container');
      const json = parseJsonLine(r.stdout);
      if (!json) {
        report.sentences.push(`The Docker engine did not run the helper container with capabilities ${caps.join(', ')}: ${(r.stderr || 'no output').trim().split('\n').pop()}. The engine may forbid these capabilities or the host PID namespace.`);
        return report;
      }
      fromHelper(report, json);
    } else {
      if (typeof process.getuid === 'function' && process.getuid() !== 0) {
        report.sentences.push('Local mode runs the helper as root, but this process is not root: run Glasshouse with sudo, or use container mode.');
      }
      const out = await withTimeout(new Promise<string>((resolveOut) => {
        execFile(helperPath, ['--preflight'], { timeout: 60_000 }, (_err, stdout) => resolveOut(stdout ?? ''));
      }), 65_000, 'The helper preflight');
      const json = parseJsonLine(out);
      if (!json) {
        report.sentences.push('The helper preflight printed no report; run the helper with --preflight by hand to see why.');
        return report;
      }
      fromHelper(report, json);
      if (report.sentences.length && typeof process.getuid === 'function' && process.getuid() !== 0) report.ok = false;
    }
  } catch (e) {
    report.ok = false;
    report.sentences.push(`The sensor preflight could not finish: ${(e as Error).message}.`);
  }
  return report;
}


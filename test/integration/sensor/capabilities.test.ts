// The capability minimum on engines that know CAP_BPF (Docker ≥ 23, where the sensor asks for BPF PERFMON
// SYS_PTRACE): this engine is Docker 20.10, which refuses those names, so the kernel side is proven here with the
// real helper as a local process whose bounding set holds only those capabilities (setpriv): it loads, attaches,
// seeds and streams a real container's events. Without CAP_BPF or CAP_PERFMON it says which one is missing.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Sensor } from '../../../electron/node/sensor';
import { collect, dockerClient, HELPER, removeSensorContainers, runSensorContainer, writeAndSee } from './support';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'gh-caps-'));

/** A helper path that runs the real helper with only `caps` in its bounding set (uid 0, so effective = bounding). */
function helperWith(caps: string[]): string {
  const p = join(dir, `helper-${caps.join('-') || 'none'}`);
  writeFileSync(p, `#!/bin/sh\nexec setpriv --bounding-set=-all${caps.map((c) => `,+${c}`).join('')} --inh-caps=-all -- ${HELPER} "$@"\n`);
  chmodSync(p, 0o755);
  return p;
}

/** The helper's own preflight report under `caps`: what it loaded, its problems, and the capabilities it holds. */
async function preflight(caps: string[]): Promise<{ loaded: boolean; problems: string[]; held: Record<string, boolean> }> {
  const r = await run(helperWith(caps), ['--preflight']).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  const json = JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{'))!);
  return {
    loaded: json.loaded, problems: json.problems ?? [],
    held: { bpf: json.capBpf, perfmon: json.capPerfmon, sys_admin: json.capSysAdmin, sys_ptrace: json.capSysPtrace },
  };
}

describe('helper capabilities (kernel side of the Docker ≥ 23 set)', () => {
  afterAll(async () => {
    await removeSensorContainers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('CAP_BPF + CAP_PERFMON + CAP_SYS_PTRACE is enough: the helper loads and streams real events', async () => {
    const pf = await preflight(['bpf', 'perfmon', 'sys_ptrace']);
    expect(pf.held).toEqual({ bpf: true, perfmon: true, sys_admin: false, sys_ptrace: true }); // as the helper sees itself
    expect(pf.problems).toEqual([]);
    expect(pf.loaded).toBe(true);

    const c = await runSensorContainer();
    const sensor = new Sensor({ mode: 'local', docker: dockerClient(), helperPath: helperWith(['bpf', 'perfmon', 'sys_ptrace']) });
    const all = collect(sensor);
    await sensor.start();
    try {
      await sensor.watchContainer(c.id);
      const e = await writeAndSee(all, c.id, '/etc/minimal-caps');
      expect(e.containerId).toBe(c.id);
    } finally {
      await sensor.stop();
    }
  });

  it('without CAP_BPF (or SYS_ADMIN) it cannot load, and says so', async () => {
    const pf = await preflight(['perfmon', 'sys_ptrace']);
    expect(pf.held).toEqual({ bpf: false, perfmon: true, sys_admin: false, sys_ptrace: true });
    expect(pf.loaded).toBe(false);
    expect(pf.problems.join(' ')).toMatch(/neither CAP_BPF nor CAP_SYS_ADMIN/);
  });

  it('with CAP_BPF but without CAP_PERFMON (or SYS_ADMIN) the kernel refuses the tracing programs, and it says which is missing', async () => {
    const pf = await preflight(['bpf', 'sys_ptrace']);
    expect(pf.held).toEqual({ bpf: true, perfmon: false, sys_admin: false, sys_ptrace: true });
    expect(pf.loaded).toBe(false);
    expect(pf.problems.join(' ')).toMatch(/has CAP_BPF but neither CAP_PERFMON nor CAP_SYS_ADMIN.*give the container CAP_PERFMON too/);
  });
});

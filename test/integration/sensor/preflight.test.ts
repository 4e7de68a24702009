// Preflight and bad input end in sentences, never in a hang.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { HELPER_VERSION, Sensor } from '../../../electron/node/sensor';
import { runHelperPreflight } from '../../../electron/node/docker/helper-container';
import { ensureHelperImage } from '../../../electron/node/sensor/transport';
import { dockerClient, HELPER } from './support';
import { engineApiAtLeast, engineVersion } from '../../support/docker';

describe('sensor preflight', () => {
  it('reports kernel, BTF, tracefs, the capability set and unsupported kinds in container mode', async () => {
    const r = await Sensor.preflight({ mode: 'container', docker: dockerClient(), helperPath: HELPER });
    expect(r.ok).toBe(true);
    expect(r.kernel).toBe(execFileSync('uname', ['-r']).toString().trim());
    expect(r.btf).toBe(true);
    expect(r.tracefs).toBe('/sys/kernel/tracing');
    // Docker 20.10 (API 1.41) does not know BPF/PERFMON by name; Docker >= 23 does; Podman 4's seccomp profile
    // allows bpf() only with SYS_ADMIN
    const named = (await engineApiAtLeast('1.43')) && !(await engineVersion()).podman;
    expect(r.capabilities).toEqual(named ? ['BPF', 'PERFMON', 'SYS_PTRACE'] : ['SYS_ADMIN', 'SYS_PTRACE']);
    expect(r.engine?.rootless).toBe(false);
    expect(r.unsupportedKinds).toEqual(['module']); // no module support in this kernel
    expect(r.sentences.some((s) => /cannot report module events/.test(s))).toBe(true);
  });

  it('says what is missing when the engine gives the helper no capabilities', async () => {
    const docker = dockerClient();
    const image = await ensureHelperImage(docker, HELPER, HELPER_VERSION);
    const r = await runHelperPreflight(docker, { image: image.tag, args: [], capabilities: [] });
    const json = JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{'))!);
    expect(json.loaded).toBe(false);
    expect(json.problems.join(' ')).toMatch(/neither CAP_BPF nor CAP_SYS_ADMIN/);
    expect(r.exitCode).toBe(2);
  });

  it('says where the helper binary should be when it is missing (preflight and start)', async () => {
    const r = await Sensor.preflight({ mode: 'local', helperPath: '/nonexistent/glasshouse-helper' });
    expect(r.ok).toBe(false);
    expect(r.sentences[0]).toMatch(/not found at \/nonexistent\/glasshouse-helper.*make -C native/);
    const s = new Sensor({ mode: 'local', helperPath: '/nonexistent/glasshouse-helper' });
    await expect(s.start()).rejects.toThrow(/not found at \/nonexistent/);
  });

  it('reports a helper that dies before it is ready with its own sentence', async () => {
    // /bin/false stands in for a helper that exits at once (e.g. refused by the kernel)
    const s = new Sensor({ mode: 'local', helperPath: '/bin/false' });
    await expect(s.start()).rejects.toThrow(/exited with code 1 before it was ready/);
  });

  it('local mode preflight as root: ok', async () => {
    const r = await Sensor.preflight({ mode: 'local', helperPath: HELPER });
    expect(r.ok).toBe(true);
    expect(r.capabilities).toContain('SYS_ADMIN');
  });
});

// CIS posture checks on real containers: each misconfiguration is created for real and detected from
// `docker inspect` (through the engine's own toContainerDetail); the hardened opposite passes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPostureChecks } from '../../../electron/common/rules';
import { toContainerDetail } from '../../../electron/node/docker/inspect';
import { docker } from '../../support/docker';
import { ensureRulesImage, RULES_LABEL } from './harness';

const created: string[] = [];
async function start(args: string[]): Promise<string[]> {
  const image = await ensureRulesImage();
  const name = `gh-test-posture-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const id = await docker(['run', '-d', '--name', name, '--label', `${RULES_LABEL}=1`, ...args, image, 'sleep', '100000']);
  created.push(id);
  // Health status appears after the first probe; give it a moment when a healthcheck is configured.
  if (args.includes('--health-cmd')) await new Promise((r) => setTimeout(r, 2500));
  const detail = toContainerDetail(JSON.parse(await docker(['inspect', id]))[0]);
  return runPostureChecks(detail, { host: { processNames: ['sleep'] } }).map((f) => f.ruleId.replace('cis-docker-', '')).sort();
}

afterAll(async () => {
  if (created.length) await docker(['rm', '-f', ...created]).catch(() => undefined);
});

describe('posture on real containers', () => {
  it('the hardened container passes every check this host can satisfy', async () => {
    const failed = await start(['--read-only', '--user', '10001:10001', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
      '--memory', '64m', '--cpus', '0.5', '--pids-limit', '50', '--restart', 'on-failure:3', '--health-cmd', 'true', '--health-interval', '1s',
      '-p', '127.0.0.1:18080:80', '-e', 'DB_PASSWORD_FILE=/run/secrets/db']);
    // 5.2 (AppArmor) depends on the host: Docker sets docker-default only where AppArmor is enabled.
    // 5.3 (SELinux label) can only be set on SELinux hosts.
    const hostDependent = new Set(['5.2', '5.3']);
    expect(failed.filter((id) => !hostDependent.has(id))).toEqual([]);
  });

  it('detects namespace sharing, extra capabilities, seccomp off, sensitive mounts, the Docker socket and env secrets', async () => {
    const failed = await start(['--network', 'host', '--pid', 'host', '--ipc', 'host', '--uts', 'host', '--userns', 'host',
      '--cap-add', 'SYS_ADMIN', '--security-opt', 'seccomp=unconfined', '-v', '/etc:/host-etc:ro',
      '-v', '/var/run/docker.sock:/var/run/docker.sock', '--restart', 'always', '-e', 'DB_PASSWORD=hunter2', '--cgroup-parent', '/gh-test-posture']);
    for (const id of ['5.4', '5.6', '5.10', '5.11', '5.12', '5.13', '5.15', '5.16', '5.17', '5.21', '5.22', '5.25', '5.26', '5.29', '5.31', '5.32', '4.1', '4.6', '4.10']) {
      expect(failed, id).toContain(id);
    }
  });

  // dockerd refuses an rshared bind whose source is not on a shared mount (this host's / is private): the test makes
  // its own shared bind mount of a temporary directory, and undoes it.
  it('detects shared mount propagation (5.20), and not with the default propagation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-shared-'));
    execFileSync('mount', ['--bind', dir, dir]);
    try {
      execFileSync('mount', ['--make-shared', dir]);
      expect(await start(['-v', `${dir}:/shared:rshared`])).toContain('5.20');
      expect(await start(['-v', `${dir}:/shared`])).not.toContain('5.20');
    } finally {
      if (created.length) await docker(['rm', '-f', ...created.splice(0)]).catch(() => undefined);
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('detects a privileged host port published on all interfaces', async () => {
    const failed = await start(['-p', '1023:80']);
    for (const id of ['5.8', '5.14']) expect(failed, id).toContain(id);
    expect(failed).not.toContain('5.10');
  });

  it('detects a privileged container (non-root user: root privileged containers cannot start on this host)', async () => {
    const failed = await start(['--privileged', '--user', '1000']);
    expect(failed).toContain('5.5');
    expect(failed).not.toContain('4.1');
  });
});

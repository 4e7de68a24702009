// The probe image: the rules tools image plus ghprobe (a static C program built here from probe/ghprobe.c) and a
// real bash, for the rules busybox cannot act out. Scenarios for those rules live here too (pack.test.ts checks
// that every rule has a scenario somewhere).
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { docker, hasImage } from '../../support/docker';
import { ensureRulesImage, RULES_LABEL } from './harness';

const SOURCE = join(__dirname, 'probe/ghprobe.c');

/** Shared libraries a dynamically linked host program needs (from ldd), so the image can run the real one. */
function libsOf(program: string): string[] {
  const out = execFileSync('ldd', [program], { encoding: 'utf8' });
  return [...out.matchAll(/(\/[^\s]+\.so[^\s]*)/g)].map((m) => m[1]);
}

/**
 * Builds the probe image once per probe source: ghprobe compiled static (gcc -static, glibc from libc6-dev), a
 * copy named `node` (a JIT runtime the pack expects to use memfd and W+X memory), a setuid-root copy `ghsuid`
 * for the non-root → root scenario, and the host's bash with its libraries (busybox sh has no /dev/tcp).
 */
export async function ensureProbeImage(): Promise<string> {
  const base = await ensureRulesImage();
  const source = readFileSync(SOURCE);
  const tag = `glasshouse-rules-test/probe:${createHash('sha256').update(source).update(base).digest('hex').slice(0, 12)}`;
  if (await hasImage(tag)) return tag;
  const ctx = mkdtempSync(join(tmpdir(), 'gh-probe-'));
  try {
    try {
      execFileSync('gcc', ['-static', '-O2', '-Wall', '-o', join(ctx, 'ghprobe'), SOURCE], { stdio: 'pipe' });
    } catch (e) {
      throw new Error(`Building the rules probe failed (gcc -static ${SOURCE}): ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}. Install gcc and libc6-dev.`);
    }
    for (const f of ['/bin/bash', ...libsOf('/bin/bash')]) {
      const dest = join(ctx, 'rootfs', f);
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(f, dest); // follows symlinks: the image gets the library file under the name the loader asks for
      chmodSync(dest, 0o755);
    }
    writeFileSync(join(ctx, 'Dockerfile'), [
      `FROM ${base}`,
      `LABEL ${RULES_LABEL}=1`,
      'COPY rootfs/ /',
      'COPY ghprobe /usr/local/bin/ghprobe',
      'COPY ghprobe /usr/local/bin/node',
      'COPY ghprobe /usr/local/bin/ghsuid',
      'RUN chown 0:0 /usr/local/bin/ghsuid && chmod 4755 /usr/local/bin/ghsuid && echo "app:x:1000:1000::/tmp:/bin/sh" >> /etc/passwd',
    ].join('\n'));
    await docker(['build', '-q', '-t', tag, ctx], { timeoutMs: 180_000 });
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  return tag;
}

/**
 * Run arguments of the rig for scenarios that need a grant: the Docker socket mounted (the runtime-socket rule)
 * and CAP_SYS_ADMIN, without which bpf(BPF_MAP_CREATE) is refused (this Docker, 20.10, does not know CAP_BPF;
 * its default seccomp profile allows bpf() once CAP_SYS_ADMIN is granted, so seccomp stays on).
 */
export const GRANTED_RUN_ARGS = ['-v', '/var/run/docker.sock:/var/run/docker.sock', '--cap-add', 'SYS_ADMIN'];

export interface ProbeScenario {
  rule: string;
  /** Behaviour that must fire the rule. */
  positive: string;
  /** Benign neighbour that must not. */
  benign: string;
  /** Run the positive in the granted rig (GRANTED_RUN_ARGS); the benign always runs in the default one. */
  granted?: boolean;
  /** User for both commands (docker exec --user). */
  user?: { positive?: string; benign?: string };
}

export const PROBE_SCENARIOS: ProbeScenario[] = [
  { rule: 'Fileless execution via memfd', positive: 'ghprobe memfd-exec /bin/busybox true', benign: '/bin/busybox true' },
  // `node` is the probe under a JIT runtime's name: such runtimes create memfds and W+X maps legitimately.
  { rule: 'Anonymous memory file created', positive: 'ghprobe memfd', benign: 'node memfd' },
  { rule: 'Writable and executable memory mapped', positive: 'ghprobe mprotect-wx', benign: 'ghprobe mprotect-rx; node mprotect-wx' },
  { rule: 'Shell opens network connection', positive: "timeout 3 bash -c 'exec 3<>/dev/tcp/198.51.100.1/2222'", benign: 'ghprobe connect 198.51.100.1 2222' },
  // Benign: a unix socket that is not a container runtime's.
  { rule: 'Container runtime socket accessed', positive: 'ghprobe connect-unix /var/run/docker.sock', benign: 'ghprobe connect-unix /tmp/app.sock', granted: true },
  // Same program both times: without CAP_SYS_ADMIN the kernel refuses bpf(), and a refused call is no finding.
  { rule: 'BPF program loaded from container', positive: 'ghprobe bpf', benign: 'ghprobe bpf', granted: true },
  // A setuid-root program run by uid 1000 takes root; root calling setuid(0) changes nothing.
  { rule: 'Non-root process became root', positive: 'ghsuid setuid 0', benign: 'ghprobe setuid 0', user: { positive: '1000' } },
  { rule: 'Capabilities changed at runtime', positive: 'ghprobe capset', benign: 'ghprobe capget' },
  { rule: 'Process attached with ptrace', positive: 'ghprobe ptrace-attach', benign: 'ghprobe ptrace-traceme' },
  // `node` (the probe under Node's name) uses io_uring through libuv legitimately
  { rule: 'io_uring ring created in container', positive: 'ghprobe io_uring', benign: 'node io_uring' },
];

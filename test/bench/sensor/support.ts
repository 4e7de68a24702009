// Benchmark support: run a workload inside a watched container's namespaces and cgroup, with no tracing,
// with the Glasshouse helper, under `strace -f`, or under bpftrace, and read its own CPU time.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { docker, importRootfs, installStaticTool } from '../../support/docker';
import { SENSOR_LABEL } from '../../integration/sensor/support';

const run = promisify(execFile);
/** The benchmark workloads (workload.c), compiled static once per content, as /bin/ghwl in the container. */
export function installWorkload(containerId: string): Promise<void> {
  return installStaticTool(containerId, `${__dirname}/workload.c`, '/bin/ghwl');
}

export function cgroupDir(containerId: string): string {
  const hybrid = `/sys/fs/cgroup/unified/docker/${containerId}`;
  return existsSync(hybrid) ? hybrid : `/sys/fs/cgroup/docker/${containerId}`;
}

export interface WorkloadResult {
  cpuUs: number;
  wallUs: number;
  ops: number;
}

/** Runs /bin/ghwl MODE N in the container's namespaces, after moving into its cgroup (what the sensor filters on). */
export async function runWorkload(c: { id: string; pid: number }, mode: string, n: number | string, wrap: string[] = []): Promise<WorkloadResult> {
  const script = `echo $$ > ${cgroupDir(c.id)}/cgroup.procs && exec ${wrap.join(' ')} nsenter -t ${c.pid} -a /bin/ghwl ${mode} ${n}`;
  const { stdout } = await run('sh', ['-c', script], { maxBuffer: 1 << 20, timeout: 900_000 });
  const [cpuUs, wallUs, ops] = stdout.trim().split('\n').pop()!.split(' ').map(Number);
  return { cpuUs, wallUs, ops };
}

/** Starts bpftrace with `program`, its output piped into this process and discarded (like the sensor's
 * consumer); resolves when its probes are attached. */
export async function startBpftrace(program: string): Promise<ChildProcess & { output: string }> {
  const p = spawn('bpftrace', ['-e', program], { stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & { output: string };
  p.output = '';
  await new Promise<void>((resolve, reject) => {
    let err = '', attached = false;
    const t = setTimeout(() => reject(new Error(`bpftrace did not attach: ${err}`)), 60_000);
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    p.stdout!.on('data', (d: Buffer) => {
      // keep the head (to see "Attaching") and what follows the end of tracing (maps printed on exit)
      if (p.output.length < 4096) p.output += d.toString();
      if (!attached && /Attaching/.test(p.output)) {
        attached = true;
        clearTimeout(t);
        setTimeout(resolve, 1000);
        p.output = '';
      }
    });
    p.on('exit', () => reject(new Error(`bpftrace exited: ${err}`)));
  });
  return p;
}

/** Stops bpftrace (SIGINT: it prints its maps) and returns what it printed after attaching if `output`. */
export async function stopProcess(p: ChildProcess & { output?: string }, output = false): Promise<string> {
  if (p.exitCode === null) {
    const done = new Promise((r) => p.once('exit', r));
    p.kill('SIGINT');
    await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
    if (p.exitCode === null) p.kill('SIGKILL');
  }
  return output ? (p.output ?? '') : '';
}

export function cgroupInode(containerId: string): number {
  return Number(execFileSync('stat', ['-c', '%i', cgroupDir(containerId)]).toString().trim());
}

/** Per-program BPF run time (kernel.bpf_stats_enabled must be 1 while the programs run). */
export function bpfProgStats(names: string[] | 'all', loadedAfterId = 0): Array<{ name: string; runCnt: number; nsPerRun: number; totalNs: number }> {
  const all = JSON.parse(execFileSync('bpftool', ['prog', 'show', '--json']).toString()) as Array<{ id: number; name?: string; run_cnt?: number; run_time_ns?: number }>;
  return all
    .filter((p) => p.name && (names === 'all' || names.includes(p.name)) && (p.run_cnt ?? 0) > 0 && p.id > loadedAfterId)
    .map((p) => ({ name: p.name!, runCnt: p.run_cnt!, nsPerRun: Math.round((p.run_time_ns ?? 0) / (p.run_cnt ?? 1)), totalNs: p.run_time_ns ?? 0 }));
}

/** The highest BPF program id now: programs loaded later (by the helper about to start) have larger ids. */
export function maxBpfProgId(): number {
  const all = JSON.parse(execFileSync('bpftool', ['prog', 'show', '--json']).toString()) as Array<{ id: number }>;
  return all.reduce((m, p) => Math.max(m, p.id), 0);
}

/** CPU time used so far by every process of a container (its cgroup), in ns: cgroup v1 cpuacct or v2 cpu.stat. */
export function cgroupCpuNs(containerId: string): number {
  for (const dir of [`/sys/fs/cgroup/cpuacct/docker/${containerId}`, `/sys/fs/cgroup/cpu,cpuacct/docker/${containerId}`]) {
    if (existsSync(`${dir}/cpuacct.usage`)) return Number(readFileSync(`${dir}/cpuacct.usage`, 'utf8'));
  }
  const stat = readFileSync(`${cgroupDir(containerId)}/cpu.stat`, 'utf8');
  return Number(/usage_usec (\d+)/.exec(stat)![1]) * 1000;
}

/** Median and relative spread (max-min over median) of a sample. */
export function medianSpread(xs: number[]): { median: number; spread: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median, spread: (s[s.length - 1] - s[0]) / median, min: s[0], max: s[s.length - 1] };
}

export const fmt = (x: number, d = 2) => x.toFixed(d);

export const NGINX_IMAGE = 'glasshouse-bench/nginx:1';
const NGINX_CONF = `user nobody nogroup;
worker_processes 1;
daemon off;
pid /run/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  include mime.types;
  access_log /var/log/nginx/access.log;
  sendfile on;
  keepalive_requests 1000000;
  server { listen 8080; root /var/www; index index.html; }
}
`;

/**
 * The realistic workload: Debian's nginx (host package nginx-light) in a FROM-scratch image of its binary, the
 * shared libraries ldd names, a keep-alive config that logs every request, and a 4 KiB page. No registry.
 */
export async function ensureNginxImage(): Promise<string> {
  const bin = '/usr/sbin/nginx';
  if (!existsSync(bin)) throw new Error('nginx is not installed on this host: apt-get install -y nginx-light (the bench copies its binary into an image)');
  return importRootfs(NGINX_IMAGE, [`LABEL ${SENSOR_LABEL}=1`, 'CMD ["/usr/sbin/nginx"]'], (dir) => {
    const libs = execFileSync('ldd', [bin]).toString().split('\n').map((l) => /(\/\S+) \(0x/.exec(l)?.[1]).filter((x): x is string => !!x);
    for (const f of [bin, ...libs, '/etc/nginx/mime.types']) {
      mkdirSync(join(dir, dirname(f)), { recursive: true });
      copyFileSync(f, join(dir, f));
    }
    for (const d of ['etc/nginx', 'var/www', 'var/log/nginx', 'var/lib/nginx/body', 'run', 'tmp']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'etc/nginx/nginx.conf'), NGINX_CONF);
    writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/false\nnobody:x:65534:65534:nobody:/:/bin/false\n');
    writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    writeFileSync(join(dir, 'var/www/index.html'), `<!doctype html><title>bench</title>${'<p>glasshouse benchmark page</p>\n'.repeat(128)}`);
  });
}

// Rule evaluation rate with the whole built-in pack on a realistic event mix (target ≥ 1 M events/s, one core).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'vitest';
import type { RuntimeEvent } from '../../../electron/common/model/event';
import { RuleEngine, FindingTracker } from '../../../electron/common/rules';
import { MemoryContext, CID } from '../../../electron/common/rules/testkit';

const dir = join(__dirname, '../../../assets/rules');
const sources = readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') }));

/**
 * A busy web service: mostly file writes and network, some process churn, rare suspicious behaviour.
 * Events are built as literals with one fixed shape per kind, as a decoder builds them: objects made by
 * spreading (`{...base, ...x}`) land in V8 dictionary mode and cost ~25× more to read, which would measure
 * the benchmark's own allocation pattern instead of the rules.
 */
function makeMix(n: number): RuntimeEvent[] {
  const c = CID;
  const T = 1.7e12;
  const hdr = (seq: number) => ({ ts: T + seq, seq, pid: 100, tgid: 100, ppid: 50, uid: 0, gid: 0, comm: 'node', cgroupId: '1', mntns: 1, containerId: c });
  const open = (seq: number, path: string, flags: number): RuntimeEvent => ({ ...hdr(seq), kind: 'open', path, flags, mode: 0o644, ret: 5 });
  const net = (seq: number, kind: 'connect' | 'accept', saddr: string, sport: number, daddr: string, dport: number): RuntimeEvent =>
    ({ ...hdr(seq), kind, family: 'inet', proto: 'tcp', saddr, sport, daddr, dport, fd: 9, ret: 0 });
  const templates: Array<[number, (seq: number) => RuntimeEvent]> = [
    [22, (s) => open(s, '/var/log/app/access.log', 0o2001)],
    [10, (s) => open(s, '/tmp/upload-123.bin', 0o1101)],
    [4, (s) => open(s, '/app/cache/x.json', 0o101)],
    [2, (s) => open(s, '/proc/self/status', 0)],
    [18, (s) => net(s, 'connect', '172.18.0.3', 41000, '172.18.0.4', 5432)],
    [6, (s) => net(s, 'connect', '172.18.0.3', 41002, '140.82.112.3', 443)],
    [8, (s) => net(s, 'accept', '172.18.0.3', 8080, '172.18.0.1', 50000)],
    [5, (s) => ({ ...hdr(s), kind: 'dns', qname: 'api.github.com', qtype: 1, daddr: '127.0.0.11', dport: 53 })],
    [6, (s) => ({ ...hdr(s), kind: 'fork', childPid: 101, childTgid: 100, thread: true })],
    [6, (s) => ({ ...hdr(s), kind: 'exit', code: 0, signal: 0, thread: true })],
    [3, (s) => ({ ...hdr(s), kind: 'exec', filename: '/usr/local/bin/node', argv: ['node', 'worker.js'], ret: 0 })],
    [2, (s) => ({ ...hdr(s), kind: 'exec', filename: '/bin/sh', argv: ['sh', '-c', 'convert a.png b.jpg'], ret: 0 })],
    [4, (s) => ({ ...hdr(s), kind: 'mmap', addr: '0x7f0000', len: 65536, prot: 5, flags: 2, ret: 0 })],
    [2, (s) => ({ ...hdr(s), kind: 'mprotect', addr: '0x7f0000', len: 4096, prot: 7, flags: 0, ret: 0 })],
    [1, (s) => ({ ...hdr(s), kind: 'unlink', path: '/tmp/upload-123.bin', ret: 0 })],
    [1, (s) => ({ ...hdr(s), kind: 'rename', path: '/app/cache/x.tmp', newPath: '/app/cache/x.json', ret: 0 })],
    // The rare bad behaviour a pack exists for: these must turn into findings.
    [1, (s) => ({ ...hdr(s), kind: 'exec', filename: '/tmp/xmrig', argv: ['xmrig', '-o', 'stratum+tcp://pool.supportxmr.com:3333'], ret: 0 })],
  ];
  const bag: Array<(seq: number) => RuntimeEvent> = [];
  for (const [w, t] of templates) for (let i = 0; i < w; i++) bag.push(t);
  const out: RuntimeEvent[] = [];
  let seed = 42;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    // JSON round trip: plain literal-shaped objects, as decoded from the wire.
    out.push(JSON.parse(JSON.stringify(bag[seed % bag.length](i))) as RuntimeEvent);
  }
  return out;
}

/**
 * Rates are per CPU-second of this process (process.cpuUsage), so a shared, busy machine does not hide the
 * engine's own cost; wall-clock figures are printed beside them.
 */
function measure(engine: RuleEngine, events: RuntimeEvent[], ctx: MemoryContext, rounds: number): { perSec: number; ns: number; bestNs: number; wallPerSec: number; matches: number } {
  let matches = 0;
  const onMatch = () => { matches++; };
  for (const e of events.slice(0, 50_000)) engine.evaluate(e, ctx, onMatch); // warm up the JIT
  matches = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let bestNs = Infinity;
  for (let r = 0; r < rounds; r++) {
    const cr = process.cpuUsage();
    for (let i = 0; i < events.length; i++) engine.evaluate(events[i], ctx, onMatch);
    const d = process.cpuUsage(cr);
    bestNs = Math.min(bestNs, ((d.user + d.system) * 1000) / events.length);
  }
  const wall = Number(process.hrtime.bigint() - t0);
  const c1 = process.cpuUsage(c0);
  const cpuNs = (c1.user + c1.system) * 1000;
  const total = events.length * rounds;
  return { perSec: total / (cpuNs / 1e9), ns: cpuNs / total, bestNs, wallPerSec: total / (wall / 1e9), matches: matches / rounds };
}

/** A fixed string workload measured in the same run, so figures from a loaded or slow machine can be compared. */
function referenceNs(): number {
  const paths = ['/var/log/app/access.log', '/usr/lib/x.so', '/etc/passwd', '/tmp/upload-1'];
  let k = 0;
  const n = 5_000_000;
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) if (paths[i & 3].startsWith('/usr/lib')) k++;
  const c = process.cpuUsage(c0);
  if (k < 0) console.log(k);
  return ((c.user + c.system) * 1000) / n;
}

it('evaluates the built-in pack at ≥ 1 M events/s on one core', () => {
  const t0 = performance.now();
  const engine = RuleEngine.fromSources(sources);
  const compileMs = performance.now() - t0;
  const ctx = new MemoryContext();
  ctx.addProc({ tgid: 100, ppid: 50, exe: '/usr/local/bin/node', argv: ['node', 'server.js'], comm: 'node' });
  ctx.addProc({ tgid: 50, ppid: 1, exe: '/usr/bin/tini', argv: ['tini', '--', 'node'], comm: 'tini' });
  ctx.imageFiles.set(CID, new Set(['/usr/local/bin/node', '/bin/sh']));
  const events = makeMix(200_000);
  const empty = RuleEngine.fromSources([]);
  const unfiltered = RuleEngine.fromSources(sources, { prefilter: false });

  const full = measure(engine, events, ctx, 10);
  const plain = measure(unfiltered, events, ctx, 4);
  const floor = measure(empty, events, ctx, 10);
  if (plain.matches !== full.matches) throw new Error(`the prefilter changed the matches: ${full.matches} with it, ${plain.matches} without`);
  const tracker = new FindingTracker();
  for (const e of events) engine.evaluate(e, ctx, (m) => tracker.observe(m, ctx));

  const fmt = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
  console.log(`rules loaded: ${engine.rules.length} (${engine.rules.filter((r) => r.enabled).length} enabled), compiled in ${compileMs.toFixed(1)} ms`);
  console.log(`event mix: ${events.length} events × 10 rounds`);
  console.log(`whole pack: ${fmt(full.perSec)} events/CPU-s, ${full.ns.toFixed(1)} ns/event (wall clock ${fmt(full.wallPerSec)} events/s), ${full.matches} matches per round`);
  console.log(`whole pack, quietest round (a shared machine's neighbours inflate the mean): ${fmt(1e9 / full.bestNs)} events/CPU-s, ${full.bestNs.toFixed(1)} ns/event`);
  console.log(`whole pack without the shared prefilter: ${fmt(plain.perSec)} events/CPU-s, ${plain.ns.toFixed(1)} ns/event; the prefilter is ${(plain.ns / full.ns).toFixed(2)}× faster`);
  console.log(`prefilter coverage (guarded/rules): ${(['exec', 'open', 'connect', 'dns'] as const).map((k) => { const c = engine.prefilterCoverage(k); return `${k} ${c.guarded}/${c.rules}${c.cached ? ' (cached by value)' : ''}`; }).join(', ')}`);
  console.log(`no rules (dispatch floor): ${fmt(floor.perSec)} events/CPU-s, ${floor.ns.toFixed(1)} ns/event (wall clock ${fmt(floor.wallPerSec)} events/s)`);
  console.log(`rules cost ${(full.ns - floor.ns).toFixed(1)} ns/event above the floor; load average ${(globalThis as { process: NodeJS.Process }).process.platform === 'linux' ? readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') : 'n/a'}`);
  console.log(`findings after deduplication: ${tracker.list().length} (${tracker.list().map((f) => `${f.ruleId} ×${f.count}`).join('; ')})`);
  const ref = referenceNs();
  console.log(`machine reference, same run: ${ref.toFixed(1)} ns per String.startsWith call (≈3 ns on an idle modern core); the pack costs ${(full.ns / ref).toFixed(0)} startsWith-equivalents per event`);
  console.log(`target 1,000,000 events/CPU-s (mean of all rounds): ${full.perSec >= 1e6 ? 'met' : 'NOT met'} (${(full.perSec / 1e6).toFixed(2)}× the target on this machine; quietest round ${(1e9 / full.bestNs / 1e6).toFixed(2)}×)`);
});

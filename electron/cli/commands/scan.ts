// `glasshouse scan`: run a command, record what the watched containers do, evaluate rules, posture and policy,
// write a report, and exit non-zero when a finding reaches --fail-on (a CI gate on runtime behaviour).
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { CliCommand, CliIo } from '../command';
import { parseCommandArgs, parseDuration } from '../args';
import { UserInputError, DockerUnavailableError, deserializeError } from '../../common/ipc/errors';
import { SEVERITIES, SEVERITY_RANK, type Finding, type Severity } from '../../common/model/finding';
import type { ContainerSummary } from '../../common/model/container';
import type { CatalogDelta } from '../../common/ipc/contract';
import { Engine, GLASSHOUSE_VERSION } from '../../node/engine';
import { inspectContainer, listProcesses } from '../../node/docker/containers';
import { chooseFormat, writeReport } from '../../node/export/write';
import { locateComposeFile } from '../../node/export/locations';
import type { ReportInput } from '../../node/export';
import { findPolicyFile, loadPolicyFile } from '../../node/policy/load';
import { RecordingStore } from '../../node/store';
import { ScanSession, atOrAbove } from '../scan/session';
import { ProcessPollerSource, POLLER_BLIND_KINDS } from '../scan/processPoller';
import { defaultRulesFile, findComposeFile, loadRules } from '../scan/inputs';

export const EXIT_FINDINGS = 1;

const USAGE = `Usage: glasshouse scan [options] -- COMMAND [ARG...]

Runs COMMAND (for example your tests, or \`docker compose up --abort-on-container-exit\`), records what the
watched containers do while it runs, evaluates the rules, CIS posture checks and glasshouse.yaml, prints a
summary and writes a report.

Which containers:
  --compose PROJECT      watch every container of this compose project (repeatable)
  --container NAME       watch this container, by name or id prefix (repeatable)
                         (neither: every container that starts while COMMAND runs)
Gate and report:
  --fail-on SEVERITY     exit 1 when an open finding is at or above it: critical, high (default), medium,
                         low, info, or none to never fail on findings
  --format FORMAT        sarif, json, md, html or csv (default: from --out's extension, else sarif)
  --out FILE             write the report here (default: stdout when --format is given, else no report)
Inputs:
  --rules FILE           extra Falco-format rules file, loaded after the built-in pack (repeatable)
  --policy FILE          glasshouse.yaml to enforce (default: found in this directory or a parent in the repo)
  --no-policy            ignore glasshouse.yaml
  --compose-file FILE    compose file whose lines SARIF results point at (default: ./compose.yaml etc.)
  --settle DURATION      keep watching this long after COMMAND ends (default 1s)
  --record FILE          also save the run as a recording (render it later with \`glasshouse report FILE\`)

Exit status: 1 when findings reach --fail-on; otherwise COMMAND's own status (so failing tests still fail);
2 for bad usage. Secrets in evidence are redacted in every report.`;

interface Progress { update(text: string): void; line(stream: NodeJS.WritableStream, text: string): void; done(): void }

/** A one-line spinner on a terminal; silent otherwise (CI logs stay clean). */
function progress(io: CliIo): Progress {
  const tty = !!io.stderr.isTTY;
  const frames = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';
  let i = 0;
  let last = '';
  let shown = false;
  const clear = () => { if (shown) { io.stderr.write('\r\x1b[2K'); shown = false; } };
  const draw = () => { if (!tty || !last) return; io.stderr.write(`\r\x1b[2K${frames[i++ % frames.length]} ${last}`); shown = true; };
  const timer = tty ? setInterval(draw, 120) : undefined;
  return {
    update(text) { last = text; },
    line(stream, text) { clear(); stream.write(text); draw(); },
    done() { if (timer) clearInterval(timer); clear(); },
  };
}

function countLine(findings: Finding[]): string {
  const n: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) n[f.severity]++;
  return SEVERITIES.map((s) => `${n[s]} ${s}`).join(', ');
}

export const scanCommand: CliCommand = {
  name: 'scan',
  summary: 'Run a command, watch its containers, and fail CI on risky runtime behaviour',
  usage: USAGE,
  async run(argv, io) {
    const dash = argv.indexOf('--');
    const own = dash >= 0 ? argv.slice(0, dash) : argv;
    const command = dash >= 0 ? argv.slice(dash + 1) : [];
    const { values } = parseCommandArgs('scan', own, {
      compose: { type: 'string', multiple: true },
      container: { type: 'string', multiple: true },
      'fail-on': { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      rules: { type: 'string', multiple: true },
      policy: { type: 'string' },
      'no-policy': { type: 'boolean' },
      'compose-file': { type: 'string' },
      settle: { type: 'string' },
      record: { type: 'string' },
    });
    if (!command.length) {
      throw new UserInputError('No command to run was given.', 'Put it after --, e.g. `glasshouse scan --compose shop -- docker compose up --abort-on-container-exit`.');
    }
    const failOnText = (values['fail-on'] ?? 'high').toLowerCase();
    if (failOnText !== 'none' && !(SEVERITIES as readonly string[]).includes(failOnText)) {
      throw new UserInputError(`"${values['fail-on']}" is not a severity.`, `Use one of: ${SEVERITIES.join(', ')}, none.`);
    }
    const failOn = failOnText === 'none' ? undefined : (failOnText as Severity);
    const format = values.format || values.out ? chooseFormat(values.format, values.out) : undefined;
    const settleMs = values.settle ? parseDuration(values.settle) : 1000;

    // Inputs first: a typo in a rules or policy file should fail before the command runs, not after.
    const packFile = defaultRulesFile(io.env);
    const ruleFiles = [...(packFile ? [packFile] : []), ...(values.rules ?? []).map((f) => resolve(io.cwd, f))];
    if (!ruleFiles.length) io.stderr.write('glasshouse scan: the built-in rule pack was not found (set GLASSHOUSE_ASSETS); only posture and policy are checked.\n');
    const { engine: rules, warnings } = loadRules(ruleFiles);
    for (const w of warnings) io.stderr.write(`glasshouse scan: ${w}\n`);
    const policyFile = values['no-policy'] ? undefined : values.policy ? resolve(io.cwd, values.policy) : findPolicyFile(io.cwd);
    const policy = policyFile ? loadPolicyFile(policyFile) : undefined;
    const composeFile = values['compose-file'] ? resolve(io.cwd, values['compose-file']) : findComposeFile(io.cwd);

    const engine = new Engine({ endpointEnv: { env: io.env } });
    await engine.start();
    if (engine.connection.status.connection !== 'connected') {
      engine.stop();
      const e = engine.connection.status.error;
      throw e ? deserializeError(e) : new DockerUnavailableError('Docker is not reachable.', 'Is Docker running?');
    }
    // Created before the command runs: an existing file is refused now, not after a long test run.
    let store: RecordingStore | undefined;
    try {
      store = values.record
        ? RecordingStore.create(resolve(io.cwd, values.record), { title: command.join(' ').slice(0, 200), source: 'glasshouse scan (docker top polling)' })
        : undefined;
    } catch (e) {
      engine.stop();
      throw e;
    }

    const ui = progress(io);
    const startedAt = Date.now();
    const liveFindings: Finding[] = [];
    const session = new ScanSession(rules, (f) => {
      liveFindings.push(f);
      if (failOn && SEVERITY_RANK[f.severity] >= SEVERITY_RANK[failOn]) ui.line(io.stderr, `glasshouse: [${f.severity.toUpperCase()}] ${f.title}\n`);
    });
    const source = new ProcessPollerSource((id) => listProcesses(engine.connection.docker, id));
    const wanted = (c: ContainerSummary) => {
      const byProject = values.compose?.some((p) => c.composeProject === p);
      const byName = values.container?.some((n) => c.name === n || c.name === n.replace(/^\//, '') || c.id.startsWith(n));
      if (values.compose?.length || values.container?.length) return !!(byProject || byName);
      // No selection: what this run starts.
      return c.state === 'running' && (c.startedAt ?? c.createdAt) >= startedAt - 1000;
    };
    const pending = new Set<Promise<void>>();
    const consider = (c: ContainerSummary) => {
      if (c.state !== 'running' || session.isWatched(c.id) || !wanted(c)) return;
      const p = inspectContainer(engine.connection.docker, c.id).then((d) => {
        if (session.isWatched(d.id)) return;
        session.watch(d);
        source.add(d.id);
        ui.line(io.stderr, `glasshouse: watching ${d.name} (${d.image})\n`);
      }).catch(() => undefined).finally(() => pending.delete(p));
      pending.add(p);
    };
    const onDelta = (deltas: CatalogDelta[]) => {
      for (const d of deltas) {
        if (d.type === 'upsert') consider(d.container);
        else if (d.type === 'reset') d.snapshot.containers.forEach(consider);
      }
    };
    engine.catalog.on('delta', onDelta);
    engine.catalog.snapshot().containers.forEach(consider);
    await source.start();
    const consumer = (async () => {
      for await (const b of source.batches()) {
        session.consume(b);
        store?.appendEvents(b.filter((e) => session.isWatched(e.containerId)));
      }
    })();

    const tick = setInterval(() => {
      const secs = Math.round((Date.now() - startedAt) / 1000);
      ui.update(`${command[0]} running ${secs}s · watching ${session.world.containers.size} container(s) · ${session.events} events · ${liveFindings.length} findings`);
    }, 250);

    let exitCode: number;
    try {
      // When the report goes to stdout, the command's own output moves to stderr so the report stays parseable.
      exitCode = await runChild(command, io, ui, format && !values.out ? io.stderr : io.stdout);
      await new Promise((r) => setTimeout(r, settleMs));
      await Promise.all(pending);
      await source.flush();
    } catch (e) {
      store?.close('scan failed');
      throw e;
    } finally {
      clearInterval(tick);
      engine.catalog.off('delta', onDelta);
      await source.stop();
      await consumer;
      ui.done();
      engine.stop();
    }

    const endedAt = Date.now();
    const result = session.finish(policy);
    if (store) {
      store.applyDelta(result.world.takeDelta());
      store.saveFindings(result.findings);
      store.recordSensorStats({ ts: endedAt, eventsByKind: {}, ringDrops: 0, queueDrops: 0, corruptFrames: 0, cpuUserMs: 0, cpuSysMs: 0, rssKb: 0, unsupportedKinds: [...POLLER_BLIND_KINDS], gaps: [] });
      store.close();
      io.stderr.write(`glasshouse scan: recording saved to ${values.record}.\n`);
    }
    const named = [...(values.compose ?? []), ...(values.container ?? [])];
    if (named.length && !result.containers.length) {
      io.stderr.write(`glasshouse scan: no running container matched ${named.join(', ')}; nothing was recorded. Check the names with \`docker ps\`.\n`);
    }
    const input: ReportInput = {
      findings: result.findings,
      containers: result.containers,
      processes: [...result.world.processes.all()].filter((p) => session.isWatched(p.containerId)),
      flows: result.world.flows.flows().filter((f) => session.isWatched(f.containerId)),
      fileChanges: result.world.files.list().filter((f) => session.isWatched(f.containerId)),
      recording: { id: `scan-${new Date(startedAt).toISOString()}`, name: command.join(' ').slice(0, 120), startedAt, endedAt, host: hostname(), command, toolVersion: GLASSHOUSE_VERSION },
      // Until the live sensor lands, only process starts are observed: say so in every report.
      loss: { ringDrops: 0, queueDrops: 0, corruptFrames: 0, unsupportedKinds: [...POLLER_BLIND_KINDS], gaps: [], observedBy: 'docker top polling (the eBPF sensor is not available yet)' },
      sourceLocations: composeFile ? locateComposeFile(composeFile, io.cwd) : undefined,
    };
    if (format) {
      const bytes = writeReport(format, input, values.out, io.stdout, io.cwd);
      if (values.out) io.stderr.write(`glasshouse scan: ${format} report written to ${values.out} (${bytes} bytes).\n`);
    }

    const gate = failOn ? atOrAbove(result.findings, failOn) : [];
    io.stderr.write(`glasshouse scan: ${result.containers.length} container(s), ${session.events} events, ${result.findings.length} findings (${countLine(result.findings)}); observed by ${source.description}.\n`);
    for (const f of gate.slice(0, 20)) io.stderr.write(`  [${f.severity.toUpperCase()}] ${f.ruleId}: ${f.title} — ${f.container.name}\n`);
    if (gate.length) {
      io.stderr.write(`glasshouse scan: failing because ${gate.length} finding(s) are at or above ${failOn}.\n`);
      return EXIT_FINDINGS;
    }
    return exitCode;
  },
};

/** Runs the user's command (argv, never a shell string) and forwards its output around the progress line. */
function runChild(command: string[], io: CliIo, ui: Progress, out: NodeJS.WritableStream): Promise<number> {
  return new Promise((resolveExit, reject) => {
    const child = spawn(command[0], command.slice(1), { cwd: io.cwd, env: io.env, stdio: ['inherit', 'pipe', 'pipe'] });
    child.stdout?.on('data', (b: Buffer) => ui.line(out, b.toString()));
    child.stderr?.on('data', (b: Buffer) => ui.line(io.stderr, b.toString()));
    child.on('error', (e: NodeJS.ErrnoException) => reject(new UserInputError(
      `The command "${command[0]}" could not be started (${e.code ?? e.message}).`, 'Check that it is installed and on PATH.')));
    child.on('close', (code, signal) => resolveExit(code ?? (signal ? 128 + 15 : 1)));
    void io.interrupted.then(() => child.kill('SIGTERM'));
  });
}

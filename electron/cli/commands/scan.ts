// `glasshouse scan`: run a command, record what the watched containers do, evaluate rules, posture and policy,
// write a report, and exit non-zero when a finding reaches --fail-on (a CI gate on runtime behaviour).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { CliCommand, CliIo } from '../command';
import { parseCommandArgs, parseDuration, splitAtDoubleDash } from '../args';
import { UserInputError, DockerUnavailableError, FileFormatError, deserializeError, describeError } from '../../common/ipc/errors';
import { SEVERITIES, SEVERITY_RANK, type Finding, type Severity } from '../../common/model/finding';
import { formatDiagnostic, type RuleSource } from '../../common/rules';
import { evaluatePolicy } from '../../common/policy';
import { Engine, GLASSHOUSE_VERSION } from '../../node/engine';
import type { Selection } from '../../node/session';
import { builtinRuleSources, loadRuleEngine } from '../../node/rules/files';
import { ProcessPollerSource } from '../../node/capture/processPoller';
import { answerRejectTallies } from '../../node/docker/answers';
import { listProcesses } from '../../node/docker/containers';
import { RecordingStore } from '../../node/store';
import { chooseFormat, writeReport } from '../../node/export/write';
import { locateComposeFile } from '../../node/export/locations';
import { sessionLoss, worldReportParts } from '../../node/export/app';
import type { ReportInput } from '../../node/export';
import { findPolicyFile, loadPolicyFile } from '../../node/policy/load';

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
  --poll                 observe with \`docker top\` polling instead of the eBPF sensor (process starts only;
                         also used automatically when the sensor cannot run here, with the reason printed)

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

/** Open findings at or above the threshold: the ones that fail the scan. */
export function atOrAbove(findings: Finding[], threshold: Severity): Finding[] {
  return findings.filter((f) => f.status === 'open' && SEVERITY_RANK[f.severity] >= SEVERITY_RANK[threshold]);
}

const COMPOSE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

function findComposeFile(cwd: string): string | undefined {
  return COMPOSE_NAMES.map((n) => join(cwd, n)).find((p) => existsSync(p));
}

/** --rules files, read before anything runs so a wrong path fails fast. */
function readRuleFiles(files: string[]): RuleSource[] {
  return files.map((f) => {
    try { return { name: f, text: readFileSync(f, 'utf8') }; } catch (e) {
      throw new FileFormatError(`The rules file ${f} could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, 'Check the path passed to --rules.');
    }
  });
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
    const { own, command, hasDash } = splitAtDoubleDash(argv);
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
      poll: { type: 'boolean' },
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
    const extraRules = readRuleFiles((values.rules ?? []).map((f) => resolve(io.cwd, f)));
    const engine = new Engine({ endpointEnv: { env: io.env }, extraRules });
    if (!builtinRuleSources(io.env).length) io.stderr.write('glasshouse scan: the built-in rule pack was not found (set GLASSHOUSE_RULES_DIR to its folder); only posture and policy are checked.\n');
    // The same rule set the session will load (pack, the user's rules folder, --rules): one broken rule is reported, the rest run.
    for (const d of loadRuleEngine(engine.dataDir, io.env, extraRules).diagnostics) {
      if (d.severity === 'error') io.stderr.write(`glasshouse scan: ${formatDiagnostic(d)}\n`);
    }
    const policyFile = values['no-policy'] ? undefined : values.policy ? resolve(io.cwd, values.policy) : findPolicyFile(io.cwd);
    const policy = policyFile ? loadPolicyFile(policyFile) : undefined;
    const composeFile = values['compose-file'] ? resolve(io.cwd, values['compose-file']) : findComposeFile(io.cwd);
    const located = composeFile ? locateComposeFile(composeFile, io.cwd) : undefined;
    if (located?.problem) io.stderr.write(`glasshouse scan: warning: ${located.problem}.\n`);
    const recordTo = values.record ? resolve(io.cwd, values.record) : undefined;
    if (recordTo && existsSync(recordTo)) {
      throw new UserInputError(`${recordTo} already exists; Glasshouse never overwrites a file.`, 'Choose another --record file name or delete the old file first.');
    }

    await engine.start();
    if (engine.connection.status.connection !== 'connected') {
      engine.stop();
      const e = engine.connection.status.error;
      throw e ? deserializeError(e) : new DockerUnavailableError('Docker is not reachable.', 'Is Docker running?');
    }
    const startedAt = Date.now();
    const named = [...(values.compose ?? []), ...(values.container ?? [])];
    // Nothing named: only what starts while the command runs, not every container already on the machine.
    const sel: Selection = { containers: values.container, compose: values.compose, ...(named.length ? {} : { startedSince: startedAt }) };
    const record = recordTo ? { path: recordTo, title: `glasshouse scan -- ${command.join(' ')}`.slice(0, 200) } : false;
    const session = engine.session;
    const ui = progress(io);

    // The same capture session as the app and `glasshouse record`: sensor → state → rules + posture (→ recording).
    let observedBy = 'the eBPF sensor';
    const poll = async () => {
      observedBy = 'docker top polling (process starts only)';
      const poller = new ProcessPollerSource((id) => listProcesses(engine.connection.docker, id));
      await session.startSource(poller, record, sel);
    };
    try {
      if (values.poll) {
        await poll();
      } else {
        try {
          await session.startLive(sel, record);
        } catch (e) {
          io.stderr.write(`glasshouse scan: the eBPF sensor cannot run here (${describeError(e)}) Falling back to docker top polling, which sees process starts only.\n`);
          await poll();
        }
      }
    } catch (e) {
      ui.done();
      engine.stop();
      throw e;
    }

    const announcedContainers = new Set<string>();
    const announcedFindings = new Set<string>();
    const tick = setInterval(() => {
      const w = session.world;
      for (const c of w?.containers.list() ?? []) {
        if (announcedContainers.has(c.id) || !c.ref.image) continue;
        announcedContainers.add(c.id);
        ui.line(io.stderr, `glasshouse: watching ${c.ref.name} (${c.ref.image})\n`);
      }
      const findings = session.findings();
      for (const f of failOn ? atOrAbove(findings, failOn) : []) {
        if (announcedFindings.has(f.fingerprint)) continue;
        announcedFindings.add(f.fingerprint);
        ui.line(io.stderr, `glasshouse: [${f.severity.toUpperCase()}] ${f.title}\n`);
      }
      const secs = Math.round((Date.now() - startedAt) / 1000);
      ui.update(`${command[0]} running ${secs}s · ${w?.containers.size ?? 0} container(s) · ${w?.counters.events ?? 0} events · ${findings.length} findings`);
    }, 250);

    let exitCode: number;
    try {
      // When the report goes to stdout, the command's own output moves to stderr so the report stays parseable.
      exitCode = await runChild(command, io, ui, format && !values.out ? io.stderr : io.stdout);
      await new Promise((r) => setTimeout(r, settleMs));
    } finally {
      clearInterval(tick);
      // Stopping closes the recording too (with the findings so far), also when the command could not run.
      await session.stop().finally(() => ui.done());
      engine.stop();
    }
    const summary = await session.summary;
    const endedAt = Date.now();
    const status = session.status;
    const world = session.world;

    // The watched containers (a session with a selection lists them) and what they did.
    const watched = status.containers ? new Set(status.containers) : undefined;
    const keep = (id: string | undefined) => !!id && (!watched || watched.has(id));
    const { containers, processes, flows, fileChanges } = worldReportParts(world, keep);
    const policyFindings = policy ? evaluatePolicy(policy, { containers, processes, flows, fileChanges }) : [];
    const findings = [...session.findings().filter((f) => keep(f.container.id)), ...policyFindings];
    if (recordTo) {
      // Policy is judged on the final state, after the recording closed: add its findings so `report` shows them too.
      if (policyFindings.length) {
        const store = RecordingStore.open(recordTo);
        try { store.saveFindings(policyFindings); } finally { store.close(); }
      }
      io.stderr.write(`glasshouse scan: recording saved to ${values.record}.\n`);
    }
    if (summary?.error) io.stderr.write(`glasshouse scan: ${describeError(summary.error)}\n`);
    for (const r of answerRejectTallies()) io.stderr.write(`glasshouse scan: skipped ${r.count} ${r.call} answer(s) of an unexpected shape. Last: ${r.last}\n`);
    if (named.length && !containers.length) {
      io.stderr.write(`glasshouse scan: no running container matched ${named.join(', ')}; nothing was recorded. Check the names with \`docker ps\`.\n`);
    }
    const input: ReportInput = {
      findings, containers, processes, flows, fileChanges,
      recording: { id: `scan-${new Date(startedAt).toISOString()}`, name: command.join(' ').slice(0, 120), startedAt, endedAt, host: hostname(), command, toolVersion: GLASSHOUSE_VERSION },
      loss: {
        ...sessionLoss(status.loss),
        ...(observedBy === 'the eBPF sensor' ? {} : { observedBy: 'docker top polling (the eBPF sensor was not used)' }),
      },
      sourceLocations: located?.locations,
    };
    if (format) {
      const bytes = writeReport(format, input, values.out, io.stdout, io.cwd);
      if (values.out) io.stderr.write(`glasshouse scan: ${format} report written to ${values.out} (${bytes} bytes).\n`);
    }

    const gate = failOn ? atOrAbove(findings, failOn) : [];
    io.stderr.write(`glasshouse scan: ${containers.length} container(s), ${summary?.events ?? status.events} events, ${findings.length} findings (${countLine(findings)}); observed by ${observedBy}.\n`);
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

// `glasshouse scan`: run a command, record what the watched containers do, evaluate rules, posture and policy,
// write a report, and exit non-zero when a finding reaches --fail-on (a CI gate on runtime behaviour).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { CliCommand, CliIo } from '../command';
import { parseCommandArgs, parseDuration } from '../args';
import { UserInputError, DockerUnavailableError, deserializeError, describeError } from '../../common/ipc/errors';
import { SEVERITIES, SEVERITY_RANK, type Finding, type Severity } from '../../common/model/finding';
import { Engine, GLASSHOUSE_VERSION } from '../../node/engine';
import { chooseFormat, writeReport } from '../../node/export/write';
import { locateComposeFile } from '../../node/export/locations';
import type { ReportInput } from '../../node/export';
import { findPolicyFile, loadPolicyFile } from '../../node/policy/load';
import { atOrAbove } from '../scan/session';
import { LiveObserver, PollObserver, type ScanObserver } from '../scan/observers';
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
    const sel = { containers: values.container, compose: values.compose };
    const recordTo = values.record ? resolve(io.cwd, values.record) : undefined;
    if (recordTo && existsSync(recordTo)) {
      engine.stop();
      throw new UserInputError(`${recordTo} already exists; Glasshouse never overwrites a file.`, 'Choose another --record file name or delete the old file first.');
    }
    const ui = progress(io);
    const startedAt = Date.now();
    const announce = (f: Finding) => {
      if (failOn && SEVERITY_RANK[f.severity] >= SEVERITY_RANK[failOn]) ui.line(io.stderr, `glasshouse: [${f.severity.toUpperCase()}] ${f.title}\n`);
    };
    const poll = () => new PollObserver(engine, sel, rules, recordTo, (d) => ui.line(io.stderr, `glasshouse: watching ${d.name} (${d.image})\n`), announce);
    let observer: ScanObserver;
    if (values.poll) {
      observer = poll();
      await observer.start();
    } else {
      try {
        observer = new LiveObserver(engine, sel, !!recordTo);
        await observer.start();
        if (values.rules?.length) io.stderr.write('glasshouse scan: with the live sensor the engine\'s rule set is used (built-in pack plus your rule files in the data directory); --rules applies to --poll only.\n');
      } catch (e) {
        io.stderr.write(`glasshouse scan: the eBPF sensor cannot run here (${describeError(e)}) Falling back to docker top polling, which sees process starts only.\n`);
        observer = poll();
        await observer.start();
      }
    }

    const tick = setInterval(() => {
      const secs = Math.round((Date.now() - startedAt) / 1000);
      const p = observer.progress();
      ui.update(`${command[0]} running ${secs}s · ${p.containers} container(s) · ${p.events} events · ${p.findings} findings`);
    }, 250);

    let exitCode: number;
    try {
      // When the report goes to stdout, the command's own output moves to stderr so the report stays parseable.
      exitCode = await runChild(command, io, ui, format && !values.out ? io.stderr : io.stdout);
      await new Promise((r) => setTimeout(r, settleMs));
    } catch (e) {
      (observer as { abort?: () => void }).abort?.();
      throw e;
    } finally {
      clearInterval(tick);
      await observer.stop(recordTo).finally(() => ui.done());
    }

    const endedAt = Date.now();
    const result = observer.outcome(policy);
    engine.stop();
    if (recordTo) io.stderr.write(`glasshouse scan: recording saved to ${values.record}.\n`);
    const named = [...(values.compose ?? []), ...(values.container ?? [])];
    if (named.length && !result.containers.length) {
      io.stderr.write(`glasshouse scan: no running container matched ${named.join(', ')}; nothing was recorded. Check the names with \`docker ps\`.\n`);
    }
    const input: ReportInput = {
      findings: result.findings,
      containers: result.containers,
      processes: result.processes,
      flows: result.flows,
      fileChanges: result.fileChanges,
      recording: { id: `scan-${new Date(startedAt).toISOString()}`, name: command.join(' ').slice(0, 120), startedAt, endedAt, host: hostname(), command, toolVersion: GLASSHOUSE_VERSION },
      loss: result.loss,
      sourceLocations: composeFile ? locateComposeFile(composeFile, io.cwd) : undefined,
    };
    if (format) {
      const bytes = writeReport(format, input, values.out, io.stdout, io.cwd);
      if (values.out) io.stderr.write(`glasshouse scan: ${format} report written to ${values.out} (${bytes} bytes).\n`);
    }

    const gate = failOn ? atOrAbove(result.findings, failOn) : [];
    io.stderr.write(`glasshouse scan: ${result.containers.length} container(s), ${result.events} events, ${result.findings.length} findings (${countLine(result.findings)}); observed by ${observer.description}.\n`);
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

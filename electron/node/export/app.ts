// The app's way out for findings: engine handlers that render the session as a report, preview and send tickets, and keep tokens.
import type { EngineHandlers, SecretStatus, TicketSendResult, TrackerTarget } from '../../common/ipc/contract';
import { SECRET_NAMES } from '../../common/ipc/contract';
import { NotFoundError, UserInputError } from '../../common/ipc/errors';
import type { ContainerRef, FileChange, Finding, Flow, ProcessNode } from '../../common/model';
import type { WorldState } from '../../common/state/worldState';
import type { SessionStatus, TicketProgress } from '../../common/ipc/contract';
import { REPORT_SINKS, redactReportInput, summarizeRedactions } from './index';
import type { ReportInput, SensorLoss } from './types';
import { decodeBoundToken, encodeBoundToken, EnvSecretStore, TOKEN_URL_ENV, type SecretName, type SecretStore } from './secrets';
import { checkBaseUrl, createTicketSink, type TrackerConfig } from './tickets/index';

export { checkBaseUrl };
import { redactFindings } from './redact';
import type { HttpDeps } from './tickets/http';
import { lossFromStats } from './write';
import { checkFindings } from './validate';

/** The part of the capture session an export needs (live capture or an opened recording). */
export interface ExportableSession {
  readonly status: SessionStatus;
  readonly world: WorldState | undefined;
  findings(containerId?: string): Finding[];
}

export interface ExportDeps {
  session: ExportableSession;
  /** Holds the fp → ticket map (tickets.json). */
  dataDir: string;
  toolVersion: string;
  env: NodeJS.ProcessEnv;
  /** Where tokens typed into the app are kept encrypted (safeStorage in Electron, the OS keychain otherwise). */
  store?: SecretStore;
  /** Why there is no store, as a sentence (shown instead of the "save token" button). */
  storeNote?: string;
  publish(progress: TicketProgress): void;
  /** Tests shorten pacing and waits. */
  http?: HttpDeps & { minIntervalMs?: number };
}

export type ExportHandlers = Pick<EngineHandlers, 'export.report' | 'tickets.preview' | 'tickets.send' | 'secrets.status' | 'secrets.set' | 'secrets.delete'>;

const EXT: Record<string, string> = { sarif: 'sarif', md: 'md', html: 'html', csv: 'csv', json: 'json' };

function refOf(r: { id: string; ref: ContainerRef; detail?: { facts: { imageDigest?: string } } }): ContainerRef {
  return { ...r.ref, id: r.id, imageDigest: r.ref.imageDigest ?? r.detail?.facts.imageDigest };
}

function nothingToExport(): never {
  throw new NotFoundError('There is no capture or recording to export.', 'Start a capture or open a recording first.');
}

/** What a session's state tables hold for the kept containers, as a report shows it (the app's export and `scan`). */
export function worldReportParts(world: WorldState | undefined, keep: (containerId: string | undefined) => boolean):
  { containers: ContainerRef[]; processes: ProcessNode[]; flows: Flow[]; fileChanges: FileChange[] } {
  return {
    containers: (world?.containers.list() ?? []).filter((c) => keep(c.id)).map(refOf),
    processes: [...(world?.processes.all() ?? [])].filter((p) => keep(p.containerId)),
    flows: (world?.flows.flows() ?? []).filter((f) => keep(f.containerId)),
    fileChanges: (world?.files.list() ?? []).filter((f) => keep(f.containerId)),
  };
}

/** A session's loss counters as a report shows them (events the source itself dropped count as queue drops). */
export function sessionLoss(loss: SessionStatus['loss']): SensorLoss {
  return lossFromStats({ ...loss, queueDrops: loss.queueDrops + loss.sourceDropped });
}

/** The session as a report input: its findings, containers, process tree, flows and file changes (one container or all). */
export function sessionReportInput(session: ExportableSession, toolVersion: string, containerId?: string): ReportInput {
  const world = session.world;
  const st = session.status;
  if (!world && !st.startedAt) nothingToExport();
  const name = st.recordingPath?.split('/').pop();
  // An opened recording is a file from anywhere: its findings are checked like the CLI checks them.
  const { findings, rejected } = checkFindings(session.findings(containerId), name ?? 'this session');
  return {
    findings,
    ...(rejected.length ? { skipped: rejected } : {}),
    ...worldReportParts(world, (id) => !containerId || id === containerId),
    recording: {
      ...(name ? { id: name.replace(/\.[^.]+$/, ''), name } : { name: st.source === 'recording' ? 'Recording' : 'Live capture' }),
      startedAt: st.startedAt ?? Date.now(), ...(st.endedAt ? { endedAt: st.endedAt } : {}), toolVersion,
    },
    loss: sessionLoss(st.loss),
  };
}

/** Export file name: glasshouse-<recording or "capture">-<container?>.<ext>, safe on every OS. */
export function exportFileName(input: ReportInput, format: string, containerName?: string): string {
  const base = [input.recording.id ?? 'capture', containerName].filter(Boolean).join('-').replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 100);
  return `glasshouse-${base}.${EXT[format] ?? format}`;
}

/**
 * Each tracker's own API host: a token nobody confirmed another server for is sent there and nowhere else. Jira has
 * none (every site is its own host), so a Jira token always needs its site confirmed.
 */
const DEFAULT_BASE: Partial<Record<TrackerTarget['kind'], string>> = { github: 'https://api.github.com', gitlab: 'https://gitlab.com' };
const SERVICE_NAME: Record<TrackerTarget['kind'], string> = { github: 'GitHub', gitlab: 'GitLab', 'jira-cloud': 'Jira', 'jira-server': 'Jira' };


/** The origin of a tracker address the user confirmed (checked like any base URL), or undefined. */
function confirmedOrigin(raw: string | undefined, what: string): string | undefined {
  const u = checkBaseUrl(raw, what);
  return u ? new URL(u).origin : undefined;
}

function tokenNames(kind: TrackerTarget['kind']): SecretName[] {
  return kind === 'github' ? ['github-token'] : kind === 'gitlab' ? ['gitlab-token'] : kind === 'jira-cloud' ? ['jira-token', 'jira-email'] : ['jira-token'];
}

export function createExportHandlers(deps: ExportDeps): ExportHandlers {
  const envStore = new EnvSecretStore(deps.env);
  /** A token, where it came from, and the one server origin it was confirmed for (none: its tracker's default host). */
  const lookup = async (name: SecretName): Promise<{ value?: string; from?: 'environment' | 'store'; origin?: string; error?: string }> => {
    const fromEnv = await envStore.get(name);
    if (fromEnv) {
      const urlVar = TOKEN_URL_ENV[name];
      try {
        return { value: fromEnv, from: 'environment', origin: urlVar ? confirmedOrigin(deps.env[urlVar], urlVar) : undefined };
      } catch (e) {
        return { value: fromEnv, from: 'environment', error: (e as Error).message };
      }
    }
    if (!deps.store) return {};
    try {
      const v = await deps.store.get(name);
      if (!v) return {};
      const bound = decodeBoundToken(v);
      return { value: bound.token, from: 'store', origin: bound.origin };
    } catch (e) {
      return { error: (e as Error).message };
    }
  };

  /**
   * A token goes only to the server it is for: its tracker's default host, or the one origin the user confirmed
   * (typed with the token when saving it, or set beside it in the environment). The page names the target, so
   * without this any page or WebSocket peer could have the token sent to a host it runs.
   */
  const checkTokenOrigin = (kind: TrackerTarget['kind'], baseUrl: string | undefined, names: SecretName[],
    got: Array<{ from?: 'environment' | 'store'; origin?: string; error?: string }>) => {
    const raw = baseUrl ?? DEFAULT_BASE[kind];
    if (!raw) return; // Jira without an address: the adapter says it is missing
    const target = new URL(raw).origin;
    names.forEach((name, i) => {
      if (!TOKEN_URL_ENV[name]) return; // the Jira email is not a credential on its own
      const g = got[i];
      if (g.error) throw new UserInputError(`The ${name.replace(/-/g, ' ')} cannot be used: ${g.error}`, `Fix ${TOKEN_URL_ENV[name]} (an https:// address).`);
      const boundTo = g.origin ?? DEFAULT_BASE[kind];
      if (boundTo === target) return;
      const which = g.from === 'environment' ? 'in the environment' : 'saved';
      throw new UserInputError(
        boundTo
          ? `The ${SERVICE_NAME[kind]} token ${which} is only sent to ${boundTo}, not to ${target}: a token goes only to the server it was given for.`
          : `The ${SERVICE_NAME[kind]} token ${which} is not sent to ${target}: no server was confirmed for it, and a token goes only to the server it was given for.`,
        g.from === 'environment'
          ? `If ${target} is yours, set ${TOKEN_URL_ENV[name]}=${target} beside the token in the engine's environment.`
          : `If ${target} is yours, type its address in the form and save the token again: it is then kept for that server.`);
    });
  };

  const status = async (): Promise<SecretStatus> => {
    const secrets = {} as SecretStatus['secrets'];
    let note = deps.storeNote;
    for (const name of SECRET_NAMES) {
      const r = await lookup(name);
      if (r.error) note ??= r.error;
      secrets[name] = { set: !!r.value, ...(r.from ? { from: r.from } : {}), ...(r.value && r.origin ? { origin: r.origin } : {}) };
    }
    return {
      store: deps.store ? deps.store.description : 'environment variables only',
      writable: !!deps.store,
      secrets,
      ...(note ? { note } : {}),
    };
  };

  const requireStore = (): SecretStore => {
    if (!deps.store) {
      throw new UserInputError(`Tokens cannot be stored here: ${deps.storeNote ?? 'no encrypted store is available'}`,
        'Set the token in the environment of `glasshouse serve` instead (e.g. GLASSHOUSE_GITHUB_TOKEN).');
    }
    return deps.store;
  };

  /** The tracker config with tokens from the store or the environment; previews get a placeholder when none is set. */
  const configFor = async (t: TrackerTarget, forSend: boolean): Promise<{ config: TrackerConfig; tokenSet: boolean }> => {
    const names = tokenNames(t.kind);
    const got = await Promise.all(names.map(lookup));
    const missing = names.filter((_, i) => !got[i].value);
    if (forSend && missing.length) {
      const why = got.find((g) => g.error)?.error;
      throw new UserInputError(`No ${missing.join(' or ').replace(/-/g, ' ')} is set for ${t.kind}.`,
        `Save it in Export → Tickets${why ? ` (the store said: ${why})` : ''}, or set ${missing[0] === 'jira-email' ? 'GLASSHOUSE_JIRA_EMAIL' : `GLASSHOUSE_${t.kind.split('-')[0].toUpperCase()}_TOKEN`} for the engine.`);
    }
    const val = (name: SecretName, placeholder: string) => got[names.indexOf(name)]?.value ?? placeholder;
    const common = { mapDir: deps.dataDir, labels: t.labels ?? ['security'], ...(deps.http ?? {}) };
    const baseUrl = checkBaseUrl(t.baseUrl, `${t.kind} server address`);
    if (forSend) checkTokenOrigin(t.kind, baseUrl, names, got);
    const project = t.project.trim();
    let config: TrackerConfig;
    switch (t.kind) {
      case 'github': {
        const [owner, repo, extra] = project.split('/');
        if (!owner || !repo || extra !== undefined) throw new UserInputError(`"${project}" is not OWNER/REPO.`, 'Give the repository as owner/name, e.g. octocat/hello-world.');
        config = { kind: 'github', owner, repo, token: val('github-token', 'PREVIEW'), ...(baseUrl ? { baseUrl } : {}), ...common };
        break;
      }
      case 'gitlab':
        config = { kind: 'gitlab', project, token: val('gitlab-token', 'PREVIEW'), ...(baseUrl ? { baseUrl } : {}), ...common };
        break;
      case 'jira-cloud':
        config = { kind: 'jira-cloud', baseUrl: baseUrl ?? '', projectKey: project, email: val('jira-email', 'preview@example.invalid'), apiToken: val('jira-token', 'PREVIEW'),
          ...(t.issueType ? { issueType: t.issueType } : {}), ...common };
        break;
      case 'jira-server':
        config = { kind: 'jira-server', baseUrl: baseUrl ?? '', projectKey: project, pat: val('jira-token', 'PREVIEW'), ...(t.issueType ? { issueType: t.issueType } : {}), ...common };
        break;
    }
    return { config, tokenSet: missing.length === 0 };
  };

  const selected = (fingerprints: string[] | undefined): Finding[] => {
    if (!deps.session.world && !deps.session.status.startedAt) nothingToExport();
    const all = checkFindings(deps.session.findings()).findings;
    const picked = fingerprints ? all.filter((f) => fingerprints.includes(f.fingerprint)) : all.filter((f) => f.status === 'open');
    if (!picked.length) {
      throw new UserInputError(fingerprints ? 'None of the chosen findings is in this session any more.' : 'This session has no open finding to make a ticket of.',
        'Pick findings in the Findings tab, or wait for the rules to report.');
    }
    return picked;
  };

  const recordingMeta = () => sessionReportInput(deps.session, deps.toolVersion).recording;

  return {
    'export.report': async ({ format, containerId }) => {
      const input = redactReportInput(sessionReportInput(deps.session, deps.toolVersion, containerId));
      const sink = REPORT_SINKS[format];
      const text = sink.render(input);
      const name = containerId ? input.containers.find((c) => c.id === containerId)?.name : undefined;
      return {
        format, fileName: exportFileName(input, format, name), mediaType: sink.mediaType, text, bytes: Buffer.byteLength(text),
        findings: input.findings.length, redactions: input.redactions ?? [], redactionSummary: summarizeRedactions(input.redactions),
      };
    },
    'tickets.preview': async ({ target, fingerprints, grouping }) => {
      const findings = selected(fingerprints);
      const { config, tokenSet } = await configFor(target, false);
      const sink = createTicketSink(config);
      return {
        destination: sink.destination, service: sink.service, tokenSet,
        payloads: sink.preview(findings, { grouping, recording: recordingMeta() }),
        redactionSummary: summarizeRedactions(redactFindings(findings).redactions),
      };
    },
    'tickets.send': async ({ target, fingerprints, grouping, sendId }) => {
      const findings = selected(fingerprints);
      const { config } = await configFor(target, true);
      const sink = createTicketSink(config);
      const total = sink.preview(findings, { grouping, recording: recordingMeta() }).length;
      let done = 0;
      const results: TicketSendResult[] = await sink.send(findings, { grouping, recording: recordingMeta() },
        (result) => deps.publish({ sendId, done: ++done, total, result }));
      return results;
    },
    'secrets.status': status,
    'secrets.set': async ({ name, value, origin }) => {
      // The server a token is saved for is kept with it: only someone who knows the token can point it elsewhere.
      const bound = TOKEN_URL_ENV[name] ? confirmedOrigin(origin, 'tracker server address') : undefined;
      await requireStore().set(name, encodeBoundToken(value.trim(), bound));
      return status();
    },
    'secrets.delete': async ({ name }) => {
      await requireStore().delete(name);
      return status();
    },
  };
}

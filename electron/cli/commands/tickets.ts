// `glasshouse tickets`: the findings of a recording as GitHub, GitLab or Jira tickets — previewed exactly, then sent.
import { basename, resolve } from 'node:path';
import type { CliCommand } from '../command';
import { parseCommandArgs } from '../args';
import { UserInputError } from '../../common/ipc/errors';
import { SEVERITIES, SEVERITY_RANK, type Severity } from '../../common/model/finding';
import { RecordingStore } from '../../node/store/index';
import { createTicketSink, type TicketGrouping, type TrackerConfig } from '../../node/export/tickets/index';
import { cliSecretStore, decodeBoundToken, type SecretName } from '../../node/export/secrets';
import type { RecordingMeta } from '../../node/export/types';
import { checkFindings } from '../../node/export/validate';
import { defaultDataDir, GLASSHOUSE_VERSION } from '../../node/engine';

const USAGE = `Usage: glasshouse tickets FILE.glasshouse --to github|gitlab|jira-cloud|jira-server [target] [options]

Turns the open findings of a recording into tickets. Without --send it only PRINTS the exact requests
(tokens masked) — nothing leaves the machine. Evidence is always redacted first. A ticket already made
for the same finding (fingerprint label glasshouse-fp-…) is never made twice.

Targets:
  --to github       --repo OWNER/REPO        [--base-url https://HOST/api/v3 for GitHub Enterprise]
  --to gitlab       --project GROUP/PROJECT  [--base-url https://gitlab.example.com]
  --to jira-cloud   --base-url https://SITE.atlassian.net --project KEY [--issue-type Bug]
  --to jira-server  --base-url https://jira.example.com   --project KEY [--issue-type Bug]
Options:
  --send                 create the tickets (default: preview only)
  --group finding|container|recording   one ticket per finding (default), per container, or one for all
  --min-severity SEV     only findings at or above SEV (critical, high, medium, low, info; default medium)
  --label NAME           an extra label on every ticket (repeatable; no spaces)
Tokens come from the environment or the OS keychain, never from the command line:
  GLASSHOUSE_GITHUB_TOKEN (or GITHUB_TOKEN), GLASSHOUSE_GITLAB_TOKEN (or GITLAB_TOKEN),
  GLASSHOUSE_JIRA_TOKEN + GLASSHOUSE_JIRA_EMAIL (Cloud), GLASSHOUSE_JIRA_TOKEN (Server personal access token).`;

export const ticketsCommand: CliCommand = {
  name: 'tickets',
  summary: 'Preview or create GitHub/GitLab/Jira tickets for the findings of a recording',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('tickets', argv, {
      to: { type: 'string' }, repo: { type: 'string' }, project: { type: 'string' }, 'base-url': { type: 'string' },
      'issue-type': { type: 'string' }, send: { type: 'boolean' }, group: { type: 'string' }, 'min-severity': { type: 'string' },
      label: { type: 'string', multiple: true },
    }, true);
    if (positionals.length !== 1) throw new UserInputError('Name one recording file.', 'e.g. glasshouse tickets run.glasshouse --to github --repo me/app');
    const group = (values.group ?? 'finding') as TicketGrouping;
    if (!['finding', 'container', 'recording'].includes(group)) throw new UserInputError(`"${values.group}" is not a grouping.`, 'Use finding, container or recording.');
    const minSev = (values['min-severity'] ?? 'medium') as Severity;
    if (!SEVERITIES.includes(minSev)) throw new UserInputError(`"${minSev}" is not a severity.`, `Use one of ${SEVERITIES.join(', ')}.`);

    const file = resolve(io.cwd, positionals[0]);
    const store = RecordingStore.open(file, { readonly: true });
    let findings;
    let recording: RecordingMeta;
    try {
      const checked = checkFindings(store.listFindings(), basename(file));
      for (const s of checked.rejected) io.stderr.write(`glasshouse tickets: left out ${s}.\n`);
      findings = checked.findings.filter((f) => f.status === 'open' && SEVERITY_RANK[f.severity] >= SEVERITY_RANK[minSev]);
      const meta = store.meta();
      recording = { name: meta.title ?? basename(file), startedAt: meta.createdAt, toolVersion: GLASSHOUSE_VERSION, ...(meta.finishedAt ? { endedAt: meta.finishedAt } : {}) };
    } finally {
      store.close();
    }

    const { store: secretStore, note } = cliSecretStore(io.env);
    // A token the app saved for a server carries that server; here the --base-url typed on this command line decides.
    const secrets = { get: async (name: SecretName) => { const v = await secretStore.get(name); return v ? decodeBoundToken(v).token : undefined; } };
    const need = async (name: SecretName, env: string) => {
      const v = await secrets.get(name);
      if (!v) throw new UserInputError(`No ${name.replace('-', ' ')} is set.`, `Set ${env} (or store it in the keychain as "glasshouse ${name}")${note ? `; ${note}` : ''}.`);
      return v;
    };
    // Previews need no real token: requests are shown with the token masked.
    const token = async (name: SecretName, env: string) => (values.send ? need(name, env) : ((await secrets.get(name)) ?? 'PREVIEW'));
    const common = { mapDir: defaultDataDir(io.env), labels: values.label ?? [] };
    const required = (v: string | undefined, flag: string) => {
      if (!v) throw new UserInputError(`--to ${values.to} needs ${flag}.`, `Run \`glasshouse tickets --help\` for the targets.`);
      return v;
    };
    let config: TrackerConfig;
    switch (values.to) {
      case 'github': {
        const [owner, repo, extra] = required(values.repo, '--repo OWNER/REPO').split('/');
        if (!owner || !repo || extra !== undefined) throw new UserInputError(`"${values.repo}" is not OWNER/REPO.`, 'e.g. --repo octocat/hello-world');
        config = { kind: 'github', owner, repo, token: await token('github-token', 'GLASSHOUSE_GITHUB_TOKEN'), ...(values['base-url'] ? { baseUrl: values['base-url'] } : {}), ...common };
        break;
      }
      case 'gitlab':
        config = { kind: 'gitlab', project: required(values.project, '--project GROUP/PROJECT'), token: await token('gitlab-token', 'GLASSHOUSE_GITLAB_TOKEN'), ...(values['base-url'] ? { baseUrl: values['base-url'] } : {}), ...common };
        break;
      case 'jira-cloud':
        config = { kind: 'jira-cloud', baseUrl: required(values['base-url'], '--base-url https://SITE.atlassian.net'), projectKey: required(values.project, '--project KEY'),
          email: values.send ? await need('jira-email', 'GLASSHOUSE_JIRA_EMAIL') : ((await secrets.get('jira-email')) ?? 'preview@example.invalid'),
          apiToken: await token('jira-token', 'GLASSHOUSE_JIRA_TOKEN'), ...(values['issue-type'] ? { issueType: values['issue-type'] } : {}), ...common };
        break;
      case 'jira-server':
        config = { kind: 'jira-server', baseUrl: required(values['base-url'], '--base-url https://jira.example.com'), projectKey: required(values.project, '--project KEY'),
          pat: await token('jira-token', 'GLASSHOUSE_JIRA_TOKEN'), ...(values['issue-type'] ? { issueType: values['issue-type'] } : {}), ...common };
        break;
      default:
        throw new UserInputError(values.to ? `"${values.to}" is not a ticket tracker.` : 'Say where the tickets go with --to.', 'Use --to github, gitlab, jira-cloud or jira-server.');
    }

    const sink = createTicketSink(config);
    if (sink.warning) io.stderr.write(`glasshouse tickets: ${sink.warning}\n`);
    if (!findings.length) {
      io.stderr.write(`glasshouse tickets: ${file} has no open finding at or above ${minSev}; nothing to do.\n`);
      return 0;
    }
    const opts = { grouping: group, recording };
    if (!values.send) {
      const payloads = sink.preview(findings, opts);
      io.stdout.write(`${JSON.stringify(payloads, null, 2)}\n`);
      io.stderr.write(`glasshouse tickets: ${payloads.length} ticket(s) for ${sink.destination} previewed above; add --send to create them.\n`);
      return 0;
    }
    let failed = 0;
    const results = await sink.send(findings, opts, (r) => {
      if (r.outcome === 'failed') failed++;
      io.stderr.write(r.outcome === 'created' ? `created ${r.key ?? ''} ${r.url ?? ''} — ${r.title}\n`
        : r.outcome === 'existing' ? `already filed as ${r.key ?? ''} ${r.url ?? ''} (found via ${r.via}) — ${r.title}\n`
          : `FAILED: ${r.title}: ${r.error}\n`);
    });
    io.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return failed ? 1 : 0;
  },
};

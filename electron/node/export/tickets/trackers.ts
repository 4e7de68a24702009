// GitHub Issues, GitLab issues, Jira Cloud (v3, ADF) and Jira Server/DC (v2, wiki markup) as TrackerAdapters.
import type { Severity } from '../../../common/model';
import { UserInputError } from '../../../common/ipc/errors';
import { toAdf, toMarkdown, toWiki, fitBlocks } from './doc';
import type { HttpResponse } from './http';
import { checkLabels, createSink } from './sink';
import type { SinkCommon, TicketDraft, TicketSink, TrackerAdapter } from './types';

const clip = (s: string, max: number) => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
};

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i;

/**
 * Tokens travel only over https; plain http is allowed to this machine (a local proxy or test server) and nowhere else.
 * Every adapter applies it, so no caller (app, CLI, a future one) can send a token in clear text.
 */
export function checkBaseUrl(raw: string | undefined, what: string): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  let u: URL;
  try { u = new URL(raw.trim()); } catch {
    throw new UserInputError(`"${raw}" is not a web address.`, `Give the ${what} as https://HOST[/path].`);
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.test(u.hostname))) {
    throw new UserInputError(`The ${what} ${u.origin} does not use https, so the token would travel in clear text.`, 'Use its https:// address.');
  }
  if (u.username || u.password) throw new UserInputError(`The ${what} must not contain a user name or password.`, 'Store the token with "Save token" instead.');
  return u.toString().replace(/\/+$/, '');
}

/** The adapter's base URL: checked, without a trailing slash. */
function baseOf(raw: string | undefined, fallback: string, what: string): string {
  return checkBaseUrl(raw ?? fallback, what) ?? fallback;
}

function requireText(v: string | undefined, what: string, hint: string): string {
  if (!v || !v.trim()) throw new UserInputError(`${what} is not set.`, hint);
  return v.trim();
}

// ---------------- GitHub ----------------

export interface GitHubConfig extends SinkCommon {
  kind: 'github';
  /** Default https://api.github.com; GHES: https://HOST/api/v3. */
  baseUrl?: string;
  owner: string;
  repo: string;
  token: string;
  assignees?: string[];
}

export const GITHUB_BODY_MAX = 65_536;
export const GITHUB_LABEL_MAX = 50;

export function githubAdapter(c: GitHubConfig): TrackerAdapter {
  const base = baseOf(c.baseUrl, 'https://api.github.com', 'GitHub server address');
  const owner = requireText(c.owner, 'The GitHub repository owner', 'Pass --github-repo OWNER/REPO.');
  const repo = requireText(c.repo, 'The GitHub repository name', 'Pass --github-repo OWNER/REPO.');
  const token = requireText(c.token, 'The GitHub token', 'Set GLASSHOUSE_GITHUB_TOKEN or store one in the keychain.');
  const extra = checkLabels(c.labels ?? ['security'], GITHUB_LABEL_MAX, 'GitHub');
  const headers = {
    Authorization: `Bearer ${token}`,
    Accept: 'application/vnd.github+json',
    'X-GitHub-Api-Version': '2022-11-28',
    'User-Agent': 'glasshouse',
  };
  const path = `${base}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
  return {
    service: 'GitHub', destination: `github:${owner}/${repo}`, where: `${owner}/${repo}`, minIntervalMs: 1000,
    secretHeaders: ['authorization'],
    buildCreate: (d) => ({
      method: 'POST', url: `${path}/issues`, headers,
      body: {
        title: clip(d.title, 256),
        body: toMarkdown(fitBlocks(d.blocks, d.footer, (b) => toMarkdown(b).length, GITHUB_BODY_MAX)),
        labels: [...new Set([...extra, `severity:${d.severity}`, d.label])],
        ...(c.assignees?.length ? { assignees: c.assignees } : {}),
      },
    }),
    // Listing by label uses no search index and no search quota (integrations.md §1).
    buildSearch: (d) => ({ method: 'GET', url: `${path}/issues?labels=${encodeURIComponent(d.label)}&state=all&per_page=1`, headers }),
    parseSearch: (res) => {
      const first = Array.isArray(res.json) ? (res.json[0] as { number?: number; html_url?: string } | undefined) : undefined;
      return first?.number ? { key: `#${first.number}`, url: first.html_url } : undefined;
    },
    parseCreate: (res) => {
      const j = res.json as { number?: number; html_url?: string };
      return { key: `#${j?.number ?? '?'}`, url: j?.html_url };
    },
  };
}

// ---------------- GitLab ----------------

export interface GitLabConfig extends SinkCommon {
  kind: 'gitlab';
  /** Default https://gitlab.com */
  baseUrl?: string;
  /** Numeric id or "group/project" path. */
  project: string;
  token: string;
  confidential?: boolean;
  assigneeIds?: number[];
}

export const GITLAB_DESCRIPTION_MAX = 1_048_576;

export function gitlabAdapter(c: GitLabConfig): TrackerAdapter {
  const base = baseOf(c.baseUrl, 'https://gitlab.com', 'GitLab server address');
  const project = requireText(String(c.project ?? ''), 'The GitLab project', 'Pass --gitlab-project GROUP/PROJECT or its numeric id.');
  const token = requireText(c.token, 'The GitLab token', 'Set GLASSHOUSE_GITLAB_TOKEN or store one in the keychain.');
  const extra = checkLabels(c.labels ?? ['security'], 255, 'GitLab');
  const headers = { 'PRIVATE-TOKEN': token };
  const path = `${base}/api/v4/projects/${encodeURIComponent(project)}`;
  return {
    service: 'GitLab', destination: `gitlab:${base}/${project}`, where: project, minIntervalMs: 250,
    secretHeaders: ['private-token'],
    buildCreate: (d) => ({
      method: 'POST', url: `${path}/issues`, headers,
      body: {
        title: clip(d.title, 255),
        description: toMarkdown(fitBlocks(d.blocks, d.footer, (b) => toMarkdown(b).length, GITLAB_DESCRIPTION_MAX)),
        // GitLab takes labels as one comma-separated string.
        labels: [...new Set([...extra, `severity:${d.severity}`, d.label])].join(','),
        ...(c.confidential ? { confidential: true } : {}),
        ...(c.assigneeIds?.length ? { assignee_ids: c.assigneeIds } : {}),
      },
    }),
    buildSearch: (d) => ({ method: 'GET', url: `${path}/issues?labels=${encodeURIComponent(d.label)}&state=all&per_page=1`, headers }),
    parseSearch: (res) => {
      const first = Array.isArray(res.json) ? (res.json[0] as { iid?: number; web_url?: string } | undefined) : undefined;
      return first?.iid ? { key: `#${first.iid}`, url: first.web_url } : undefined;
    },
    parseCreate: (res) => {
      const j = res.json as { iid?: number; web_url?: string };
      return { key: `#${j?.iid ?? '?'}`, url: j?.web_url };
    },
  };
}

// ---------------- Jira ----------------

/** Priority schemes vary per project, so the mapping is configurable; these are Jira's defaults. */
export const DEFAULT_JIRA_PRIORITIES: Readonly<Record<Severity, string>> = {
  critical: 'Highest', high: 'High', medium: 'Medium', low: 'Low', info: 'Lowest',
};

interface JiraCommon extends SinkCommon {
  baseUrl: string;
  projectKey: string;
  issueType?: string;
  /** Severity → priority name; `false` leaves priority out (for projects whose screen lacks it). */
  priorities?: Partial<Record<Severity, string>> | false;
}

export interface JiraCloudConfig extends JiraCommon { kind: 'jira-cloud'; email: string; apiToken: string }
export interface JiraServerConfig extends JiraCommon { kind: 'jira-server'; pat: string }

export const JIRA_SUMMARY_MAX = 255;
export const JIRA_DESCRIPTION_MAX = 32_767;

function jql(projectKey: string, label: string): string {
  return `project = "${projectKey.replace(/"/g, '')}" AND labels = "${label}"`;
}

function jiraFields(c: JiraCommon, d: TicketDraft, description: unknown, extra: string[]) {
  const prio = c.priorities === false ? undefined : { ...DEFAULT_JIRA_PRIORITIES, ...(c.priorities ?? {}) }[d.severity];
  return {
    fields: {
      project: { key: c.projectKey },
      issuetype: { name: c.issueType ?? 'Bug' },
      summary: clip(d.title, JIRA_SUMMARY_MAX),
      description,
      labels: [...new Set([...extra, `severity-${d.severity}`, d.label])],
      ...(prio ? { priority: { name: prio } } : {}),
    },
  };
}

function jiraCreated(base: string) {
  return (res: HttpResponse) => {
    const j = res.json as { key?: string };
    return { key: j?.key ?? '?', url: j?.key ? `${base}/browse/${j.key}` : undefined };
  };
}

function jiraFound(base: string) {
  return (res: HttpResponse) => {
    const issues = (res.json as { issues?: Array<{ key?: string }> } | undefined)?.issues;
    const key = issues?.[0]?.key;
    return key ? { key, url: `${base}/browse/${key}` } : undefined;
  };
}

export function jiraCloudAdapter(c: JiraCloudConfig): TrackerAdapter {
  const base = baseOf(requireText(c.baseUrl, 'The Jira site URL', 'Pass --base-url https://SITE.atlassian.net.'), '', 'Jira site address');
  requireText(c.projectKey, 'The Jira project key', 'Pass --jira-project KEY.');
  const email = requireText(c.email, 'The Jira account email', 'Set GLASSHOUSE_JIRA_EMAIL.');
  const token = requireText(c.apiToken, 'The Jira API token', 'Set GLASSHOUSE_JIRA_TOKEN or store one in the keychain.');
  const extra = checkLabels(c.labels ?? ['security'], 255, 'Jira');
  const headers = { Authorization: `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}`, Accept: 'application/json' };
  return {
    service: 'Jira', destination: `jira:${base}/${c.projectKey}`, where: `project ${c.projectKey}`, minIntervalMs: 500,
    secretHeaders: ['authorization'],
    buildCreate: (d) => ({
      method: 'POST', url: `${base}/rest/api/3/issue`, headers,
      body: jiraFields(c, d, toAdf(fitBlocks(d.blocks, d.footer, (b) => JSON.stringify(toAdf(b)).length, JIRA_DESCRIPTION_MAX)), extra),
    }),
    // /rest/api/3/search was removed; search/jql pages by token and needs fields spelled out (integrations.md §2).
    buildSearch: (d) => ({
      method: 'POST', url: `${base}/rest/api/3/search/jql`, headers,
      body: { jql: jql(c.projectKey, d.label), fields: ['key'], maxResults: 1 },
    }),
    parseSearch: jiraFound(base),
    parseCreate: jiraCreated(base),
  };
}

export function jiraServerAdapter(c: JiraServerConfig): TrackerAdapter {
  const base = baseOf(requireText(c.baseUrl, 'The Jira server URL', 'Pass --base-url https://jira.example.com.'), '', 'Jira server address');
  requireText(c.projectKey, 'The Jira project key', 'Pass --jira-project KEY.');
  const pat = requireText(c.pat, 'The Jira personal access token', 'Set GLASSHOUSE_JIRA_TOKEN or store one in the keychain.');
  const extra = checkLabels(c.labels ?? ['security'], 255, 'Jira');
  const headers = { Authorization: `Bearer ${pat}`, Accept: 'application/json' };
  return {
    service: 'Jira', destination: `jira:${base}/${c.projectKey}`, where: `project ${c.projectKey}`, minIntervalMs: 500,
    secretHeaders: ['authorization'],
    buildCreate: (d) => ({
      method: 'POST', url: `${base}/rest/api/2/issue`, headers,
      body: jiraFields(c, d, toWiki(fitBlocks(d.blocks, d.footer, (b) => toWiki(b).length, JIRA_DESCRIPTION_MAX)), extra),
    }),
    buildSearch: (d) => ({
      method: 'GET', url: `${base}/rest/api/2/search?jql=${encodeURIComponent(jql(c.projectKey, d.label))}&fields=key&maxResults=1`, headers,
    }),
    parseSearch: jiraFound(base),
    parseCreate: jiraCreated(base),
  };
}

export type TrackerConfig = GitHubConfig | GitLabConfig | JiraCloudConfig | JiraServerConfig;

/** Builds the ticket sink for a tracker; throws a UserInputError naming the missing setting. */
export function createTicketSink(config: TrackerConfig): TicketSink {
  switch (config.kind) {
    case 'github': return createSink(githubAdapter(config), config);
    case 'gitlab': return createSink(gitlabAdapter(config), config);
    case 'jira-cloud': return createSink(jiraCloudAdapter(config), config);
    case 'jira-server': return createSink(jiraServerAdapter(config), config);
  }
}

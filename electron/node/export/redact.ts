// Removes secrets from evidence before it leaves the machine, and records what kind was removed and where.
import type { Finding } from '../../common/model';
import type { RedactionNote, ReportInput } from './types';

export const REDACTED = '[REDACTED]';

interface Pattern {
  kind: string;
  re: RegExp;
  /** Builds the replacement from the match; keeps the non-secret part (key names, URL host). */
  replace: (m: RegExpExecArray) => string;
}

const mark = (kind: string) => `[REDACTED:${kind}]`;

// Order matters: whole-token patterns run before the generic key=value rule so the kind names the real secret.
const PATTERNS: Pattern[] = [
  {
    kind: 'private-key',
    re: /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g,
    replace: () => mark('private-key'),
  },
  {
    kind: 'authorization-header',
    re: /\b((?:proxy-)?authorization|x-api-key|private-token|x-auth-token|cookie)(\s*[:=]\s*)(?:(bearer|basic|token|digest)\s+)?("[^"]*"|'[^']*'|[^\s"',;]+)/gi,
    replace: (m) => `${m[1]}${m[2]}${m[3] ? `${m[3]} ` : ''}${mark('authorization-header')}`,
  },
  {
    kind: 'url-credentials',
    re: /\b([a-z][a-z0-9+.-]{0,31}:\/\/)([^\s:@/]{1,256}):([^\s@/]{1,1024})@/gi,
    replace: (m) => `${m[1]}${m[2]}:${mark('url-credentials')}@`,
  },
  { kind: 'github-token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g, replace: () => mark('github-token') },
  { kind: 'gitlab-token', re: /\bgl(?:pat|rt|ptt|dt|soat|cbt|imt|ffct)-[A-Za-z0-9_-]{20,}/g, replace: () => mark('gitlab-token') },
  { kind: 'slack-token', re: /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g, replace: () => mark('slack-token') },
  {
    // Incoming webhooks are bearer URLs: the path is the credential, the host stays readable.
    kind: 'webhook-url',
    re: /(\bhttps:\/\/(?:hooks\.slack\.com\/(?:services|workflows|triggers)|(?:canary\.|ptb\.)?discord(?:app)?\.com\/api\/webhooks)\/)([A-Za-z0-9_/-]{16,})/g,
    replace: (m) => `${m[1]}${mark('webhook-url')}`,
  },
  { kind: 'aws-access-key-id', re: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g, replace: () => mark('aws-access-key-id') },
  { kind: 'stripe-key', re: /\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/g, replace: () => mark('stripe-key') },
  { kind: 'anthropic-key', re: /\bsk-ant-[A-Za-z0-9_-]{20,}/g, replace: () => mark('anthropic-key') },
  { kind: 'openai-key', re: /\bsk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|[A-Za-z0-9]{32,})/g, replace: () => mark('openai-key') },
  { kind: 'google-api-key', re: /\bAIza[0-9A-Za-z_-]{35}/g, replace: () => mark('google-api-key') },
  { kind: 'npm-token', re: /\bnpm_[A-Za-z0-9]{36}\b/g, replace: () => mark('npm-token') },
  { kind: 'pypi-token', re: /\bpypi-[A-Za-z0-9_-]{50,}/g, replace: () => mark('pypi-token') },
  { kind: 'docker-token', re: /\bdckr_(?:pat|oat)_[A-Za-z0-9_-]{20,}/g, replace: () => mark('docker-token') },
  { kind: 'vault-token', re: /\bhv[sbr]\.[A-Za-z0-9_-]{24,}/g, replace: () => mark('vault-token') },
  { kind: 'sendgrid-key', re: /\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}/g, replace: () => mark('sendgrid-key') },
  { kind: 'huggingface-token', re: /\bhf_[A-Za-z0-9]{30,}\b/g, replace: () => mark('huggingface-token') },
  { kind: 'shopify-token', re: /\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b/g, replace: () => mark('shopify-token') },
  { kind: 'digitalocean-token', re: /\bdo[por]_v1_[a-f0-9]{64}\b/g, replace: () => mark('digitalocean-token') },
  { kind: 'age-secret-key', re: /\bAGE-SECRET-KEY-1[0-9A-Z]{58}\b/g, replace: () => mark('age-secret-key') },
  {
    // Azure storage / Service Bus connection strings: AccountKey=…; SharedAccessKey=…
    kind: 'azure-key',
    re: /\b((?:AccountKey|SharedAccessKey|SharedAccessSignature)=)([^;\s"']+)/g,
    replace: (m) => `${m[1]}${mark('azure-key')}`,
  },
  {
    kind: 'jwt',
    re: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g,
    replace: () => mark('jwt'),
  },
  // Tools that take a password as an option of their own: the user name (and everything else) stays.
  {
    kind: 'credential-argument',
    re: /(\bcurl\b[^\n]{0,400}?\s(?:-u|--user)(?:\s+|=)[^\s:'"]+:)([^\s'"]+)/g,
    replace: (m) => `${m[1]}${mark('credential-argument')}`,
  },
  { kind: 'credential-argument', re: /(\bsshpass\b[^\n]{0,400}?\s-p\s*)([^\s]+)/g, replace: (m) => `${m[1]}${mark('credential-argument')}` },
  { kind: 'credential-argument', re: /(\bredis-cli\b[^\n]{0,400}?\s-a\s+)([^\s]+)/g, replace: (m) => `${m[1]}${mark('credential-argument')}` },
  {
    kind: 'credential-argument',
    re: /(\bhtpasswd(?:\s+-[A-Za-z]+)*?\s+-[A-Za-z]*b[A-Za-z]*(?:\s+-[A-Za-z]+)*\s+\S+\s+\S+\s+)([^\s]+)/g,
    replace: (m) => `${m[1]}${mark('credential-argument')}`,
  },
  { kind: 'credential-argument', re: /(\b(?:aws_secret_access_key|aws_session_token)\s+)([^\s=]+)/gi, replace: (m) => `${m[1]}${mark('credential-argument')}` },
  {
    // --password=x, --password x, --api-key x, --client-secret=x; not --password-file PATH (a path is not the secret).
    kind: 'credential-argument',
    re: /(--?(?:[a-z0-9]{1,40}[_-]){0,8}(?:passw(?:or)?d|passwd|passphrase|pass|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)(?:[_-][a-z0-9_-]{0,80})?)(?<![_-](?:file|path|dir|stdin))(=|\s+)("[^"]*"|'[^']*'|[^\s"']+)/gi,
    replace: (m) => `${m[1]}${m[2]}${mark('credential-argument')}`,
  },
  {
    // PASSWORD=x, DB_PASSWORD=x, client_secret: x, {"password": "x y"}, libpq password=x; not PWD=/app (the working
    // directory), TOKENIZERS_…, or a key that names where a secret is (…_FILE, …_PATH) or how long it is.
    kind: 'credential-assignment',
    re: /(?<![A-Za-z0-9?&])(?!(?:OLD)?PWD\b)((?:[A-Za-z0-9]{1,40}[_.-]){0,8}[A-Za-z0-9]{0,40}?(?:PASSW(?:OR)?D|PASSWD|PWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|AUTH_?KEY)(?:[_.-][A-Za-z0-9]{1,40}){0,8})(?<![_.-](?:FILE|PATH|DIR|COUNT|LENGTH|LEN|TYPE|TTL|URL|URI))("?\s*[:=]\s*)("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s"',;&]+)/gi,
    replace: (m) => `${m[1]}${m[2]}${/^["']/.test(m[3]) ? `${m[3][0]}${mark('credential-assignment')}${m[3][0]}` : mark('credential-assignment')}`,
  },
  {
    // mysql -pSECRET / mysqladmin -pSECRET: the password glued to -p.
    kind: 'credential-argument',
    re: /(\b(?:mysql|mysqldump|mysqladmin|mariadb)\b[^\n]{0,400}?\s-p)([^\s-][^\s]*)/g,
    replace: (m) => `${m[1]}${mark('credential-argument')}`,
  },
  {
    kind: 'url-token-parameter',
    re: /([?&](?:access_token|token|api_key|apikey|key|sig|signature|password|secret|X-Amz-Signature|X-Amz-Credential)=)([^&\s#"']+)/gi,
    replace: (m) => `${m[1]}${mark('url-token-parameter')}`,
  },
];

/** Evidence keys that name a secret (password, apiKey, client_secret …): their values go whatever they look like. */
const SECRET_KEY = /^(?!(?:old)?pwd$)(?:[a-z0-9]+[_.-])*[a-z0-9]*?(?:passw(?:or)?d|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?|auth[_-]?key|authorization|cookie)(?:[_.-][a-z0-9]+)*$/i;
const NOT_SECRET_KEY = /[_.-](?:file|path|dir|count|length|len|type|ttl|url|uri|id)$/i;

export interface RedactedString {
  value: string;
  kinds: Record<string, number>;
}

/** Redacts every known secret shape from one string. Already-redacted markers are left alone. */
export function redactString(input: string): RedactedString {
  const kinds: Record<string, number> = {};
  let value = input;
  for (const p of PATTERNS) {
    p.re.lastIndex = 0;
    value = value.replace(p.re, (...args) => {
      const groups = args.slice(0, -2).filter((a) => typeof a === 'string' || a === undefined) as string[];
      const whole = groups[0];
      // A marker produced by an earlier pattern is not a secret (e.g. TOKEN=[REDACTED:github-token]).
      const secretPart = groups[groups.length - 1] ?? whole;
      if (/^\[REDACTED(?::[a-z-]+)?\]$/.test(secretPart) || /^"?\[REDACTED/.test(secretPart)) return whole;
      const m = Object.assign(groups.slice(), { index: 0, input: value }) as unknown as RegExpExecArray;
      kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;
      return p.replace(m);
    });
  }
  return { value, kinds };
}

/** Keys whose values are whole environments: every value is redacted, names are kept. */
const ENV_KEYS = new Set(['env', 'environ', 'environment', 'envp']);

class Redactor {
  readonly notes = new Map<string, RedactionNote>();

  private note(kind: string, where: string, count: number) {
    const key = `${kind}\u0000${where}`;
    const n = this.notes.get(key);
    if (n) n.count += count;
    else this.notes.set(key, { kind, where, count });
  }

  str(s: string, where: string): string {
    const r = redactString(s);
    for (const [kind, count] of Object.entries(r.kinds)) this.note(kind, where, count);
    return r.value;
  }

  /** An environment: "NAME=value" strings or a name → value record. Values go, names stay. */
  env(v: unknown, where: string): unknown {
    if (Array.isArray(v)) {
      return v.map((e, i) => {
        if (typeof e !== 'string') return this.any(e, `${where}[${i}]`);
        const eq = e.indexOf('=');
        if (eq < 0 || eq === e.length - 1) return e;
        this.note('environment-value', `${where}[${i}]`, 1);
        return `${e.slice(0, eq)}=${mark('environment-value')}`;
      });
    }
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        if (val === '' || val === null || val === undefined) { out[k] = val; continue; }
        this.note('environment-value', `${where}.${k}`, 1);
        out[k] = mark('environment-value');
      }
      return out;
    }
    return typeof v === 'string' ? this.str(v, where) : v;
  }

  any(v: unknown, where: string): unknown {
    if (typeof v === 'string') return this.str(v, where);
    if (Array.isArray(v)) {
      // argv arrays: a flag and its value sit in separate elements, so also check the joined line.
      if (v.every((x) => typeof x === 'string') && v.length > 1) return this.argv(v as string[], where);
      return v.map((x, i) => this.any(x, `${where}[${i}]`));
    }
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        if (ENV_KEYS.has(k.toLowerCase())) out[k] = this.env(val, `${where}.${k}`);
        else if (k.length <= 200 && SECRET_KEY.test(k) && !NOT_SECRET_KEY.test(k) && (typeof val === 'string' || typeof val === 'number') && val !== ''
          && !/^\[REDACTED/.test(String(val))) {
          this.note('secret-field', `${where}.${k}`, 1);
          out[k] = mark('secret-field');
        } else out[k] = this.any(val, `${where}.${k}`);
      }
      return out;
    }
    return v;
  }

  /** Redacts an argv, including secrets split across elements ("--password", "hunter2"). */
  argv(argv: string[], where: string): string[] {
    const out = argv.map((a, i) => this.str(a, `${where}[${i}]`));
    // The program name gives options their meaning (sshpass -p, redis-cli -a, curl -u), so it leads each pair.
    const prog = (argv[0] ?? '').split('/').pop() ?? '';
    for (let i = 0; i + 1 < out.length; i++) {
      const head = i > 0 && prog ? `${prog} ${out[i]}` : out[i];
      const pair = redactString(`${head} ${out[i + 1]}`);
      if (Object.keys(pair.kinds).length === 0) continue;
      const sp = pair.value.indexOf(' ', head.length);
      // Only the second element changed when the flag is intact: keep element boundaries.
      if (pair.value.slice(0, head.length) === head && sp === head.length) {
        out[i + 1] = pair.value.slice(sp + 1);
        for (const [kind, count] of Object.entries(pair.kinds)) this.note(kind, `${where}[${i + 1}]`, count);
      }
    }
    return out;
  }
}

/** Returns a copy of the report input with secrets removed and `redactions` filled in. The input is not changed. */
export function redactReportInput(input: ReportInput): ReportInput {
  const r = new Redactor();
  const findings = input.findings.map((f, i) => {
    const w = `findings[${i}]`;
    return {
      ...f,
      title: r.str(f.title, `${w}.title`),
      why: r.str(f.why, `${w}.why`),
      fix: r.str(f.fix, `${w}.fix`),
      evidence: r.any(f.evidence, `${w}.evidence`) as typeof f.evidence,
    };
  });
  const processes = input.processes?.map((p, i) => ({
    ...p,
    argv: r.argv(p.argv, `processes[${i}].argv`),
    cwd: p.cwd === undefined ? undefined : r.str(p.cwd, `processes[${i}].cwd`),
    lineage: p.lineage.map((l, j) => ({ ...l, argv: r.argv(l.argv, `processes[${i}].lineage[${j}].argv`) })),
  }));
  const flows = input.flows?.map((f, i) => ({
    ...f,
    dnsName: f.dnsName === undefined ? undefined : r.str(f.dnsName, `flows[${i}].dnsName`),
  }));
  const recording = {
    ...input.recording,
    command: input.recording.command ? r.argv(input.recording.command, 'recording.command') : undefined,
  };
  // The key holds the path too: a secret in a file name must leave both.
  const fileChanges = input.fileChanges?.map((c, i) => ({
    ...c,
    key: typeof c.key === 'string' ? r.str(c.key, `fileChanges[${i}].key`) : c.key,
    path: r.str(c.path, `fileChanges[${i}].path`),
    ...(c.renamedFrom !== undefined ? { renamedFrom: r.str(c.renamedFrom, `fileChanges[${i}].renamedFrom`) } : {}),
  }));
  return {
    ...input,
    findings,
    processes,
    flows,
    fileChanges,
    recording,
    redactions: [...(input.redactions ?? []), ...r.notes.values()],
  };
}

/** One line per kind for a summary ("2 × github-token, 1 × environment-value"). */
export function summarizeRedactions(notes: RedactionNote[] | undefined): string {
  if (!notes?.length) return 'No secrets were found in the evidence.';
  const byKind = new Map<string, number>();
  for (const n of notes) byKind.set(n.kind, (byKind.get(n.kind) ?? 0) + n.count);
  const parts = [...byKind].sort((a, b) => b[1] - a[1]).map(([k, c]) => `${c} × ${k}`);
  return `Redacted before export: ${parts.join(', ')}.`;
}

/** Redacts findings on their way into tickets; the notes say what was removed. */
export function redactFindings(findings: Finding[]): { findings: Finding[]; redactions: RedactionNote[] } {
  const out = redactReportInput({ findings, containers: [], recording: { startedAt: 0, toolVersion: '' } });
  return { findings: out.findings, redactions: out.redactions ?? [] };
}

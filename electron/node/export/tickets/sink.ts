// The shared ticket sink: grouping, local-map dedupe with remote fallback, serial paced creation, payload preview.
import type { Finding, Severity } from '../../../common/model';
import { SEVERITY_RANK } from '../../../common/model';
import { UserInputError } from '../../../common/ipc/errors';
import { createHash } from 'node:crypto';
import { fingerprintLabel, fp12, sortFindings } from '../shared';
import { redactFindings, summarizeRedactions } from '../redact';
import type { RedactionNote } from '../types';
import { findingBlocks, footerBlocks, type Block } from './doc';
import { requestJson, trackerError } from './http';
import { TicketMap } from './ticketMap';
import type {
  SinkCommon, TicketDraft, TicketOptions, TicketPayload, TicketResult, TicketSink, TrackerAdapter,
} from './types';

function worst(findings: Finding[]): Severity {
  return findings.reduce<Severity>((w, f) => (SEVERITY_RANK[f.severity] > SEVERITY_RANK[w] ? f.severity : w), 'info');
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Group fingerprints leave out run-specific ids so the same container maps to the same ticket run after run. */
export function groupFingerprint(kind: 'container' | 'recording', key: string): string {
  return sha256(`glasshouse-${kind}|${key}`);
}

/** Tickets leave the machine, so evidence is always redacted first (the redaction kinds are listed in the body). */
export function planTickets(findings: Finding[], opts: TicketOptions = {}): TicketDraft[] {
  const sorted = sortFindings(findings);
  const grouping = opts.grouping ?? 'finding';
  if (grouping === 'finding') {
    return sorted.map((orig) => {
      const { findings: [f], redactions } = redactFindings([orig]);
      return {
        fingerprint: f.fingerprint,
        label: fingerprintLabel(f.fingerprint),
        severity: f.severity,
        // Runtime titles often name the container already ("… in web-1"): say it once.
        title: `[${f.severity.toUpperCase()}] ${f.title}${f.title.includes(f.container.name) ? '' : ` in container ${f.container.name}`} (${f.container.image})`,
        findings: [f],
        blocks: findingBlocks(f, 3),
        footer: [...redactionBlocks(redactions), ...footerBlocks(f.fingerprint, opts.recording)],
      };
    });
  }
  const groups = new Map<string, { name: string; findings: Finding[] }>();
  for (const f of sorted) {
    const key = grouping === 'container'
      ? `${f.container.name}|${f.container.image}`
      : (opts.recording?.id ?? opts.recording?.name ?? String(opts.recording?.startedAt ?? 'recording'));
    const name = grouping === 'container'
      ? `container ${f.container.name} (${f.container.image})`
      : `recording ${opts.recording?.name ?? opts.recording?.id ?? 'unnamed'}`;
    const g = groups.get(key) ?? { name, findings: [] };
    g.findings.push(f);
    groups.set(key, g);
  }
  return [...groups].map(([key, group]) => {
    const { findings: redacted, redactions } = redactFindings(group.findings);
    const g = { ...group, findings: redacted };
    const fingerprint = groupFingerprint(grouping, key);
    const sev = worst(g.findings);
    const summary: Block = {
      type: 'list',
      items: g.findings.map((f) => [{ text: `[${f.severity.toUpperCase()}] `, strong: true }, { text: `${f.title} — ` }, { text: f.ruleId, code: true }]),
    };
    const blocks: Block[] = [{ type: 'heading', level: 3, text: `${g.findings.length} findings` }, summary];
    g.findings.forEach((f, i) => {
      blocks.push({ type: 'heading', level: 3, text: `${i + 1}. [${f.severity.toUpperCase()}] ${f.title}` });
      blocks.push(...findingBlocks(f, 4));
      blocks.push({ type: 'para', content: [{ text: 'Finding fingerprint: ' }, { text: fingerprintLabel(f.fingerprint), code: true }] });
    });
    return {
      fingerprint,
      label: fingerprintLabel(fingerprint),
      severity: sev,
      title: `[${sev.toUpperCase()}] ${g.findings.length} Glasshouse finding${g.findings.length === 1 ? '' : 's'} in ${g.name}`,
      findings: g.findings,
      blocks,
      footer: [...redactionBlocks(redactions), ...footerBlocks(fingerprint, opts.recording)],
    };
  });
}

function redactionBlocks(notes: RedactionNote[]): Block[] {
  return notes.length ? [{ type: 'para', content: [{ text: summarizeRedactions(notes) }] }] : [];
}

/** Tracker labels: no whitespace, at most `max` chars; a bad user label is an input error, not a 400 later. */
export function checkLabels(labels: string[], max: number, service: string): string[] {
  for (const l of labels) {
    if (!l || /\s/.test(l) || l.length > max || l.includes(',')) {
      throw new UserInputError(`The label "${l}" cannot be used on ${service}.`,
        `Labels must be 1–${max} characters without spaces or commas, e.g. "security" or "severity:high".`);
    }
  }
  return labels;
}

function mask(headers: Record<string, string>, secret: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (!secret.includes(k.toLowerCase())) { out[k] = v; continue; }
    const scheme = /^(Bearer|Basic|token)\s/i.exec(v)?.[1];
    out[k] = scheme ? `${scheme} ***` : '***';
  }
  return out;
}

export function createSink(adapter: TrackerAdapter, common: SinkCommon): TicketSink {
  const map = new TicketMap(common.mapDir);
  const interval = common.minIntervalMs ?? adapter.minIntervalMs;
  const sleep = common.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const toPayload = (d: TicketDraft): TicketPayload => {
    const req = adapter.buildCreate(d);
    return {
      fingerprint: d.fingerprint, label: d.label, title: d.title, findingCount: d.findings.length,
      method: 'POST', url: req.url, headers: mask(req.headers, adapter.secretHeaders), body: req.body,
    };
  };
  return {
    destination: adapter.destination,
    service: adapter.service,
    warning: map.warning,
    preview: (findings, opts) => planTickets(findings, opts).map(toPayload),
    async send(findings, opts, onResult) {
      const results: TicketResult[] = [];
      let lastCreate = 0;
      const emit = (r: TicketResult) => { results.push(r); onResult?.(r); };
      for (const d of planTickets(findings, opts)) {
        const base = { fingerprint: d.fingerprint, label: d.label, title: d.title };
        const short = fp12(d.fingerprint);
        const known = map.get(adapter.destination, short);
        if (known) { emit({ ...base, outcome: 'existing', key: known.key, url: known.url, via: 'local-map' }); continue; }
        try {
          if (common.remoteDedupe !== false) {
            const res = await requestJson(adapter.service, adapter.buildSearch(d), common);
            if (res.status >= 400) throw trackerError(adapter.service, adapter.where, 'search for existing tickets', res);
            const found = adapter.parseSearch(res);
            if (found) {
              map.set(adapter.destination, short, { ...found, fingerprint: d.fingerprint, createdAt: Date.now() });
              emit({ ...base, outcome: 'existing', ...found, via: 'remote-search' });
              continue;
            }
          }
          const wait = lastCreate + interval - Date.now();
          if (lastCreate && wait > 0) await sleep(wait);
          // Paced from the end of the previous creation, so even a slow response never bunches requests.
          const res = await requestJson(adapter.service, adapter.buildCreate(d), common).finally(() => { lastCreate = Date.now(); });
          if (res.status < 200 || res.status >= 300) throw trackerError(adapter.service, adapter.where, 'create a ticket', res);
          const made = adapter.parseCreate(res);
          map.set(adapter.destination, short, { ...made, fingerprint: d.fingerprint, createdAt: Date.now() });
          emit({ ...base, outcome: 'created', ...made });
        } catch (e) {
          emit({ ...base, outcome: 'failed', error: e instanceof Error ? e.message + ((e as { hint?: string }).hint ? ` ${(e as { hint?: string }).hint}` : '') : String(e) });
          // Rate limits and auth failures will hit every remaining ticket too: stop instead of hammering.
          if ((e as { code?: string }).code === 'rate-limited' || /http-40[13]/.test((e as { code?: string }).code ?? '')) break;
        }
      }
      return results;
    },
  };
}

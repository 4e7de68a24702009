// SARIF 2.1.0 report with GitHub code-scanning extras (integrations.md §5): rule help, security-severity, fingerprints.
import type { Finding, Severity } from '../../common/model';
import { SEVERITY_RANK } from '../../common/model';
import type { ReportInput, ReportSink, RuleInfo } from './types';
import {
  SARIF_LEVEL, SECURITY_SEVERITY, ancestryLine, evidenceKey, fp12, iso, locationKey, mitreUrl, sortFindings,
} from './shared';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
/** GitHub: results of a new upload replace earlier ones with the same tool + category. */
export const SARIF_CATEGORY = 'glasshouse-runtime';

const FULL_DESCRIPTION_MAX = 1024;

function sentence(s: string): string {
  const t = s.trim().replace(/\s+/g, ' ');
  if (!t) return t;
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function worst(findings: Finding[]): Severity {
  return findings.reduce<Severity>((w, f) => (SEVERITY_RANK[f.severity] > SEVERITY_RANK[w] ? f.severity : w), 'info');
}

function ruleDescriptor(id: string, findings: Finding[], info: RuleInfo | undefined) {
  const first = findings[0];
  const sev = worst(findings);
  const mitre = [...new Set(findings.flatMap((f) => f.mitre))];
  const helpUri = mitre.map(mitreUrl).find((u): u is string => !!u);
  const name = info?.name ?? first.title;
  const why = info?.description ?? first.why ?? name;
  const fix = info?.help ?? first.fix;
  const helpText = sentence(fix || 'Review the evidence and decide whether this behaviour is expected.');
  const mitreText = mitre.length ? ` MITRE ATT&CK: ${mitre.join(', ')}.` : '';
  return {
    id,
    name: toPascal(name),
    shortDescription: { text: sentence(clip(name, 200)) },
    fullDescription: { text: sentence(clip(why || name, FULL_DESCRIPTION_MAX - 1)) },
    help: {
      text: helpText + mitreText,
      markdown: `**Fix:** ${helpText}${mitre.length ? `\n\n**MITRE ATT&CK:** ${mitre.map((t) => (mitreUrl(t) ? `[${t}](${mitreUrl(t)})` : t)).join(', ')}` : ''}`,
    },
    ...(helpUri ? { helpUri } : {}),
    defaultConfiguration: { level: SARIF_LEVEL[sev] },
    properties: {
      tags: [
        'security',
        first.source,
        ...mitre.map((t) => `external/mitre/${t}`),
        ...(info?.tags ?? []),
      ].filter((t, i, a) => a.indexOf(t) === i).slice(0, 20),
      precision: first.source === 'posture' ? 'very-high' : 'high',
      'security-severity': SECURITY_SEVERITY[sev],
    },
  };
}

/** SARIF rule names are identifiers by convention (SARIF2012); titles are prose. */
function toPascal(s: string): string {
  const words = s.replace(/[^A-Za-z0-9]+/g, ' ').trim().split(' ').filter((w) => w.length > 1 || /\d/.test(w));
  const out = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  return /^[A-Za-z]/.test(out) ? out : `Rule${out}`;
}

function resultMessage(f: Finding): string {
  const parts = [f.title.trim().replace(/[.]$/, '')];
  parts.push(`in container ${f.container.name} (${f.container.image})`);
  const key = evidenceKey(f);
  if (key) parts.push(`— ${key}`);
  if (f.count > 1) parts.push(`(seen ${f.count} times)`);
  return sentence(parts.join(' '));
}

export function renderSarif(input: ReportInput): string {
  const findings = sortFindings(input.findings);
  const byRule = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = byRule.get(f.ruleId) ?? [];
    list.push(f);
    byRule.set(f.ruleId, list);
  }
  const ruleIds = [...byRule.keys()].sort();
  const infoById = new Map((input.rules ?? []).map((r) => [r.id, r]));
  const rules = ruleIds.map((id) => ruleDescriptor(id, byRule.get(id)!, infoById.get(id)));
  const ruleIndex = new Map(ruleIds.map((id, i) => [id, i]));
  const host = input.recording.host ?? 'localhost';

  const results = findings.map((f) => {
    const loc = locationKey(f).map((k) => input.sourceLocations?.[k]).find((l) => !!l);
    const logical = [{
      name: f.container.name,
      fullyQualifiedName: `docker://${host}/containers/${f.container.name}`,
      kind: 'resource',
    }];
    const location = loc
      ? {
          physicalLocation: {
            artifactLocation: { uri: loc.uri, uriBaseId: 'SRCROOT' },
            region: { startLine: Math.max(1, Math.floor(loc.startLine)) },
          },
          logicalLocations: logical,
        }
      : { logicalLocations: logical };
    const ancestry = f.evidence.ancestry?.map((a) => `${a.exe} (${a.pid})`);
    return {
      ruleId: f.ruleId,
      ruleIndex: ruleIndex.get(f.ruleId)!,
      level: SARIF_LEVEL[f.severity],
      message: { text: resultMessage(f) },
      locations: [location],
      // GitHub reads only primaryLocationLineHash; occurrence ":1" because one fingerprint is one alert.
      partialFingerprints: { primaryLocationLineHash: `${fp12(f.fingerprint)}:1` },
      fingerprints: { 'glasshouse/v1': f.fingerprint },
      ...(f.count > 1 ? { occurrenceCount: f.count } : {}),
      ...(f.status !== 'open'
        ? { suppressions: [{ kind: 'external', status: 'accepted', justification: f.status === 'expected' ? 'Marked expected in Glasshouse.' : 'Marked false positive in Glasshouse.' }] }
        : {}),
      properties: {
        'security-severity': SECURITY_SEVERITY[f.severity],
        severity: f.severity,
        source: f.source,
        container: f.container.name,
        containerId: f.container.id,
        image: f.container.imageDigest ? `${f.container.image}@${f.container.imageDigest}` : f.container.image,
        ...(f.composeProject ? { composeProject: f.composeProject } : {}),
        ...(f.composeService ? { composeService: f.composeService } : {}),
        ...(ancestry ? { processTree: ancestry, ancestry: ancestryLine(f) } : {}),
        ...(f.evidence.path ? { path: f.evidence.path } : {}),
        ...(f.evidence.endpoint ? { endpoint: f.evidence.endpoint } : {}),
        ...(f.evidence.output ? { output: f.evidence.output } : {}),
        ...(f.evidence.field ? { field: f.evidence.field, value: f.evidence.value ?? '' } : {}),
        mitre: f.mitre,
        fix: f.fix,
        firstSeen: iso(f.first),
        lastSeen: iso(f.last),
      },
    };
  });

  const notifications = lossNotifications(input);
  const run = {
    tool: {
      driver: {
        name: 'glasshouse',
        fullName: 'Glasshouse container runtime analysis',
        semanticVersion: input.recording.toolVersion,
        version: input.recording.toolVersion,
        ...(input.recording.toolInformationUri ? { informationUri: input.recording.toolInformationUri } : {}),
        rules,
      },
    },
    automationDetails: {
      id: `${SARIF_CATEGORY}/${input.recording.id ?? iso(input.recording.startedAt)}`,
      description: { text: 'Runtime behaviour of containers recorded by Glasshouse.' },
    },
    invocations: [{
      executionSuccessful: true,
      ...(input.recording.startedAt ? { startTimeUtc: iso(input.recording.startedAt) } : {}),
      ...(input.recording.endedAt ? { endTimeUtc: iso(input.recording.endedAt) } : {}),
      ...(notifications.length ? { toolExecutionNotifications: notifications } : {}),
    }],
    columnKind: 'utf16CodeUnits',
    results,
    properties: {
      containers: input.containers.map((c) => ({ id: c.id, name: c.name, image: c.image })),
      ...(input.loss ? { sensorLoss: input.loss } : {}),
      redactions: input.redactions ?? [],
    },
  };
  return `${JSON.stringify({ $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [run] }, null, 2)}\n`;
}

function lossNotifications(input: ReportInput) {
  const l = input.loss;
  if (!l) return [];
  const out: Array<{ level: 'warning'; message: { text: string }; descriptor: { id: string } }> = [];
  const add = (id: string, text: string) => out.push({ level: 'warning', message: { text }, descriptor: { id } });
  if (l.ringDrops) add('GH-LOSS-RING', `${l.ringDrops} events were dropped in the kernel ring buffer; some behaviour may be missing.`);
  if (l.queueDrops) add('GH-LOSS-QUEUE', `${l.queueDrops} events were dropped in the engine queue; some behaviour may be missing.`);
  if (l.corruptFrames) add('GH-LOSS-CORRUPT', `${l.corruptFrames} corrupt frames from the sensor were skipped.`);
  if (l.unsupportedKinds.length) {
    add('GH-LOSS-UNSUPPORTED', l.observedBy
      ? `Observed by ${l.observedBy}, which cannot see these event kinds: ${l.unsupportedKinds.join(', ')}.`
      : `These event kinds cannot be observed on this kernel: ${l.unsupportedKinds.join(', ')}.`);
  }
  if (l.gaps.length) add('GH-LOSS-GAP', `The sensor was not running for ${l.gaps.length} interval(s) of the recording.`);
  return out;
}

export const sarifSink: ReportSink = {
  format: 'sarif', extension: '.sarif', mediaType: 'application/sarif+json', render: renderSarif,
};

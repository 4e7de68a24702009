// Findings read from a recording file are checked against the model before any exporter sees them: a crafted file
// may hold any text in any column, and a severity such as `<meta http-equiv=refresh …>` must never reach a report.
import { z } from 'zod';
import { SEVERITIES, type Finding } from '../../common/model';

const text = z.string().max(1 << 20);
const ms = z.number().finite().nonnegative();

/** The Finding model as a schema: enums are closed, ids and counts have their shapes; evidence events stay open records. */
const findingSchema = z.object({
  fingerprint: z.string().regex(/^[0-9a-f]{12,64}$/, 'is not a hex fingerprint'),
  ruleId: z.string().min(1).max(300),
  title: text,
  source: z.enum(['runtime', 'posture', 'policy']),
  severity: z.enum(SEVERITIES),
  mitre: z.array(z.string().regex(/^[A-Za-z0-9._-]{1,40}$/, 'is not an ATT&CK id')).max(100),
  why: text,
  fix: text,
  container: z.object({ id: z.string().max(200), name: z.string().max(500), image: z.string().max(1000), imageDigest: z.string().max(200).optional() }).passthrough(),
  composeProject: z.string().max(500).optional(),
  composeService: z.string().max(500).optional(),
  evidence: z.object({
    events: z.array(z.record(z.string(), z.unknown())),
    ancestry: z.array(z.object({ pid: z.number().int(), exe: text, cmdline: text }).passthrough()).optional(),
    path: text.optional(),
    endpoint: text.optional(),
    output: text.optional(),
    field: text.optional(),
    value: text.optional(),
  }).passthrough(),
  count: z.number().int().nonnegative(),
  first: ms,
  last: ms,
  status: z.enum(['open', 'expected', 'false-positive']),
}).passthrough();

const shown = (v: unknown) => JSON.stringify(v)?.slice(0, 80) ?? String(v);

/**
 * Keeps the findings that match the model and names each one that does not (which finding, which field, what it held),
 * so nothing is dropped silently and nothing unchecked travels on.
 */
export function checkFindings(raw: readonly unknown[], where = 'the recording'): { findings: Finding[]; rejected: string[] } {
  const findings: Finding[] = [];
  const rejected: string[] = [];
  raw.forEach((f, i) => {
    const r = findingSchema.safeParse(f);
    if (r.success) { findings.push(r.data as unknown as Finding); return; }
    const issue = r.error.issues[0];
    const field = issue.path.map(String).join('.') || 'finding';
    let held: unknown = f;
    for (const k of issue.path) held = (held as Record<PropertyKey, unknown> | undefined)?.[k];
    const rule = (f as { ruleId?: unknown } | undefined)?.ruleId;
    rejected.push(`finding ${i + 1}${typeof rule === 'string' ? ` (rule ${shown(rule)})` : ''} in ${where}: ${field} ${shown(held)} is not valid (${issue.message})`);
  });
  return { findings, rejected };
}

/** One sentence for the skipped findings, or undefined when there are none. */
export function rejectedSentence(rejected: readonly string[]): string | undefined {
  if (!rejected.length) return undefined;
  return `${rejected.length} finding${rejected.length === 1 ? '' : 's'} left out because the file does not match the Glasshouse model: ${rejected.slice(0, 5).join('; ')}${rejected.length > 5 ? `; and ${rejected.length - 5} more` : ''}.`;
}

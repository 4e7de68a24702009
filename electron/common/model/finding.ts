// Findings: what a rule or posture check concluded, with the evidence behind it.

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Higher is worse; for sorting and `--fail-on` thresholds. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

export type FindingStatus = 'open' | 'expected' | 'false-positive';
export type FindingSource = 'runtime' | 'posture' | 'policy';

export interface Evidence {
  /** Events (as stored) that triggered or repeated the finding, capped. */
  events: Array<Record<string, unknown>>;
  /** Ancestry of the acting process, outermost first: "containerd-shim → nginx → sh". */
  ancestry?: Array<{ pid: number; exe: string; cmdline: string }>;
  path?: string;
  endpoint?: string;
  /** The key of the file change the evidence is about (the state tables' `FileChange.key`), when there is one. */
  fileKey?: string;
  /** The key of the flow the evidence is about (the state tables' `Flow.key`), when there is one. */
  flowKey?: string;
  /** Rendered rule output string. */
  output?: string;
  /** For posture checks: the inspect field and its value. */
  field?: string;
  value?: string;
}

export interface Finding {
  /** Stable fingerprint (sha256 hex) — see shared/reference/integrations.md §0. */
  fingerprint: string;
  ruleId: string;
  title: string;
  source: FindingSource;
  severity: Severity;
  mitre: string[];
  why: string;
  fix: string;
  container: { id: string; name: string; image: string; imageDigest?: string };
  composeProject?: string;
  composeService?: string;
  evidence: Evidence;
  count: number;
  first: number;
  last: number;
  status: FindingStatus;
}

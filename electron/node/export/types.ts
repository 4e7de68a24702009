// The one interface every exporter implements: a report input in, a rendered report or exact ticket payloads out.
import type { ContainerRef, ContainerSummary, Finding, Flow, ProcessNode, FileChange } from '../../common/model';

export const REPORT_FORMATS = ['sarif', 'json', 'md', 'html', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/** What a recording was: enough to say where the findings came from, never enough to identify a secret. */
export interface RecordingMeta {
  id?: string;
  name?: string;
  /** ms epoch */
  startedAt: number;
  endedAt?: number;
  host?: string;
  /** The command `glasshouse scan` ran, if any (argv). Redacted before rendering. */
  command?: string[];
  /** Glasshouse version that produced the findings. */
  toolVersion: string;
  /** Where readers learn about the tool (SARIF driver.informationUri); left out when not configured. */
  toolInformationUri?: string;
  /** Version of the rule pack, when known. */
  rulesVersion?: string;
}

/** Counters that say how complete a recording is; a report never looks complete when it is not. */
export interface SensorLoss {
  ringDrops: number;
  queueDrops: number;
  corruptFrames: number;
  unsupportedKinds: string[];
  /** Helper gaps, each [startTs, endTs] in ms epoch. */
  gaps: Array<[number, number]>;
  /** What observed the containers when it was not the eBPF sensor (e.g. "docker top polling"). */
  observedBy?: string;
}

/** Descriptive text for a rule, when the rules engine can supply it (falls back to the finding's own text). */
export interface RuleInfo {
  id: string;
  name?: string;
  description?: string;
  help?: string;
  tags?: string[];
}

/** A file location in the user's repository (compose file or Dockerfile line) that a container came from. */
export interface SourceLocation {
  /** Repository-relative path with forward slashes, e.g. "deploy/compose.yaml". */
  uri: string;
  startLine: number;
}

/** One thing a redaction removed: what kind of secret, and where it sat (never the value). */
export interface RedactionNote {
  kind: string;
  /** JSON-path-like location, e.g. "findings[2].evidence.ancestry[1].cmdline". */
  where: string;
  count: number;
}

export interface ReportInput {
  findings: Finding[];
  containers: Array<ContainerRef | ContainerSummary>;
  processes?: ProcessNode[];
  flows?: Flow[];
  fileChanges?: FileChange[];
  recording: RecordingMeta;
  loss?: SensorLoss;
  rules?: RuleInfo[];
  /**
   * Where each container was defined, keyed by compose service name or container name
   * (see locateComposeServices). Findings without an entry get only a logical location.
   */
  sourceLocations?: Record<string, SourceLocation>;
  /** Findings of a recording file left out because they do not match the model: one sentence each (renderers say so). */
  skipped?: string[];
  /** Filled by prepareReport(); renderers list these so a reader knows what was removed. */
  redactions?: RedactionNote[];
}

export interface ReportSink {
  format: ReportFormat;
  /** File extension including the dot. */
  extension: string;
  mediaType: string;
  render(report: ReportInput): string;
}

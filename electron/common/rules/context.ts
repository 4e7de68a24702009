// What rules may ask the state tables while evaluating one event: process ancestry, container metadata, drift.
import type { ContainerRef } from '../model/container';
import type { RuntimeEvent } from '../model/event';

/**
 * A process as rules see it. A `ProcessNode` from the state tables satisfies this shape, so an adapter can
 * hand nodes straight through.
 */
export interface RuleProcess {
  tgid: number;
  ppid: number;
  /** Full executable path. */
  exe: string;
  argv: string[];
  comm: string;
  cwd?: string;
  uid?: number;
  /** Controlling terminal number; 0 or undefined when none. */
  tty?: number;
  /** Session id (host pid namespace). */
  sid?: number;
  /** Started through `docker exec` (or descends from such a process). */
  fromExec?: boolean;
  /** When it started (ms since the epoch): fork, seed time, or first seen. */
  start?: number;
}

export interface RuleContainer extends ContainerRef {
  privileged?: boolean;
  /** When the container's current run started (ms since the epoch), once its inspect is known. */
  startedAt?: number;
}

/**
 * Read-only view of engine state. Every method is optional in what it knows: `undefined` means "unknown" and
 * makes a comparison on the field false, as Falco does for fields it cannot extract.
 * Lookups happen on the hot path: they must be O(1) map reads, never I/O.
 */
export interface RuleContext {
  /** The process with this host tgid, if the state tables know it. */
  process(tgid: number): RuleProcess | undefined;
  /** The container with this full id. */
  container(id: string): RuleContainer | undefined;
  /**
   * Whether `path` was part of the container's image (lower layers). `false` means the file was created
   * or replaced in the container's writable layer (drift). Backs `proc.is_exe_upper_layer`.
   */
  fileInImage?(containerId: string, path: string): boolean | undefined;
  /** Whether the container wrote `path` after it started. Backs `glasshouse.exe_written`. */
  fileWrittenSinceStart?(containerId: string, path: string): boolean | undefined;
  /** A DNS name the container resolved to this IP (from observed DNS answers). Backs `fd.sip.name`. */
  dnsName?(ip: string, containerId?: string): string | undefined;
  /** The key of the flow the state tables counted this event in (connect, accept, DNS), for a finding's evidence. */
  flowKey?(ev: RuntimeEvent): string | undefined;
  /** The key of the file change the state tables keep for `path` in a container, for a finding's evidence. */
  fileKey?(containerId: string, path: string): string | undefined;
  /** User name for a uid inside the container (from its /etc/passwd). Backs `user.name`. */
  userName?(uid: number, containerId?: string): string | undefined;
}

/** A context that knows nothing: for rules checked without state (CLI, tests of pure syntax). */
export const EMPTY_CONTEXT: RuleContext = {
  process: () => undefined,
  container: () => undefined,
};

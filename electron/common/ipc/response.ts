// Payload types and bounded parameter schemas for terminals, log following and incident-response actions.
import { z } from 'zod';

export const terminalId = z.string().regex(/^t[0-9a-z]{1,32}$/, 'a terminal id');
/** One keystroke burst or a paste: generous for pastes, bounded so one message cannot flood the engine. */
export const terminalInput = z.string().max(64 * 1024);
export const terminalCols = z.number().int().min(2).max(1000);
export const terminalRows = z.number().int().min(1).max(500);
/** A shell the user picked: a plain name (bash) or an absolute path (/bin/ash), nothing that looks like arguments. */
export const shellChoice = z.string().max(128).regex(/^(\/[A-Za-z0-9._/-]+|[A-Za-z0-9._-]+)$/, 'a shell name or absolute path');

export const CONTAINER_ACTIONS = ['pause', 'unpause', 'stop', 'kill', 'isolate', 'unisolate', 'restart-clean'] as const;
export type ContainerAction = (typeof CONTAINER_ACTIONS)[number] | 'snapshot';

export interface ActionResult {
  action: ContainerAction;
  containerId: string;
  name: string;
  /** A sentence saying what was done. */
  message: string;
  /** restart-clean: the new container. */
  newId?: string;
  /** restart-clean: the old container's new name when it is kept. */
  oldName?: string;
}

export interface IsolatedNetwork {
  network: string;
  networkId: string;
  aliases: string[];
  ipv4?: string;
  ipv6?: string;
  /** Addresses the user pinned (docker run --ip): asked for again on reconnect. */
  staticIpv4?: string;
  staticIpv6?: string;
  links?: string[];
  macAddress?: string;
}

/** Where an isolated container belonged, kept until it is reconnected. */
export interface IsolationRecord {
  containerId: string;
  name: string;
  isolatedAt: number;
  networks: IsolatedNetwork[];
}

export type SnapshotStep = 'check' | 'inspect' | 'commit' | 'image' | 'filesystem' | 'recording' | 'manifest';

/** Progress of a long action (a snapshot), sent as 'action.progress'. */
export interface ActionProgress {
  actionId: string;
  containerId: string;
  action: ContainerAction;
  step: SnapshotStep | string;
  /** 0..1 over the whole action. */
  fraction: number;
  /** Bytes written so far by the current step. */
  bytes?: number;
  message: string;
  done?: boolean;
  error?: string;
}

export interface ManifestFile {
  path: string;
  sha256: string;
  bytes: number;
}

export interface SnapshotManifest {
  format: 'glasshouse-snapshot';
  version: 1;
  createdAt: string;
  container: { id: string; name: string; image: string; imageId: string };
  /** The image `docker commit` made of the container. */
  committedImage: { id: string; tag: string };
  files: ManifestFile[];
  /** Parts that could not be included, each with why. */
  missing?: Array<{ part: string; why: string }>;
}

export interface SnapshotResult {
  dir: string;
  manifest: SnapshotManifest;
  message: string;
}

export interface TerminalInfo {
  terminalId: string;
  containerId: string;
  containerName: string;
  shell: string;
  cols: number;
  rows: number;
  openedAt: number;
}

export interface TerminalOutput {
  terminalId: string;
  /** UTF-8 text, decoded on the engine side so multi-byte characters are never split across messages. */
  data: string;
}

export interface TerminalExit {
  terminalId: string;
  code: number | null;
  /** Why it ended, as a sentence, when it was not a normal exit. */
  message?: string;
}

export interface LogFollowLines {
  followId: string;
  containerId: string;
  lines: Array<{ stream: 'stdout' | 'stderr'; ts: number; text: string }>;
  /** The stream ended (container stopped or removed). */
  ended?: boolean;
}

// Docker exec events → exec inspect (Privileged, User, command): what CIS 5.23 judges; events never carry these.
import type Dockerode from 'dockerode';
import type { ContainerExecInfo } from '../../common/rules/posture/exec';
import { inspectExec, parseEvent, parseInspect, type EngineEvent, type ExecInspectAnswer } from './answers';
import { followLines } from './lines';

/** Exec ids already reported, so Podman's per-container look-ups report each exec once. */
const SEEN_MAX = 10_000;

/**
 * Follows exec events and reports each exec's configuration: Docker's `exec_create` (every exec, including those that
 * fail to start) names the exec; Podman 4.3 sends `exec` without an exec id, so the container's ExecIDs are read
 * and every exec not seen before is reported (an exec that ended and was cleaned up before that read is missed).
 * Returns a function that stops following. Errors end the stream quietly: the catalog's own stream reports a lost
 * connection, and the session re-follows on reconnect.
 */
export function watchExecs(docker: Dockerode, onExec: (e: ContainerExecInfo) => void): () => void {
  let stopped = false;
  const seen = new Set<string>();
  const stopFollowing = followLines(() => docker.getEvents({ filters: { type: ['container'] } }), (line) => void handle(line));

  async function handle(line: string): Promise<void> {
    let ev: EngineEvent;
    try {
      ev = parseEvent(line);
    } catch {
      return; // counted and named by parseEvent
    }
    const named = ev.Actor.Attributes?.execID;
    let execIds: string[];
    if (ev.Action.startsWith('exec_create') && named) {
      execIds = [named];
    } else if (ev.Action === 'exec' && !named) {
      try {
        execIds = parseInspect(ev.Actor.ID, await docker.getContainer(ev.Actor.ID).inspect()).ExecIDs ?? [];
      } catch {
        return; // the container is gone, or its answer was malformed (counted by parseInspect)
      }
    } else {
      return;
    }
    for (const execId of execIds) {
      if (seen.has(execId)) continue;
      seen.add(execId);
      if (seen.size > SEEN_MAX) seen.delete(seen.values().next().value!);
      await report(execId, ev);
    }
  }

  async function report(execId: string, ev: EngineEvent): Promise<void> {
    let x: ExecInspectAnswer;
    try {
      x = await inspectExec(docker.getExec(execId));
    } catch {
      return; // the exec or its container is already gone, or the answer was malformed (counted by inspectExec)
    }
    const pc = x.ProcessConfig;
    if (stopped) return;
    const info: ContainerExecInfo = {
      execId,
      containerId: x.ContainerID,
      privileged: x.Privileged === true || pc.privileged === true,
      user: pc.user ?? '',
      command: [pc.entrypoint, ...(pc.arguments ?? [])].filter((a, i) => i > 0 || a !== ''),
      ts: ev.timeNano ? ev.timeNano / 1e6 : (ev.time ?? Date.now() / 1000) * 1000,
    };
    try {
      onExec(info);
    } catch {
      /* the observer's own failure: as before, it does not end the watch (handle runs unawaited) */
    }
  }

  return () => {
    stopped = true;
    stopFollowing();
  };
}

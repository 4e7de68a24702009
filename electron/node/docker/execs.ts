// Docker exec events → exec inspect (Privileged, User, command): what CIS 5.23 judges; events never carry these.
import type Dockerode from 'dockerode';
import type { ContainerExecInfo } from '../../common/rules/posture/exec';
import { inspectExec, parseEvent, type EngineEvent, type ExecInspectAnswer } from './answers';
import { followLines } from './lines';

/**
 * Follows `exec_create` events (every exec, including those that fail to start) and reports each exec's
 * configuration. Returns a function that stops following. Errors end the stream quietly: the catalog's own
 * stream reports a lost connection, and the session re-follows on reconnect.
 */
export function watchExecs(docker: Dockerode, onExec: (e: ContainerExecInfo) => void): () => void {
  let stopped = false;
  const stopFollowing = followLines(() => docker.getEvents({ filters: { type: ['container'] } }), (line) => void handle(line));

  async function handle(line: string): Promise<void> {
    let ev: EngineEvent;
    try {
      ev = parseEvent(line);
    } catch {
      return; // counted and named by parseEvent
    }
    if (!ev.Action.startsWith('exec_create')) return;
    const execId = ev.Actor.Attributes?.execID;
    if (!execId) return;
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

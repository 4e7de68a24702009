// Docker exec events → exec inspect (Privileged, User, command): what CIS 5.23 judges; events never carry these.
import type Dockerode from 'dockerode';
import type { ContainerExecInfo } from '../../common/rules/posture/exec';
import { followLines } from './lines';

interface ExecInspect {
  ID?: string;
  ContainerID?: string;
  Privileged?: boolean;
  ProcessConfig?: { privileged?: boolean; user?: string; entrypoint?: string; arguments?: string[] };
}

/**
 * Follows `exec_create` events (every exec, including those that fail to start) and reports each exec's
 * configuration. Returns a function that stops following. Errors end the stream quietly: the catalog's own
 * stream reports a lost connection, and the session re-follows on reconnect.
 */
export function watchExecs(docker: Dockerode, onExec: (e: ContainerExecInfo) => void): () => void {
  let stopped = false;
  const stopFollowing = followLines(() => docker.getEvents({ filters: { type: ['container'] } }), (line) => void handle(line));

  async function handle(line: string): Promise<void> {
    let ev: { Action?: string; time?: number; timeNano?: number; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    try {
      ev = JSON.parse(line);
    } catch {
      return;
    }
    if (!(ev.Action ?? '').startsWith('exec_create')) return;
    const execId = ev.Actor?.Attributes?.execID;
    if (!execId) return;
    try {
      const x = (await docker.getExec(execId).inspect()) as ExecInspect;
      const pc = x.ProcessConfig ?? {};
      if (stopped) return;
      onExec({
        execId,
        containerId: x.ContainerID ?? ev.Actor?.ID ?? '',
        privileged: x.Privileged === true || pc.privileged === true,
        user: pc.user ?? '',
        command: [pc.entrypoint ?? '', ...(pc.arguments ?? [])].filter((a, i) => i > 0 || a !== ''),
        ts: ev.timeNano ? ev.timeNano / 1e6 : (ev.time ?? Date.now() / 1000) * 1000,
      });
    } catch {
      /* the exec or its container is already gone: nothing left to judge */
    }
  }

  return () => {
    stopped = true;
    stopFollowing();
  };
}

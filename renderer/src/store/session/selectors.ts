// Selectors over the session: what the sensor missed, as sentences a developer can act on.
import type { LossCounters, SessionStatus, UnwatchedContainer } from '../../../../electron/common/ipc/contract';
import type { AppState } from '../index';

export interface LossLine {
  severity: 'bad' | 'warn';
  text: string;
}

const n = (x: number) => x.toLocaleString('en-US');

/** What the sensor and engine missed, for the shown window when one is brushed (gaps are clipped to it). */
export function describeLoss(loss: LossCounters | undefined, w?: readonly [number, number]): LossLine[] {
  if (!loss) return [];
  const out: LossLine[] = [];
  const kernel = loss.ringDrops + loss.queueDrops;
  if (kernel > 0) {
    out.push({ severity: 'bad', text: `The sensor dropped ${n(kernel)} events (${n(loss.ringDrops)} in the kernel ring buffer, ${n(loss.queueDrops)} in its queue): views may miss processes, files or connections.` });
  }
  if (loss.sourceDropped > 0) {
    out.push({ severity: 'bad', text: `The engine dropped ${n(loss.sourceDropped)} events because it fell behind; counts and trees are incomplete.` });
  }
  if (loss.corruptFrames > 0) {
    out.push({ severity: 'warn', text: `${n(loss.corruptFrames)} damaged records from the sensor were skipped.` });
  }
  if (loss.unsupportedKinds.length > 0) {
    out.push({ severity: 'warn', text: `This kernel cannot report ${loss.unsupportedKinds.join(', ')} events: the rules and views that need them see nothing of that kind.` });
  }
  if (loss.unsaved) {
    const reasons = Object.entries(loss.unsavedReasons ?? {}).sort((a, b) => b[1] - a[1]);
    const why = reasons.slice(0, 3).map(([r, k]) => `${n(k)} × ${r}`).join('; ');
    out.push({ severity: 'bad', text: `${n(loss.unsaved)} ${loss.unsaved === 1 ? 'event or row' : 'events or rows'} could not be saved in the recording${why ? ` (${why}${reasons.length > 3 ? `; ${reasons.length - 3} more reasons` : ''})` : ''}: reopening it will show less than this capture.` });
  }
  const pipeline = (loss.observerErrors ?? 0) + (loss.subscriberErrors ?? 0);
  if (pipeline > 0) {
    const parts = [loss.observerErrors ? `${n(loss.observerErrors)} in the rules` : '', loss.subscriberErrors ? `${n(loss.subscriberErrors)} in live views` : ''].filter(Boolean);
    out.push({ severity: 'warn', text: `${n(pipeline)} errors were caught while processing events (${parts.join(', ')})${loss.lastPipelineError ? `, the last: ${loss.lastPipelineError}` : ''}; findings or views may be incomplete.` });
  }
  const gaps = loss.gaps.filter(([a, b]) => !w || (a <= w[1] && b >= w[0]));
  if (gaps.length > 0) {
    const ms = gaps.reduce((t, [a, b]) => t + Math.max(0, Math.min(b, w?.[1] ?? b) - Math.max(a, w?.[0] ?? a)), 0);
    out.push({ severity: 'bad', text: `The sensor was not watching for ${(ms / 1000).toFixed(1)} s (${gaps.length} gap${gaps.length > 1 ? 's' : ''}, helper restarts)${w ? ' in the shown window' : ''}.` });
  }
  return out;
}

/** Containers the capture could not watch, one sentence each (nothing of them is traced). */
export function describeUnwatched(list: readonly UnwatchedContainer[] | undefined): string[] {
  return (list ?? []).map((u) => `${u.name} is not watched: ${u.reason}${u.hint ? ` ${u.hint}` : ''}`);
}

/** One line on what the session is doing. */
export function describeSession(s: SessionStatus | undefined): string {
  if (!s) return 'No capture session';
  const what = s.source === 'recording' ? 'Replaying recording' : 'Capturing';
  const scope = s.containers?.length ? `${s.containers.length} container${s.containers.length > 1 ? 's' : ''}` : 'all containers';
  switch (s.state) {
    case 'idle': return 'Not capturing';
    case 'starting': return `Starting capture of ${scope}…`;
    case 'capturing': return `${what}: ${scope} · ${n(s.events)} events`;
    case 'replaying': return `${what} · ${n(s.events)} events`;
    case 'stopping': return 'Stopping…';
    case 'stopped': return `${s.source === 'recording' ? 'Recording loaded' : 'Capture stopped'} · ${n(s.events)} events`;
    case 'error': return s.error?.message ?? 'The capture session failed.';
  }
}

export const selectSession = (s: AppState) => s.session;
export const selectLoss = (s: AppState) => s.session?.loss ?? s.live.loss;

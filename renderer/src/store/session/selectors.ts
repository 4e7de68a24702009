// Selectors over the session: what the sensor missed, as sentences a developer can act on.
import type { LossCounters, SessionStatus } from '../../../../electron/common/ipc/contract';
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
  const gaps = loss.gaps.filter(([a, b]) => !w || (a <= w[1] && b >= w[0]));
  if (gaps.length > 0) {
    const ms = gaps.reduce((t, [a, b]) => t + Math.max(0, Math.min(b, w?.[1] ?? b) - Math.max(a, w?.[0] ?? a)), 0);
    out.push({ severity: 'bad', text: `The sensor was not watching for ${(ms / 1000).toFixed(1)} s (${gaps.length} gap${gaps.length > 1 ? 's' : ''}, helper restarts)${w ? ' in the shown window' : ''}.` });
  }
  return out;
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

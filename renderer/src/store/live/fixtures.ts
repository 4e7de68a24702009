// Small view-model builders shared by the store's unit tests.
import type { LiveFrame } from '../../../../electron/common/ipc/contract';
import type { Flow, ProcessNode } from '../../../../electron/common/model/process';
import type { WorldDelta } from '../../../../electron/common/state/worldState';
import { keyedFile, keyedFlow, type MaybeKeyed } from '../../../../electron/common/state/keys';
import type { FileChange } from '../../../../electron/common/model/process';

export const proc = (tgid: number, start: number, extra: Partial<ProcessNode> = {}): ProcessNode => ({
  key: `${tgid}@${start}`, tgid, ppid: 1, exe: '/bin/sh', argv: ['sh'], uid: 0, comm: 'sh', start, lineage: [], containerId: 'c1', ...extra,
});
export const delta = (d: Partial<WorldDelta> = {}): WorldDelta => ({
  processes: [], files: [], flows: [], listening: [], containers: [], resources: [],
  counters: { events: 0, byKind: {} as WorldDelta['counters']['byKind'], duplicates: 0, hostEvents: 0 }, ...d,
});
export const LOSS = { ringDrops: 0, queueDrops: 0, corruptFrames: 0, sourceDropped: 0, unsupportedKinds: [], gaps: [] };
export const frame = (d: Partial<WorldDelta> = {}, extra: Partial<LiveFrame> = {}): LiveFrame => ({
  subId: 's', frame: 1, ts: 0, delta: delta(d), tail: [], findings: [], coalesced: 0, dropped: 0, loss: LOSS, ...extra,
});
/** A flow keyed as the flow aggregator keys it. */
export const flow = (remoteAddr: string, remotePort: number, extra: Partial<Flow> = {}): Flow => keyedFlow({
  containerId: 'c1', direction: 'outbound', proto: 'tcp', remoteAddr, remotePort, count: 1, failures: 0, first: 100, last: 200, exes: ['/bin/nc'], ...extra,
});
/** A file change keyed as the file table keys it. */
export const file = (f: MaybeKeyed<FileChange>): FileChange => keyedFile(f);


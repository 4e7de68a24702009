import { describe, expect, it } from 'vitest';
import { describeLoss, describeSession, describeUnwatched } from './selectors';
import { isActive, windowAround } from './slice';

const LOSS = { ringDrops: 0, queueDrops: 0, corruptFrames: 0, sourceDropped: 0, unsupportedKinds: [], gaps: [] as Array<[number, number]> };

describe('session', () => {
  it('says nothing when nothing was missed, and names each kind of loss', () => {
    expect(describeLoss(LOSS)).toEqual([]);
    const lines = describeLoss({ ...LOSS, ringDrops: 1200, queueDrops: 3, sourceDropped: 7, unsupportedKinds: ['bpf', 'module'], gaps: [[1000, 3500]] });
    expect(lines.map((l) => l.text).join('\n')).toMatch(/dropped 1,203 events \(1,200 in the kernel ring buffer, 3 in its queue\)/);
    expect(lines.map((l) => l.text).join('\n')).toMatch(/engine dropped 7 events/);
    expect(lines.map((l) => l.text).join('\n')).toMatch(/cannot report bpf, module/);
    expect(lines.map((l) => l.text).join('\n')).toMatch(/not watching for 2\.5 s \(1 gap/);
  });
  it('names what the recording could not save, by reason, and the errors caught in the pipeline', () => {
    const lines = describeLoss({ ...LOSS, unsaved: 3, unsavedReasons: { 'file: NOT NULL constraint failed: files.path': 2, 'finding: Do not know how to serialize a BigInt': 1 },
      observerErrors: 4, subscriberErrors: 1, lastPipelineError: 'boom' }).map((l) => l.text);
    expect(lines[0]).toBe('3 events or rows could not be saved in the recording (2 × file: NOT NULL constraint failed: files.path; 1 × finding: Do not know how to serialize a BigInt): reopening it will show less than this capture.');
    expect(lines[1]).toBe('5 errors were caught while processing events (4 in the rules, 1 in live views), the last: boom; findings or views may be incomplete.');
    expect(describeLoss({ ...LOSS, unsaved: 0, observerErrors: 0, subscriberErrors: 0 })).toEqual([]);
  });
  it('says which containers are not watched and why', () => {
    expect(describeUnwatched([{ id: 'a'.repeat(64), name: 'web', reason: 'The sensor could not find the cgroup of container aaaaaaaaaaaa, so it is not watched.', hint: 'Is the container running?' }]))
      .toEqual(['web is not watched: The sensor could not find the cgroup of container aaaaaaaaaaaa, so it is not watched. Is the container running?']);
    expect(describeUnwatched(undefined)).toEqual([]);
  });
  it('clips gaps to the shown window and drops gaps outside it', () => {
    const loss = { ...LOSS, gaps: [[1000, 3000], [9000, 9500]] as Array<[number, number]> };
    expect(describeLoss(loss, [2000, 5000]).map((l) => l.text)).toEqual([expect.stringMatching(/1\.0 s \(1 gap, helper restarts\) in the shown window/)]);
    expect(describeLoss(loss, [4000, 5000])).toEqual([]);
  });
  it('describes states and knows which are active', () => {
    expect(describeSession({ state: 'capturing', source: 'live', events: 1234, loss: LOSS, containers: ['a'] })).toBe('Capturing: 1 container · 1,234 events');
    expect(describeSession({ state: 'stopped', source: 'recording', events: 5, loss: LOSS })).toMatch(/Recording loaded/);
    expect(isActive({ state: 'replaying', events: 0, loss: LOSS })).toBe(true);
    expect(isActive({ state: 'stopped', events: 0, loss: LOSS })).toBe(false);
    expect(windowAround(10_000, 2000)).toEqual([9000, 11_000]);
  });
});

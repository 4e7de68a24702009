// Electron's Open dialog path for recordings, with the dialog injected (Electron cannot run here).
import { describe, expect, it } from 'vitest';
import type { SessionStatus } from '../common/ipc/contract';
import { openRecordingWithDialog, type RecordingOpener } from './openDialog';

function opener(): RecordingOpener & { opened: string[]; byPage: unknown[] } {
  const idle = { state: 'idle' } as unknown as SessionStatus;
  const o = {
    opened: [] as string[], byPage: [] as unknown[],
    handlers: {
      'recording.open': async (p: unknown) => { o.byPage.push(p); return idle; },
      'session.status': async () => idle,
    },
    openRecordingFile: async (path: string) => { o.opened.push(path); return { state: 'replaying' } as unknown as SessionStatus; },
  };
  return o as never;
}

describe('openRecordingWithDialog', () => {
  it('opens the file the user chose in the dialog, never one the page named', async () => {
    const e = opener();
    let asked: { defaultPath: string } | undefined;
    const s = await openRecordingWithDialog(e, { dialog: true }, async (o) => { asked = o; return { canceled: false, filePaths: ['/home/u/run.glasshouse'] }; }, '/data/recordings');
    expect(asked?.defaultPath).toBe('/data/recordings');
    expect(e.opened).toEqual(['/home/u/run.glasshouse']);
    expect(s.state).toBe('replaying');
  });

  it('does nothing when the user cancels', async () => {
    const e = opener();
    const s = await openRecordingWithDialog(e, { dialog: true }, async () => ({ canceled: true, filePaths: [] }), '/tmp');
    expect(e.opened).toEqual([]);
    expect(s.state).toBe('idle');
  });

  it('hands a named path to the engine, which decides (its own folder and recent list only)', async () => {
    const e = opener();
    await openRecordingWithDialog(e, { path: '/etc/shadow' }, async () => { throw new Error('no dialog expected'); }, '/tmp');
    expect(e.byPage).toEqual([{ path: '/etc/shadow' }]);
    expect(e.opened).toEqual([]);
  });
});

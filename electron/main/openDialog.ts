// Electron's "Open a file…" for recordings: main asks which file with a native dialog; the page never names a path.
import type { EngineHandlers, ParamsOf, SessionStatus } from '../common/ipc/contract';

export interface OpenDialogLike {
  (opts: { title: string; defaultPath: string; properties: Array<'openFile'>; filters: Array<{ name: string; extensions: string[] }> }): Promise<{ canceled: boolean; filePaths: string[] }>;
}

/** What main needs of the engine: the page's handler, and the trusted open for a path the user chose. */
export interface RecordingOpener {
  handlers: Pick<EngineHandlers, 'recording.open' | 'session.status'>;
  openRecordingFile(path: string): Promise<SessionStatus>;
}

/**
 * recording.open from the window: `{ dialog: true }` shows the user's own Open dialog and opens what they chose
 * (the current session status when they cancel); `{ path }` goes to the engine, which allows only its own folder
 * and recent list.
 */
export async function openRecordingWithDialog(engine: RecordingOpener, params: ParamsOf<'recording.open'>, showOpenDialog: OpenDialogLike, defaultDir: string): Promise<SessionStatus> {
  if (!('dialog' in params)) return engine.handlers['recording.open'](params);
  const choice = await showOpenDialog({
    title: 'Open a Glasshouse recording', defaultPath: defaultDir, properties: ['openFile'],
    filters: [{ name: 'Glasshouse recording', extensions: ['glasshouse'] }, { name: 'All files', extensions: ['*'] }],
  });
  if (choice.canceled || !choice.filePaths[0]) return engine.handlers['session.status']({});
  return engine.openRecordingFile(choice.filePaths[0]);
}

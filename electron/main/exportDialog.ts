// Electron's "Export…": main asks where to save with a native dialog and writes the engine's rendered report there.
import { renameSync, writeFileSync } from 'node:fs';
import type { EngineHandlers, ExportResult, ParamsOf } from '../common/ipc/contract';
import { FileFormatError } from '../common/ipc/errors';

export interface SaveDialogLike {
  (opts: { title: string; defaultPath: string; filters: Array<{ name: string; extensions: string[] }> }): Promise<{ canceled: boolean; filePath?: string }>;
}

const FILTER: Record<string, { name: string; extensions: string[] }> = {
  sarif: { name: 'SARIF', extensions: ['sarif', 'json'] },
  md: { name: 'Markdown', extensions: ['md'] },
  html: { name: 'HTML report', extensions: ['html'] },
  csv: { name: 'CSV', extensions: ['csv'] },
  json: { name: 'JSON', extensions: ['json'] },
};

/**
 * export.report with save: 'dialog': the path comes only from the user's own dialog, never from the renderer, so a
 * compromised page cannot write files where it likes. The text is not sent back to the window once saved.
 */
export async function exportWithDialog(handlers: EngineHandlers, params: ParamsOf<'export.report'>, showSaveDialog: SaveDialogLike, defaultDir: string): Promise<ExportResult> {
  const rendered = await handlers['export.report']({ format: params.format, containerId: params.containerId });
  if (params.save !== 'dialog') return rendered;
  const choice = await showSaveDialog({ title: 'Export findings', defaultPath: `${defaultDir}/${rendered.fileName}`, filters: [FILTER[rendered.format]] });
  const { text, ...rest } = rendered;
  if (choice.canceled || !choice.filePath) return { ...rest, canceled: true };
  try {
    const tmp = `${choice.filePath}.tmp-${process.pid}`;
    writeFileSync(tmp, text ?? '');
    renameSync(tmp, choice.filePath);
  } catch (e) {
    throw new FileFormatError(`The report could not be written to ${choice.filePath} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`,
      'Choose a folder you can write to.');
  }
  return { ...rest, savedTo: choice.filePath };
}

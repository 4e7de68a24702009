// Electron's save dialog path for exports, with the dialog injected (Electron cannot run here).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineHandlers, ExportResult } from '../common/ipc/contract';
import { exportWithDialog } from './exportDialog';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

const rendered: ExportResult = { format: 'html', fileName: 'glasshouse-capture.html', mediaType: 'text/html', text: '<!doctype html><p>report', bytes: 24, findings: 1, redactions: [], redactionSummary: 'No secrets were found in the evidence.' };
const handlers = { 'export.report': async () => rendered } as unknown as EngineHandlers;

describe('exportWithDialog', () => {
  it('writes where the user chose and does not send the text back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-dlg-'));
    dirs.push(dir);
    let asked: { defaultPath: string; filters: unknown } | undefined;
    const r = await exportWithDialog(handlers, { format: 'html', save: 'dialog' }, async (o) => { asked = o; return { canceled: false, filePath: join(dir, 'out.html') }; }, '/home/u/Documents');
    expect(asked?.defaultPath).toBe('/home/u/Documents/glasshouse-capture.html');
    expect(asked?.filters).toEqual([{ name: 'HTML report', extensions: ['html'] }]);
    expect(readFileSync(join(dir, 'out.html'), 'utf8')).toBe(rendered.text);
    expect(r.savedTo).toBe(join(dir, 'out.html'));
    expect(r.text).toBeUndefined();
  });
  it('cancel writes nothing; no save option returns the text', async () => {
    const r = await exportWithDialog(handlers, { format: 'html', save: 'dialog' }, async () => ({ canceled: true }), '/tmp');
    expect(r).toMatchObject({ canceled: true });
    expect(r.savedTo).toBeUndefined();
    expect((await exportWithDialog(handlers, { format: 'html' }, async () => { throw new Error('no dialog expected'); }, '/tmp')).text).toBe(rendered.text);
  });
  it('a folder it cannot write to is a sentence', async () => {
    await expect(exportWithDialog(handlers, { format: 'html', save: 'dialog' }, async () => ({ canceled: false, filePath: '/nonexistent-dir/x.html' }), '/tmp'))
      .rejects.toThrow(/could not be written to \/nonexistent-dir\/x\.html \(ENOENT\)/);
  });
});

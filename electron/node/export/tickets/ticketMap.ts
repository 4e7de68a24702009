// The local fingerprint → ticket map: the primary dedupe, because tracker search indexes lag (integrations.md §0).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TicketRef { key: string; url?: string; fingerprint: string; createdAt: number }

interface MapFile { version: 1; destinations: Record<string, Record<string, TicketRef>> }

export const TICKET_MAP_FILE = 'tickets.json';

export class TicketMap {
  private data: MapFile = { version: 1, destinations: {} };
  /** Set when an unreadable map was moved aside instead of being overwritten. */
  readonly warning?: string;
  readonly file: string;

  constructor(dir: string) {
    this.file = join(dir, TICKET_MAP_FILE);
    mkdirSync(dir, { recursive: true });
    if (!existsSync(this.file)) return;
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as MapFile;
      if (parsed?.version !== 1 || typeof parsed.destinations !== 'object') throw new Error('unknown layout');
      this.data = parsed;
    } catch (e) {
      // Never overwrite what we cannot read: keep it beside the new map so nobody loses their ticket links.
      const aside = `${this.file}.unreadable-${Date.now()}`;
      renameSync(this.file, aside);
      this.warning = `The ticket map ${this.file} could not be read (${(e as Error).message}); it was moved to ${aside} and a new one started.`;
    }
  }

  get(destination: string, fp12: string): TicketRef | undefined {
    return this.data.destinations[destination]?.[fp12];
  }

  /** Saved immediately (write + rename) so a crash mid-run never forgets a ticket that was created. */
  set(destination: string, fp12: string, ref: TicketRef): void {
    (this.data.destinations[destination] ??= {})[fp12] = ref;
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(this.data, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

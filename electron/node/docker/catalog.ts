// The live container catalog: one full list per connection, then kept current from the engine's event stream.
import { EventEmitter } from 'node:events';
import type Dockerode from 'dockerode';
import type { CatalogDelta, CatalogSnapshot } from '../../common/ipc/contract';
import type { ContainerSummary } from '../../common/model/container';
import { listContainers, parseEvent, parseInspect, type EngineEvent } from './answers';
import type { DockerConnection } from './connection';
import { summaryFromInspect, summaryFromListEntry } from './inspect';
import { eachLine } from './lines';

/** Container actions that change what the catalog shows. Podman 4.3 sends `remove` where Docker sends `destroy`. */
const RELEVANT = new Set(['create', 'start', 'restart', 'stop', 'die', 'kill', 'pause', 'unpause', 'rename', 'update', 'destroy', 'remove', 'oom', 'health_status']);
const REMOVED = new Set(['destroy', 'remove']);

/**
 * Emits 'delta' (CatalogDelta[]) at most every `batchMs`. No polling: after the initial list, only the events
 * stream drives updates; each relevant event re-reads that one container.
 */
export class ContainerCatalog extends EventEmitter {
  private readonly rows = new Map<string, ContainerSummary>();
  private pending: CatalogDelta[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private stream: NodeJS.ReadableStream | undefined;
  private readonly refreshing = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private generation = 0;

  constructor(private readonly connection: DockerConnection, private readonly batchMs = 50) {
    super();
    connection.on('connected', (client: Dockerode) => void this.attach(client));
  }

  snapshot(): CatalogSnapshot {
    return { containers: [...this.rows.values()] };
  }

  get(idOrName: string): ContainerSummary | undefined {
    return this.rows.get(idOrName) ?? [...this.rows.values()].find((c) => c.name === idOrName || c.id.startsWith(idOrName));
  }

  close(): void {
    this.generation++;
    this.detachStream();
    if (this.flushTimer) clearTimeout(this.flushTimer);
  }

  private detachStream(): void {
    const s = this.stream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    this.stream = undefined;
    s?.removeAllListeners();
    s?.on('error', () => undefined);
    s?.destroy?.();
  }

  private async attach(client: Dockerode): Promise<void> {
    const gen = ++this.generation;
    this.detachStream();
    try {
      // Subscribe before listing so nothing that happens in between is missed.
      const stream = (await client.getEvents({ filters: { type: ['container'] } })) as NodeJS.ReadableStream;
      if (gen !== this.generation) return void (stream as any).destroy?.();
      this.stream = stream;
      eachLine(stream, (line) => this.onEngineEvent(client, line, gen));
      const lost = (err?: unknown) => {
        if (gen !== this.generation) return;
        this.connection.markLost(err ?? Object.assign(new Error('event stream ended'), { code: 'ECONNRESET' }));
      };
      stream.on('error', lost);
      stream.on('end', () => lost());
      stream.on('close', () => lost());

      const list = await listContainers(client, true);
      if (gen !== this.generation) return;
      this.rows.clear();
      for (const entry of list) this.rows.set(entry.Id, summaryFromListEntry(entry));
      this.pending = [{ type: 'reset', snapshot: this.snapshot() }];
      this.flushSoon();
      // Start times are not in the list reply; fill them in for running containers without blocking the first render.
      void this.fillStartTimes(client, list.filter((c) => c.State === 'running' || c.State === 'paused').map((c) => c.Id), gen);
    } catch (err) {
      if (gen === this.generation) this.connection.markLost(err);
    }
  }

  private async fillStartTimes(client: Dockerode, ids: string[], gen: number): Promise<void> {
    const queue = [...ids];
    const worker = async () => {
      for (let id = queue.shift(); id && gen === this.generation; id = queue.shift()) {
        if (!this.dirty.has(id)) await this.refresh(client, id, gen);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  }

  private onEngineEvent(client: Dockerode, line: string, gen: number): void {
    let ev: EngineEvent;
    try {
      ev = parseEvent(line);
    } catch {
      return; // counted and named by parseEvent; the next event of that container re-reads it whole
    }
    const action = ev.Action.split(':')[0];
    const id = ev.Actor.ID;
    if (ev.Type !== 'container' || !id || !RELEVANT.has(action)) return;
    if (REMOVED.has(action)) {
      this.dirty.delete(id);
      if (this.rows.delete(id)) this.push({ type: 'remove', id });
      return;
    }
    this.dirty.add(id);
    void this.refresh(client, id, gen);
  }

  /** Re-reads one container; concurrent events for the same id collapse into one extra read. */
  private refresh(client: Dockerode, id: string, gen: number): Promise<void> {
    const running = this.refreshing.get(id);
    if (running) {
      this.dirty.add(id);
      return running;
    }
    const p = (async () => {
      do {
        this.dirty.delete(id);
        try {
          const info = parseInspect(id, await client.getContainer(id).inspect());
          if (gen !== this.generation) return;
          const row = summaryFromInspect(info);
          const prev = this.rows.get(id);
          // The list's status text ("Up 3 minutes") is better than inspect's; keep it until the state changes.
          if (prev && prev.state === row.state && prev.status) row.status = prev.status;
          this.rows.set(id, row);
          this.push({ type: 'upsert', container: row });
        } catch (err) {
          // A malformed answer (DockerAnswerError, counted) keeps the row as it was rather than a half-read one.
          if ((err as { statusCode?: number }).statusCode === 404) {
            if (this.rows.delete(id)) this.push({ type: 'remove', id });
          }
        }
      } while (this.dirty.has(id) && gen === this.generation);
    })().finally(() => this.refreshing.delete(id));
    this.refreshing.set(id, p);
    return p;
  }

  private push(d: CatalogDelta): void {
    this.pending.push(d);
    this.flushSoon();
  }

  private flushSoon(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      const batch = this.pending;
      this.pending = [];
      if (batch.length) this.emit('delta', batch);
    }, this.batchMs);
  }
}

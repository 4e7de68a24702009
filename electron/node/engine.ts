// Composition root: one engine per process, wiring Docker → catalog (→ capture → state → rules → store) → API.
import { EventEmitter } from 'node:events';
import type { EngineEvents, EngineHandlers, EventName } from '../common/ipc/contract';
import { DockerConnection } from './docker/connection';
import { ContainerCatalog } from './docker/catalog';
import { inspectContainer, listProcesses, tailLogs } from './docker/containers';
import type { EndpointEnv } from './docker/endpoint';

export const GLASSHOUSE_VERSION = '0.1.0';

export interface EngineOptions {
  endpointEnv?: EndpointEnv;
  /** Where recordings, recent lists and user rule files live. */
  dataDir?: string;
}

export type EngineEventListener = <E extends EventName>(event: E, payload: EngineEvents[E]) => void;

export class Engine {
  readonly connection: DockerConnection;
  readonly catalog: ContainerCatalog;
  readonly handlers: EngineHandlers;
  private readonly bus = new EventEmitter();

  constructor(readonly options: EngineOptions = {}) {
    this.bus.setMaxListeners(0);
    this.connection = new DockerConnection({ endpointEnv: options.endpointEnv, version: GLASSHOUSE_VERSION });
    this.catalog = new ContainerCatalog(this.connection);
    this.connection.on('status', (s) => this.publish('engine.status', s));
    this.catalog.on('delta', (d) => this.publish('catalog.delta', d));

    const docker = () => this.connection.docker;
    this.handlers = {
      'engine.status': async () => this.connection.status,
      'catalog.snapshot': async () => this.catalog.snapshot(),
      'container.inspect': async ({ id }) => inspectContainer(docker(), id),
      'container.processes': async ({ id }) => listProcesses(docker(), id),
      'container.logs': async ({ id, tail }) => tailLogs(docker(), id, tail),
    };
  }

  /** Connects to Docker; resolves after the first attempt, whether or not it succeeded (it retries by itself). */
  start(): Promise<void> {
    return this.connection.start();
  }

  stop(): void {
    this.catalog.close();
    this.connection.stop();
  }

  /** Subscribes to every engine event; returns the unsubscribe function. */
  onEvent(listener: EngineEventListener): () => void {
    this.bus.on('event', listener);
    return () => this.bus.off('event', listener);
  }

  publish<E extends EventName>(event: E, payload: EngineEvents[E]): void {
    this.bus.emit('event', event, payload);
  }
}

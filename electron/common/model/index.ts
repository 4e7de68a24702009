// The domain model shared by engine, hosts and renderer.
export * from './event';
export * from './container';
export * from './finding';
export * from './process';

import { describe, expect, it } from 'vitest';
import type { EngineHandlers } from './contract';
import { dispatch, unwrap } from './dispatch';
import { DockerUnavailableError, NotFoundError, ValidationError } from './errors';

const handlers = {
  'engine.status': async () => ({ connection: 'connected', version: 't' }),
  'catalog.snapshot': async () => ({ containers: [] }),
  'container.inspect': async ({ id }: { id: string }) => { throw new NotFoundError(`There is no container "${id}".`, 'Pick another.'); },
  'container.processes': async () => { throw new Error('boom'); },
  'container.logs': async () => [],
} as unknown as EngineHandlers;

describe('dispatch', () => {
  it('runs a valid call and wraps the result', async () => {
    expect(await dispatch(handlers, 'catalog.snapshot', {})).toEqual({ ok: true, result: { containers: [] } });
  });
  it('rejects unknown methods and prototype tricks before any handler', async () => {
    for (const m of ['nope', '__proto__', 'constructor', 42, null]) {
      const env = await dispatch(handlers, m, {});
      expect(env.ok).toBe(false);
      expect(() => unwrap(env)).toThrow(ValidationError);
    }
  });
  it('rejects bad params with the field named', async () => {
    const env = await dispatch(handlers, 'container.logs', { id: 'web', tail: -1 });
    expect(env).toMatchObject({ ok: false, error: { name: 'ValidationError' } });
    expect(env.ok === false && env.error.message).toMatch(/container\.logs \(tail\)/);
    const extra = await dispatch(handlers, 'container.inspect', { id: 'a', evil: 1 });
    expect(extra.ok).toBe(false);
    const shell = await dispatch(handlers, 'container.inspect', { id: '$(rm -rf /)' });
    expect(shell.ok).toBe(false);
  });
  it('rebuilds named errors on the other side, keeping the hint and dropping stacks', async () => {
    const env = await dispatch(handlers, 'container.inspect', { id: 'web' });
    const err = (() => { try { unwrap(env); } catch (e) { return e; } })() as NotFoundError;
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.name).toBe('NotFoundError');
    expect(err.hint).toBe('Pick another.');
    const plain = await dispatch(handlers, 'container.processes', { id: 'web' });
    expect(JSON.stringify(plain)).not.toMatch(/at .*\.ts/);
    expect(() => unwrap({ ok: false, error: { name: 'DockerUnavailableError', message: 'x' } })).toThrow(DockerUnavailableError);
  });
});

describe('describeError', () => {
  it('reads real errors, serialised errors and plain strings alike', async () => {
    const { describeError } = await import('./errors');
    expect(describeError(new NotFoundError('Gone.', 'Pick another.'))).toBe('Gone. Pick another.');
    expect(describeError({ name: 'DockerUnavailableError', message: 'Down.', hint: 'Start it.' })).toBe('Down. Start it.');
    expect(describeError('plain')).toBe('plain');
  });
});

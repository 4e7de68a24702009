// One validating dispatcher for every transport: unknown methods and bad params never reach a handler.
import { METHODS, type EngineHandlers, type Envelope, type MethodName } from './contract';
import { ValidationError, serializeError, deserializeError, type SerializedError } from './errors';

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(METHODS, name);
}

/** Validates and runs one request; always resolves to an envelope, never throws. */
export async function dispatch(handlers: EngineHandlers, method: unknown, params: unknown): Promise<Envelope<unknown>> {
  try {
    if (!isMethodName(method)) {
      throw new ValidationError(`Unknown engine method ${JSON.stringify(String(method)).slice(0, 80)}.`);
    }
    const parsed = METHODS[method].params.safeParse(params ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` (${issue.path.join('.')})` : '';
      throw new ValidationError(`Invalid parameters for ${method}${where}: ${issue?.message ?? 'rejected'}.`);
    }
    const handler = handlers[method] as (p: unknown) => Promise<unknown>;
    return { ok: true, result: await handler(parsed.data) };
  } catch (err) {
    return { ok: false, error: serializeError(err) };
  }
}

/** Client side: unwraps an envelope, rethrowing a real named error. */
export function unwrap<R>(env: Envelope<R>): R {
  if (env && env.ok === true) return env.result;
  const e: SerializedError = env && env.ok === false ? env.error : { name: 'GlasshouseError', message: 'The engine sent a malformed reply.' };
  throw deserializeError(e);
}

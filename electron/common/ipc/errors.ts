// Named errors that cross the engine boundary: serialised in the {error} envelope and rebuilt on the other side.

export interface SerializedError {
  name: string;
  message: string;
  /** What the user can do about it, when known. */
  hint?: string;
  code?: string;
}

/** Base of every error a user can meet: the message is a sentence that says what happened. */
export class GlasshouseError extends Error {
  override name = 'GlasshouseError';
  constructor(message: string, readonly hint?: string, readonly code?: string) {
    super(message);
  }
  toJSON(): SerializedError {
    return { name: this.name, message: this.message, hint: this.hint, code: this.code };
  }
}

/** The request itself was malformed (bad method, bad parameters). */
export class ValidationError extends GlasshouseError { override name = 'ValidationError'; }
/** The Docker engine cannot be reached or refused us. */
export class DockerUnavailableError extends GlasshouseError { override name = 'DockerUnavailableError'; }
/** A container, recording or other named thing does not exist (any more). */
export class NotFoundError extends GlasshouseError { override name = 'NotFoundError'; }
/** The operating system or engine denied the operation. */
export class PermissionDeniedError extends GlasshouseError { override name = 'PermissionDeniedError'; }
/** The sensor cannot run here (preflight failed, helper died). */
export class SensorError extends GlasshouseError { override name = 'SensorError'; }
/** A file (recording, rules, config) is unreadable, corrupt or of the wrong kind. */
export class FileFormatError extends GlasshouseError { override name = 'FileFormatError'; }
/** An external service (GitHub, GitLab, Jira) refused or failed. */
export class IntegrationError extends GlasshouseError { override name = 'IntegrationError'; }
/** Bad command-line or config input from the user. */
export class UserInputError extends GlasshouseError { override name = 'UserInputError'; }
/** The Docker engine answered in an unexpected shape; that answer was skipped (electron/node/docker/answers.ts). */
export class DockerAnswerError extends GlasshouseError { override name = 'DockerAnswerError'; }

const KNOWN = {
  GlasshouseError, ValidationError, DockerUnavailableError, NotFoundError, PermissionDeniedError, SensorError,
  FileFormatError, IntegrationError, UserInputError, DockerAnswerError,
} as const;

function isSerialized(x: unknown): x is SerializedError {
  return typeof x === 'object' && x !== null && !(x instanceof Error)
    && typeof (x as SerializedError).name === 'string' && typeof (x as SerializedError).message === 'string';
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof GlasshouseError) return err.toJSON();
  if (isSerialized(err)) return { name: err.name, message: err.message, hint: err.hint, code: err.code };
  if (err instanceof Error) {
    // Unknown errors keep their message but never their stack: stacks are for logs, not users.
    return { name: 'GlasshouseError', message: err.message || String(err) };
  }
  return { name: 'GlasshouseError', message: String(err) };
}

/** Rebuilds a real, named Error (instanceof works) from its serialised form. */
export function deserializeError(e: SerializedError): GlasshouseError {
  const Ctor = (KNOWN as Record<string, typeof GlasshouseError>)[e.name] ?? GlasshouseError;
  return new Ctor(e.message, e.hint, e.code);
}

/** One line for a terminal or a banner: the sentence plus what to do. */
export function describeError(err: unknown): string {
  const s = serializeError(err);
  return s.hint ? `${s.message} ${s.hint}` : s.message;
}

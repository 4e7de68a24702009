// Finds the compose-file line that defines each service, so SARIF results point at a file GitHub can show.
import { readFileSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { LineCounter, parseDocument, isMap, isScalar } from 'yaml';
import type { SourceLocation } from './types';

/** service name → line of its key under `services:`; an unparsable file yields no locations, never an error. */
export function locateComposeServices(composeText: string, uri: string): Record<string, SourceLocation> {
  const lc = new LineCounter();
  const doc = parseDocument(composeText, { lineCounter: lc, keepSourceTokens: false });
  const out: Record<string, SourceLocation> = {};
  const services = doc.get('services', true);
  if (!isMap(services)) return out;
  for (const item of services.items) {
    if (!isScalar(item.key) || item.key.range == null) continue;
    out[String(item.key.value)] = { uri, startLine: lc.linePos(item.key.range[0]).line };
  }
  return out;
}

/**
 * Reads a compose file and keys its services by repository-relative URI (forward slashes, as SARIF wants). A file
 * that cannot be read or parsed gives no locations and a sentence saying so (the scan itself goes on).
 */
export function locateComposeFile(file: string, repoRoot: string): { locations: Record<string, SourceLocation>; problem?: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { locations: {}, problem: `cannot read the compose file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); SARIF results will not point at its services` };
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  if (doc.errors.length) {
    const err = doc.errors[0];
    const at = err.linePos?.[0];
    return { locations: {}, problem: `the compose file ${file}${at ? `:${at.line}:${at.col}` : ''} does not parse (${err.message.split('\n')[0]}); SARIF results will not point at its services` };
  }
  const uri = relative(repoRoot, file).split(sep).join('/');
  const locations = locateComposeServices(text, uri);
  return Object.keys(locations).length ? { locations }
    : { locations, problem: `the compose file ${file} has no services: map; SARIF results will not point at services` };
}

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

/** Reads a compose file and keys its services by repository-relative URI (forward slashes, as SARIF wants). */
export function locateComposeFile(file: string, repoRoot: string): Record<string, SourceLocation> {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch { return {}; }
  const uri = relative(repoRoot, file).split(sep).join('/');
  return locateComposeServices(text, uri);
}

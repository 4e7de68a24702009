// Security policy of the app's windows, kept as data so it is unit-testable without Electron.
import { APP_ORIGIN } from '../common/ipc/channels';

export const WEB_PREFERENCES = Object.freeze({
  sandbox: true,
  contextIsolation: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  spellcheck: false,
  navigateOnDragDrop: false,
});

/** CSP sent with every app:// response (the page's meta tag says the same). */
export const APP_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
  "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

/** Only the app's own top frame may talk to the engine. */
export function isTrustedSender(frameUrl: string | undefined, isMainFrame: boolean): boolean {
  if (!frameUrl || !isMainFrame) return false;
  try {
    const u = new URL(frameUrl);
    return `${u.protocol}//${u.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}

/** External links the user clicks go to the OS browser, but only http(s) and only to known documentation hosts. */
export function isAllowedExternal(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && ['attack.mitre.org', 'docs.docker.com', 'falco.org', 'github.com'].includes(u.hostname);
  } catch {
    return false;
  }
}

/** Maps an app:// URL to a file below the renderer root; undefined for anything that escapes it. */
export function resolveAppPath(url: string, root: string, join: (...p: string[]) => string, normalize: (p: string) => string, sep: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (`${u.protocol}//${u.host}` !== APP_ORIGIN) return undefined;
  let rel = decodeURIComponent(u.pathname);
  if (rel === '/' || rel === '') rel = '/index.html';
  const file = normalize(join(root, rel));
  return file.startsWith(root + sep) ? file : undefined;
}

import { join, normalize, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAllowedExternal, isTrustedSender, resolveAppPath, WEB_PREFERENCES } from './security';

describe('window security policy', () => {
  it('runs renderers sandboxed and isolated, without node', () => {
    expect(WEB_PREFERENCES).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webviewTag: false, webSecurity: true });
    expect(Object.isFrozen(WEB_PREFERENCES)).toBe(true);
  });
  it('trusts only the app origin main frame', () => {
    expect(isTrustedSender('app://glasshouse/index.html', true)).toBe(true);
    expect(isTrustedSender('app://glasshouse/index.html', false)).toBe(false);
    expect(isTrustedSender('https://evil.example/', true)).toBe(false);
    expect(isTrustedSender('file:///etc/passwd', true)).toBe(false);
    expect(isTrustedSender('app://other/index.html', true)).toBe(false);
    expect(isTrustedSender(undefined, true)).toBe(false);
  });
  it('serves only files below the renderer root', () => {
    const root = '/opt/gh/renderer';
    expect(resolveAppPath('app://glasshouse/', root, join, normalize, sep)).toBe('/opt/gh/renderer/index.html');
    expect(resolveAppPath('app://glasshouse/assets/a.js', root, join, normalize, sep)).toBe('/opt/gh/renderer/assets/a.js');
    expect(resolveAppPath('app://glasshouse/..%2f..%2fetc/passwd', root, join, normalize, sep)).toBeUndefined();
    expect(resolveAppPath('app://evil/index.html', root, join, normalize, sep)).toBeUndefined();
  });
  it('opens only https documentation links externally', () => {
    expect(isAllowedExternal('https://attack.mitre.org/techniques/T1059/')).toBe(true);
    expect(isAllowedExternal('http://attack.mitre.org/')).toBe(false);
    expect(isAllowedExternal('file:///etc/passwd')).toBe(false);
    expect(isAllowedExternal('https://evil.example/')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { formatBytes, visible } from './text';

describe('visible', () => {
  it('shows ANSI escapes and newlines as symbols, never as control characters', () => {
    const out = visible('\u001b[31mred\u001b[0m\nx');
    expect(out).toBe('␛[31mred␛[0m␊x');
    expect(/[\u0000-\u001f]/.test(out)).toBe(false);
  });
  it('caps very long text', () => {
    expect(visible('a'.repeat(10), 4)).toBe('aaaa…');
  });
  it('formats sizes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(256 * 1024 * 1024)).toBe('256.0 MiB');
  });
});

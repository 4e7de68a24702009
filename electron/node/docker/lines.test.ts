import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { eachLine, lineSplitter } from './lines';

describe('lineSplitter', () => {
  it('joins lines and multi-byte characters torn across chunks, at every split point', () => {
    const text = 'café ☕ 1\n\n  😀 two  \nthree\n';
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const lines: string[] = [];
      const push = lineSplitter((l) => lines.push(l));
      push(bytes.subarray(0, cut));
      push(bytes.subarray(cut));
      expect(lines, `cut at byte ${cut}`).toEqual(['café ☕ 1', '', '  😀 two  ', 'three']);
    }
  });
});

describe('eachLine', () => {
  it('hands on non-empty lines, trimmed, and keeps an unfinished last line back', () => {
    const s = new PassThrough();
    const lines: string[] = [];
    eachLine(s, (l) => lines.push(l));
    s.write('{"a":1}\n\n {"b":"é');
    s.write(Buffer.from([0xc3]));
    expect(lines).toEqual(['{"a":1}']);
    s.write(Buffer.from([0xa9]));
    s.write('"}\r\n{"c"');
    expect(lines).toEqual(['{"a":1}', '{"b":"éé"}']);
  });
});

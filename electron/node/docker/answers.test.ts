import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DockerAnswerError, answerRejects, parseDiff } from './answers';

describe('parseDiff', () => {
  it('reads null, an empty body and a Buffer holding null as an empty diff', () => {
    expect(parseDiff('c', null)).toEqual([]);
    expect(parseDiff('c', Buffer.from('null\n'))).toEqual([]);
    expect(parseDiff('c', Buffer.alloc(0))).toEqual([]);
    expect(parseDiff('c', '')).toEqual([]);
  });
  it('parses a Buffer body of entries and plain arrays', () => {
    const body = Buffer.from('[{"Path":"/tmp","Kind":0},{"Path":"/tmp/x","Kind":1}]\n');
    expect(parseDiff('c', body)).toEqual([{ Path: '/tmp', Kind: 0 }, { Path: '/tmp/x', Kind: 1 }]);
    expect(parseDiff('c', [{ Path: '/etc', Kind: 2, Extra: 1 }])).toEqual([{ Path: '/etc', Kind: 2 }]);
  });
  it('turns a malformed answer into a named, counted error', () => {
    const before = answerRejects()['container diff'] ?? 0;
    expect(() => parseDiff('abc', [{ Kind: 1 }])).toThrow(DockerAnswerError);
    expect(() => parseDiff('abc', Buffer.from('{oops'))).toThrow(/container diff for container abc/);
    expect(answerRejects()['container diff']).toBe(before + 2);
  });
});

describe('parseDiff against answers recorded from dockerd 20.10', () => {
  const fixture = (f: string) => readFileSync(join(__dirname, '../../../test/fixtures/docker/docker-20.10', f));
  it('a read-only idle container (raw body `null\\n`) is an empty diff', () => {
    expect(parseDiff('c', fixture('diff-readonly-idle.json'))).toEqual([]);
  });
  it('a container that wrote a file lists the directory change and the new file', () => {
    expect(parseDiff('c', fixture('diff-changed.json'))).toEqual([{ Path: '/tmp', Kind: 0 }, { Path: '/tmp/m', Kind: 1 }]);
  });
});

// Property-based fuzzing of the recording opener (issue 16) on real SQLite files: a recording with bytes of the file
// changed, and a recording whose chunk blobs were replaced (random bytes, deflated random or damaged packed chunks, a
// lying event count), either opens and answers its queries or fails with a named GlasshouseError; never another
// error, a hang or an allocation the chunk's declared size does not allow. Each input is a real file on disk, so the
// runs are fewer than for the pure decoders: GLASSHOUSE_FUZZ_RUNS / 10 per property (see test/README.md).
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GlasshouseError } from '../../common/ipc/errors';
import { WorldState } from '../../common/state/index';
import { SyntheticSource } from '../capture/synthetic';
import { ChunkBuilder } from './eventCodec';
import { RecordingStore } from './recordingStore';

const RUNS = Math.max(50, Math.floor(Number(process.env.GLASSHOUSE_FUZZ_RUNS ?? 1000) / 10));

let dir = '';
let original: Uint8Array = new Uint8Array(0);
let packed: Uint8Array = new Uint8Array(0);
let bomb: Uint8Array = new Uint8Array(0);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-store-fuzz-'));
  const path = join(dir, 'base.glasshouse');
  const src = new SyntheticSource({ events: 1200, seed: 9 });
  const world = new WorldState();
  const store = RecordingStore.create(path, { title: 'fuzz' });
  const all = src.all();
  world.applyBatch(all);
  store.appendEvents(all);
  store.applyDelta(world.takeDelta());
  store.close();
  original = new Uint8Array(readFileSync(path)); // a plain copy: Buffer.slice() would share, not copy
  const b = new ChunkBuilder(1);
  for (const e of all.slice(0, 40)) b.add(e, 1);
  packed = b.seal()!.packed;
  bomb = deflateRawSync(new Uint8Array(40 * 1024 * 1024)); // ~40 KB that inflate to 40 MB
});
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

let n = 0;
/** Opens the file and asks what the app asks of a recording; returns the error, if any. */
function openAndRead(path: string): unknown {
  let s: RecordingStore | undefined;
  try {
    s = RecordingStore.open(path, { readonly: true });
    s.info();
    s.containers();
    s.eventsInWindow({ limit: 5000 });
    s.eventsInWindow({ newest: true, limit: 10 });
    s.eventsAfter(0, 5000);
    s.processes();
    s.files();
    s.flows();
    s.listFindings();
    s.gaps();
    return undefined;
  } catch (err) {
    return err;
  } finally {
    s?.close();
  }
}

function expectNamed(err: unknown): void {
  if (err === undefined || err instanceof GlasshouseError) return;
  throw new Error(`a crafted recording failed with something other than a GlasshouseError: ${String((err as Error)?.stack ?? err)}`);
}

describe('RecordingStore.open under fuzzing', () => {
  it('the unchanged recording opens and reads (the mutations below start from a file that works)', () => {
    const p = join(dir, 'plain.glasshouse');
    writeFileSync(p, original);
    expect(openAndRead(p)).toBeUndefined();
  });

  it('a recording with bytes of the file changed: it reads, or a GlasshouseError', () => {
    const mutation = fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 });
    fc.assert(fc.property(mutation, fc.boolean(), (muts, inHeaderPages) => {
      const bytes = original.slice();
      // half the inputs hit the first pages (header, sqlite_master, meta), where a change decides the most
      const span = inHeaderPages ? Math.min(bytes.length, 3 * 4096) : bytes.length;
      for (const [at, byte] of muts) bytes[Math.floor(at * span)] = byte;
      const p = join(dir, `m${n++}.glasshouse`);
      writeFileSync(p, bytes);
      try { expectNamed(openAndRead(p)); } finally { rmSync(p, { force: true }); }
    }), { numRuns: RUNS });
  });

  it('a recording whose chunk blobs were replaced: it reads, or a GlasshouseError', () => {
    const blob = fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc.uint8Array({ maxLength: 400 }).map((b) => deflateRawSync(b)),
      fc.array(fc.tuple(fc.nat(packed.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }).map((muts) => {
        const b = packed.slice();
        for (const [at, byte] of muts) b[at] = byte;
        return deflateRawSync(b);
      }),
      // a deflate bomb: far more bytes than any event count allows
      fc.constant(0).map(() => bomb),
    );
    const count = fc.oneof(fc.constant(40), fc.integer({ min: -2, max: 1000 }));
    fc.assert(fc.property(blob, count, (data, c) => {
      const p = join(dir, `c${n++}.glasshouse`);
      writeFileSync(p, original);
      const db = new Database(p);
      db.prepare('UPDATE event_chunks SET data = ?, count = ? WHERE first_id = (SELECT min(first_id) FROM event_chunks)').run(data, c);
      db.close();
      try { expectNamed(openAndRead(p)); } finally { rmSync(p, { force: true }); }
    }), { numRuns: RUNS });
  });
});

// Snapshot bundle of one container: committed image, filesystem export, inspect JSON, recording slice, manifest.json.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Dockerode from 'dockerode';
import { GlasshouseError, UserInputError } from '../../common/ipc/errors';
import { inspectInfo } from './answers';
import type { ManifestFile, SnapshotManifest, SnapshotResult, SnapshotStep } from '../../common/ipc/response';
import { hasVanished, refusal, vanished, type ActionJournal } from './actions';

export interface SnapshotProgress {
  step: SnapshotStep;
  fraction: number;
  bytes?: number;
  message: string;
}

/** Writes the recording slice of one container to destPath; returns why not when there is nothing to write. */
export type RecordingSliceProvider = (containerId: string, destPath: string) => Promise<{ written: true } | { written: false; why: string }>;

export interface SnapshotOptions {
  /** The bundle folder: created, or an existing empty folder. */
  outDir: string;
  /** Called synchronously at the start of each step and while bytes flow (at most ~4 times a second). */
  onProgress?: (p: SnapshotProgress) => void;
  recordingSlice?: RecordingSliceProvider;
  /** Also write the committed image as image.tar (docker save) so the bundle stands alone (default true). */
  saveImage?: boolean;
  /** Pause the container during `docker commit` for a consistent image (default true, like docker commit). */
  pause?: boolean;
  journal?: ActionJournal;
}

export const MANIFEST = 'manifest.json';

// Share of the whole bundle each step usually takes: the two tar streams dominate.
const WEIGHT: Record<SnapshotStep, [number, number]> = {
  check: [0, 0.02], inspect: [0.02, 0.04], commit: [0.04, 0.15], image: [0.15, 0.5], filesystem: [0.5, 0.92],
  recording: [0.92, 0.97], manifest: [0.97, 1],
};

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;

function outOfSpace(dir: string, part: string, written: number): GlasshouseError {
  return new GlasshouseError(`The snapshot target ${dir} ran out of space while writing ${part} (${mb(written)} written).`,
    'Free some space there or choose another folder (--out DIR); the partial bundle was removed.', 'ENOSPC');
}

/** Prepares the bundle folder; returns whether we created it (so a failure removes only what we made). */
async function prepareDir(dir: string): Promise<boolean> {
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new UserInputError(`The snapshot target ${dir} exists and is not a folder.`, 'Choose a new folder name with --out.');
    if ((await readdir(dir)).length > 0) throw new UserInputError(`The snapshot target ${dir} is not empty.`, 'Choose a new or empty folder, so no earlier bundle is overwritten.');
    return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      if (err instanceof GlasshouseError) throw err;
      throw new GlasshouseError(`The snapshot target ${dir} cannot be used: ${(err as Error).message}.`, 'Choose another folder with --out.');
    }
  }
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC') throw outOfSpace(dir, 'the folder', 0);
    throw new GlasshouseError(`Cannot create the snapshot folder ${dir} (${code ?? (err as Error).message}).`, 'Choose a folder you may write to with --out.', code);
  }
  return true;
}

async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    const s = await statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

/** Streams into a file while hashing and counting, reporting bytes as they flow. */
async function writeHashed(src: NodeJS.ReadableStream, path: string, onBytes: (n: number) => void): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes(bytes);
      cb(null, chunk);
    },
  });
  await pipeline(src, tap, createWriteStream(path));
  return { sha256: hash.digest('hex'), bytes };
}

export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

const safeRepo = (name: string) => name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '').slice(0, 100) || 'container';

/** Builds one snapshot bundle. On any failure the folder (or what we put in it) and the committed image are removed. */
export async function snapshotContainer(docker: Dockerode, id: string, opts: SnapshotOptions): Promise<SnapshotResult> {
  const dir = resolve(opts.outDir);
  let step = 'check' as SnapshotStep;
  let lastTick = 0;
  const report = (s: SnapshotStep, message: string, within = 0, bytes?: number) => {
    step = s;
    const [a, b] = WEIGHT[s];
    opts.onProgress?.({ step: s, fraction: a + (b - a) * Math.min(1, within), message, ...(bytes !== undefined ? { bytes } : {}) });
  };
  const flowing = (s: SnapshotStep, label: string, expected: number) => (n: number) => {
    const now = Date.now();
    if (now - lastTick < 250) return;
    lastTick = now;
    report(s, `${label}: ${mb(n)}${expected ? ` of about ${mb(expected)}` : ''}`, expected ? n / expected : 0.5, n);
  };

  report('check', `Checking ${id} and the target folder`);
  let info: Dockerode.ContainerInspectInfo & { SizeRootFs?: number; SizeRw?: number };
  try {
    info = await inspectInfo(docker, id, { size: true });
  } catch (err) {
    throw refusal(err, id, 'snapshotting');
  }
  const name = info.Name.replace(/^\//, '');
  const saveImage = opts.saveImage !== false;
  let imageSize = 0;
  try { imageSize = (await docker.getImage(info.Image).inspect()).Size ?? 0; } catch { /* image untagged or gone: estimate from the container */ }
  const fsSize = info.SizeRootFs ?? imageSize + (info.SizeRw ?? 0);
  const needed = fsSize + (saveImage ? imageSize + (info.SizeRw ?? 0) : 0) + 64 * 1024;
  // Check where the folder will be, before making it, so a full disk fails before anything is written.
  let probe = dir;
  while (!(await stat(probe).then(() => true, () => false)) && dirname(probe) !== probe) probe = dirname(probe);
  const free = await freeBytes(probe);
  if (free !== undefined && free < needed) {
    throw new GlasshouseError(`The snapshot target ${dir} has ${mb(free)} free, but the bundle of "${name}" needs about ${mb(needed)}.`,
      'Free some space there or choose another folder (--out DIR). Nothing was written.', 'ENOSPC');
  }
  const created = await prepareDir(dir);

  let committed: { id: string; tag: string } | undefined;
  const files: ManifestFile[] = [];
  const missing: Array<{ part: string; why: string }> = [];
  const part = async (file: string, write: (path: string) => Promise<{ sha256: string; bytes: number }>) => {
    const r = await write(join(dir, file));
    files.push({ path: file, sha256: r.sha256, bytes: r.bytes });
  };
  try {
    report('inspect', 'Saving the inspect JSON');
    await part('inspect.json', async (p) => {
      await writeFile(p, JSON.stringify(info, null, 2));
      return hashFile(p);
    });

    report('commit', `Committing "${name}" to an image${opts.pause === false ? '' : ' (paused for a moment)'}`);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').toLowerCase();
    const repo = `glasshouse-snapshot/${safeRepo(name)}`;
    const res = (await docker.getContainer(info.Id).commit({
      repo, tag: stamp, pause: opts.pause !== false, comment: `Glasshouse snapshot of ${name} (${info.Id.slice(0, 12)})`,
      changes: `LABEL dev.glasshouse.snapshot-of=${info.Id}`,
    })) as { Id: string };
    committed = { id: res.Id, tag: `${repo}:${stamp}` };

    if (saveImage) {
      report('image', 'Saving the committed image (docker save)');
      const expected = imageSize + (info.SizeRw ?? 0);
      await part('image.tar', async (p) => writeHashed(await docker.getImage(committed!.tag).get(), p, flowing('image', 'Image', expected)));
    }

    report('filesystem', 'Exporting the filesystem (docker export)');
    await part('filesystem.tar', async (p) => writeHashed(await docker.getContainer(info.Id).export(), p, flowing('filesystem', 'Filesystem', fsSize)));

    report('recording', 'Adding the recording slice');
    if (opts.recordingSlice) {
      const r = await opts.recordingSlice(info.Id, join(dir, 'recording.glasshouse'));
      if (r.written) files.push({ path: 'recording.glasshouse', ...(await hashFile(join(dir, 'recording.glasshouse'))) });
      else missing.push({ part: 'recording', why: r.why });
    } else {
      missing.push({ part: 'recording', why: 'No recording was active, so there are no runtime events for this container.' });
    }

    report('manifest', 'Writing manifest.json');
    // The engine may be asked again whether the container still exists: a bundle of a vanished container is not whole.
    await docker.getContainer(info.Id).inspect();
    const manifest: SnapshotManifest = {
      format: 'glasshouse-snapshot', version: 1, createdAt: new Date().toISOString(),
      container: { id: info.Id, name, image: info.Config.Image, imageId: info.Image },
      committedImage: committed, files, ...(missing.length ? { missing } : {}),
    };
    await writeFile(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    // Read back what was written: a bundle is evidence, and one that does not match its own manifest is not kept.
    report('manifest', 'Verifying the bundle against manifest.json');
    const problems = await verifyBundle(dir, manifest);
    if (problems.length) {
      throw new GlasshouseError(`The snapshot of "${name}" did not match its own manifest after writing (${problems.join('; ')}).`,
        'The partial bundle was removed. Check the disk and try again.', 'EVERIFY');
    }
    const total = files.reduce((s, f) => s + f.bytes, 0);
    const message = `Snapshot of "${name}" written to ${dir} and verified: ${files.length} files, ${mb(total)}; image ${committed.tag}.`;
    opts.onProgress?.({ step: 'manifest', fraction: 1, message });
    await opts.journal?.({ ts: Date.now(), action: 'snapshot', containerId: info.Id, containerName: name, outcome: 'done', message, detail: { dir, manifest } });
    return { dir, manifest, message };
  } catch (err) {
    // Nothing half-done: the partial folder (or what we added to a pre-existing empty one) and our image go.
    if (created) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    else for (const f of await readdir(dir).catch(() => [] as string[])) await rm(join(dir, f), { recursive: true, force: true }).catch(() => undefined);
    if (committed) await docker.getImage(committed.id).remove({ force: true, noprune: false }).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    const e = code === 'ENOSPC' ? outOfSpace(dir, step === 'image' ? 'image.tar' : step === 'filesystem' ? 'filesystem.tar' : step, files.reduce((s, f) => s + f.bytes, 0))
      : (await hasVanished(docker, info.Id, err)) ? vanished(name, `taking its snapshot (step: ${step})`, 'The partial bundle and the committed image were removed.')
        : refusal(err, name, 'snapshotting');
    await opts.journal?.({ ts: Date.now(), action: 'snapshot', containerId: info.Id, containerName: name, outcome: 'failed', message: e.message });
    throw e;
  }
}

/** Reads a bundle's manifest.json, or says why it cannot be a bundle. */
export async function readManifest(dir: string): Promise<SnapshotManifest> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch (e) {
    throw new UserInputError(`${dir} is not a snapshot bundle: it has no readable ${MANIFEST} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`,
      'Give the folder `glasshouse snapshot --out` wrote.');
  }
  let m: SnapshotManifest;
  try {
    m = JSON.parse(text) as SnapshotManifest;
  } catch (e) {
    throw new UserInputError(`${join(dir, MANIFEST)} is not valid JSON (${(e as Error).message}).`, 'The bundle is damaged; take the snapshot again.');
  }
  if (m?.format !== 'glasshouse-snapshot' || !Array.isArray(m.files) || m.files.some((f) => typeof f?.path !== 'string' || f.path.startsWith('/') || f.path.split('/').includes('..'))) {
    throw new UserInputError(`${join(dir, MANIFEST)} is not a Glasshouse snapshot manifest.`, 'Give the folder `glasshouse snapshot --out` wrote.');
  }
  return m;
}

/** Recomputes every file of a bundle and returns the problems (empty = verified). */
export async function verifyBundle(dir: string, manifest: SnapshotManifest): Promise<string[]> {
  const problems: string[] = [];
  for (const f of manifest.files) {
    try {
      const r = await hashFile(join(dir, f.path));
      if (r.sha256 !== f.sha256) problems.push(`${f.path}: sha256 differs`);
      if (r.bytes !== f.bytes) problems.push(`${f.path}: ${r.bytes} bytes, manifest says ${f.bytes}`);
    } catch {
      problems.push(`${f.path}: missing`);
    }
  }
  return problems;
}

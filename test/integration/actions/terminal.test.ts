// Terminals on the real dockerd: shell probing, round trip, resize, several at once, no shell, exec refused, close.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TerminalManager } from '../../../electron/node/docker/exec';
import { LogFollowers } from '../../../electron/node/docker/logs';
import type { LogFollowLines } from '../../../electron/common/ipc/response';
import type { TerminalExit } from '../../../electron/common/ipc/response';
import { docker, engineApi } from '../../support/docker';
import { waitFor } from '../../support/waitFor';
import { cleanupActions, ensureNoShellImage, runActionsContainer } from './support';

const api = engineApi();
const output = new Map<string, string>();
const exits: TerminalExit[] = [];
const terminals = new TerminalManager(() => api, {
  output: (o) => output.set(o.terminalId, (output.get(o.terminalId) ?? '') + o.data),
  exit: (e) => exits.push(e),
});

beforeAll(async () => {
  await cleanupActions();
});
afterAll(async () => {
  terminals.closeAll();
  await cleanupActions();
});

describe('terminals', () => {
  it('finds ash in busybox, round-trips input, resizes, and runs several at once', async () => {
    const c = await runActionsContainer();
    const t0 = Date.now();
    const a = await terminals.open(c.name, { cols: 80, rows: 24 });
    const openMs = Date.now() - t0;
    const b = await terminals.open(c.id, { cols: 120, rows: 40 });
    expect(a.shell).toBe('ash');
    expect(a.containerId).toBe(c.id);
    expect(a.terminalId).not.toBe(b.terminalId);
    terminals.input(a.terminalId, 'echo hi-$((6*7))\r');
    terminals.input(b.terminalId, 'echo other-$((1+1))\r');
    await waitFor('hi-42 in terminal a', () => output.get(a.terminalId)?.includes('hi-42'));
    await waitFor('other-2 in terminal b', () => output.get(b.terminalId)?.includes('other-2'));
    expect(output.get(a.terminalId)).not.toContain('other-2');
    terminals.input(b.terminalId, 'busybox stty size\r');
    await waitFor('40 120 from stty', () => output.get(b.terminalId)?.includes('40 120'));
    await terminals.resize(a.terminalId, 100, 30);
    terminals.input(a.terminalId, 'busybox stty size\r');
    await waitFor('30 100 from stty after resize', () => output.get(a.terminalId)?.includes('30 100'));
    // The exec shows up among the container's processes (what the process tree attributes to the terminal).
    const top = await docker(['top', c.id, '-o', 'pid,args']);
    expect(top).toMatch(/\bash\b/);
    // Re-attach returns what was on screen.
    expect(terminals.attach(a.terminalId).scrollback).toContain('hi-42');
    expect(terminals.list().map((t) => t.terminalId).sort()).toEqual([a.terminalId, b.terminalId].sort());
    // exit ends the terminal with its code.
    terminals.input(a.terminalId, 'exit 3\r');
    await waitFor('exit of a', () => exits.find((e) => e.terminalId === a.terminalId));
    expect(exits.find((e) => e.terminalId === a.terminalId)?.code).toBe(3);
    // close ends the other one, and no shell is left behind in the container.
    terminals.close(b.terminalId);
    await waitFor('exit of b', () => exits.find((e) => e.terminalId === b.terminalId), 10_000);
    await waitFor('no ash left in the container', async () => !/\bash\b/.test(await docker(['top', c.id, '-o', 'pid,args'])), 10_000);
    expect(() => terminals.input(a.terminalId, 'x')).toThrow('This terminal has ended.');
    console.log(`terminal open (probe + exec + attach): ${openMs} ms`);
  });

  it('says clearly when the container has no shell', async () => {
    const image = await ensureNoShellImage();
    const c = await runActionsContainer({ image, cmd: [] });
    const err = await terminals.open(c.name, { cols: 80, rows: 24 }).catch((e: Error) => e);
    expect((err as Error).message).toBe(`Container "${c.name}" has no shell: none of bash, ash, sh runs in it.`);
    expect((err as { hint?: string }).hint).toContain('distroless or FROM scratch');
    const picked = await terminals.open(c.name, { cols: 80, rows: 24, shell: '/bin/zsh' }).catch((e: Error) => e);
    expect((picked as Error).message).toBe(`Container "${c.name}" has no shell "/bin/zsh".`);
    expect(terminals.list().filter((t) => t.containerId === c.id)).toEqual([]);
  });

  it('turns an exec the engine refuses into a sentence (paused, stopped, gone)', async () => {
    const c = await runActionsContainer();
    await docker(['pause', c.id]);
    await expect(terminals.open(c.name, { cols: 80, rows: 24 })).rejects.toThrow(`Container "${c.name}" is paused, so no shell can start in it.`);
    await docker(['unpause', c.id]);
    await docker(['kill', c.id]);
    await expect(terminals.open(c.name, { cols: 80, rows: 24 })).rejects.toThrow(`Container "${c.name}" is not running, so no shell can start in it.`);
    await expect(terminals.open('gh-no-such-container-abc', { cols: 80, rows: 24 })).rejects.toThrow('There is no container "gh-no-such-container-abc" (any more).');
  });

  it('ends the terminal with a message when the container is removed under it', async () => {
    const c = await runActionsContainer();
    const t = await terminals.open(c.id, { cols: 80, rows: 24 });
    await docker(['rm', '-f', c.id]);
    const e = await waitFor('exit after removal', () => exits.find((x) => x.terminalId === t.terminalId), 15_000);
    expect(e.terminalId).toBe(t.terminalId);
  });
});

describe('log following', () => {
  it('streams new stdout and stderr lines with timestamps, in batches, until unfollowed', async () => {
    const batches: LogFollowLines[] = [];
    const follows = new LogFollowers(() => api, (l) => batches.push(l));
    const c = await runActionsContainer({ cmd: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo out-$i; echo err-$i >&2; sleep 0.2; done'] });
    const { followId } = await follows.follow(c.id);
    const lines = () => batches.filter((b) => b.followId === followId).flatMap((b) => b.lines);
    await waitFor('five stdout and stderr lines', () => lines().filter((l) => l.stream === 'stdout').length >= 5 && lines().some((l) => l.stream === 'stderr'), 15_000);
    const out = lines().filter((l) => l.stream === 'stdout');
    expect(out.every((l) => /^out-\d+$/.test(l.text) && l.ts > Date.now() - 60_000)).toBe(true);
    expect(lines().filter((l) => l.stream === 'stderr').every((l) => /^err-\d+$/.test(l.text))).toBe(true);
    // Consecutive numbers: nothing lost between batches.
    const n = out.map((l) => Number(l.text.slice(4)));
    expect(n).toEqual(n.map((_, i) => n[0] + i));
    follows.unfollow(followId);
    const count = lines().length;
    await new Promise((r) => setTimeout(r, 600));
    expect(lines().length).toBe(count);
    // The stream of a container that goes away ends with a final batch marked ended.
    const second = await follows.follow(c.id);
    await docker(['rm', '-f', c.id]);
    await waitFor('ended batch', () => batches.some((b) => b.followId === second.followId && b.ended), 10_000);
  });
});

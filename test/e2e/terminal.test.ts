// Terminals and response actions in Chromium against the real browser host and dockerd.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../support/docker';
import { launchBrowser, newPage, screenshot } from '../support/browser';
import { serve, type Served } from '../support/serve';
import { waitFor } from '../support/waitFor';
import { cleanupActions, ensureNoShellImage, runActionsContainer } from '../integration/actions/support';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let srv: Served;
let browser: BrowserContext;

beforeAll(async () => {
  await cleanupActions();
  srv = await serve({ DOCKER_HOST: 'unix:///var/run/docker.sock', GLASSHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gh-e2e-data-')) });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await srv?.stop();
  await cleanupActions();
});

async function openContainer(page: Page, name: string) {
  await page.goto(srv.url);
  const row = page.getByTestId('container-row').filter({ hasText: name });
  await row.waitFor({ timeout: 15_000 });
  await row.click();
  await page.getByTestId('detail-name').filter({ hasText: name }).waitFor();
}

/** The text xterm.js renders (its DOM renderer keeps one div per row). */
const screenText = (page: Page) => page.locator('.xterm-rows').first().innerText();

describe('terminal in the browser host', () => {
  it('copies a selection with Ctrl+Shift+C and pastes with Ctrl+Shift+V, keeping Ctrl+C for the shell', async () => {
    const c = await runActionsContainer();
    await browser.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: srv.origin });
    const page = await newPage(browser);
    await openContainer(page, c.name);
    await page.getByTestId('tab-terminal').click();
    await page.getByTestId('terminal-open').click();
    await page.locator('.xterm-rows').waitFor();
    await waitFor('a shell prompt', async () => /[#$][ \u00a0]*$/m.test(await screenText(page)), 10_000);
    await page.locator('.xterm').click();

    await page.evaluate(() => navigator.clipboard.writeText('echo pasted-$((2+3))'));
    await page.keyboard.press('Control+Shift+V');
    await page.keyboard.press('Enter');
    await waitFor('the pasted command ran', async () => /^pasted-5[\s\u00a0]*$/m.test(await screenText(page)), 10_000)
      .catch(async (e) => { await screenshot(page, 'terminal-paste-failed'); console.log('SCREEN', JSON.stringify(await screenText(page))); throw e; });

    await page.keyboard.type('echo copy-me-123');
    await page.keyboard.press('Enter');
    const out = page.locator('.xterm-rows > div', { hasText: /^copy-me-123[\s\u00a0]*$/ }).first();
    await out.waitFor();
    const box = (await out.boundingBox())!;
    await page.mouse.dblclick(box.x + 8, box.y + box.height / 2);
    await page.keyboard.press('Control+Shift+C');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('copy-me-123');
    expect(page.problems).toEqual([]);
  });

  it('round-trips a command, resizes, and runs several terminals; survives a reload', async () => {
    const c = await runActionsContainer();
    const page = await newPage(browser);
    await openContainer(page, c.name);
    await page.getByTestId('tab-terminal').click();
    await page.getByTestId('terminal-empty').waitFor();
    const t0 = Date.now();
    await page.getByTestId('terminal-open').click();
    await page.locator('.xterm-rows').waitFor();
    await waitFor('a shell prompt', async () => /[#$][ \u00a0]*$/m.test(await screenText(page)), 10_000)
      .catch(async (e) => { await screenshot(page, 'terminal-no-prompt'); throw e; });
    const openMs = Date.now() - t0;
    await page.locator('.xterm').click();
    await page.keyboard.type('echo hi-$((6*7))');
    await page.keyboard.press('Enter');
    await waitFor('hi-42 on screen', async () => (await screenText(page)).includes('hi-42'), 10_000);
    expect(await screenText(page)).toContain('echo hi-$((6*7))'); // the echo of what was typed, unevaluated

    // Resize the window: xterm refits, the engine resizes the TTY, and stty sees it.
    await page.setViewportSize({ width: 1000, height: 600 });
    await page.waitForTimeout(400);
    await page.keyboard.type('busybox stty size');
    await page.keyboard.press('Enter');
    const small = await waitFor('stty size output', async () => /^(\d+) (\d+)[\s\u00a0]*$/m.exec(await screenText(page)) ?? undefined, 10_000);
    await page.setViewportSize({ width: 1400, height: 860 });
    await page.waitForTimeout(400);
    await page.keyboard.type('clear; busybox stty size');
    await page.keyboard.press('Enter');
    const big = await waitFor('stty size after growing', async () => {
      const m = /^(\d+) (\d+)[\s\u00a0]*$/m.exec(await screenText(page));
      return m && m[0] !== small[0] ? m : undefined;
    }, 10_000);
    expect(Number(big[2])).toBeGreaterThan(Number(small[2]));
    expect(Number(big[1])).toBeGreaterThan(Number(small[1]));
    // The engine's TTY size is what xterm shows: stty's columns equal the rendered row width in cells.
    const cols = await page.evaluate(() => document.querySelector('.xterm-rows > div')?.textContent?.length ?? 0);
    expect(Number(big[2])).toBeGreaterThanOrEqual(cols);
    await screenshot(page, 'terminal-round-trip');

    // A second terminal, independent of the first.
    await page.getByTestId('terminal-open').click();
    await waitFor('two terminal tabs', async () => (await page.getByTestId('terminal-tab').count()) === 2);
    await waitFor('second prompt', async () => /[#$][ \u00a0]*$/m.test(await screenText(page)), 10_000);
    expect(await screenText(page)).not.toContain('hi-42');
    await page.locator('.xterm').click();
    await page.keyboard.type('echo second-$((2+3))');
    await page.keyboard.press('Enter');
    await waitFor('second-5', async () => (await screenText(page)).includes('second-5'), 10_000);
    await page.getByTestId('terminal-tab').first().click();
    // The first one repaints from the engine's scrollback (its screen was cleared, then stty printed its size).
    await waitFor('first terminal repainted', async () => (await screenText(page)).includes(big[0].trim()), 10_000);
    await screenshot(page, 'terminal-two');

    // Reload: the terminals live in the engine and come back with their output.
    await page.reload();
    await page.getByTestId('container-row').filter({ hasText: c.name }).click();
    await page.getByTestId('tab-terminal').click();
    await waitFor('terminals back after reload', async () => (await page.getByTestId('terminal-tab').count()) === 2, 10_000);
    await waitFor('output back after reload', async () => {
      const text = await screenText(page);
      return text.includes('second-5') || text.includes(big[0].trim());
    }, 10_000);

    // exit ends the shell and says so.
    await page.locator('.xterm').click();
    await page.keyboard.type('exit 4');
    await page.keyboard.press('Enter');
    await page.getByTestId('terminal-ended').filter({ hasText: 'code 4' }).waitFor({ timeout: 10_000 });
    // No CSP violation (xterm's runtime styles go through constructed stylesheets), no page errors.
    expect(page.problems).toEqual([]);
    // Rendered with its theme: xterm's runtime CSS applied (the cursor/rows have sizes and colours).
    const rowHeight = await page.evaluate(() => (document.querySelector('.xterm-rows > div') as HTMLElement).getBoundingClientRect().height);
    expect(rowHeight).toBeGreaterThan(8);
    console.log(`terminal open to prompt in the browser: ${openMs} ms`);
  });

  it('says clearly when the container has no shell, and no terminal hangs', async () => {
    const image = await ensureNoShellImage();
    const c = await runActionsContainer({ image, cmd: [] });
    const page = await newPage(browser);
    await openContainer(page, c.name);
    await page.getByTestId('tab-terminal').click();
    await page.getByTestId('terminal-open').click();
    await page.getByTestId('terminal-error').filter({ hasText: `Container "${c.name}" has no shell: none of bash, ash, sh runs in it.` }).waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('terminal-tab').count()).toBe(0);
    await screenshot(page, 'terminal-no-shell');
    expect(page.problems).toEqual([]);
  });
});

describe('response actions in the browser host', () => {
  it('pauses with a confirmation, isolates and undoes, and shows snapshot progress', async () => {
    const c = await runActionsContainer();
    const page = await newPage(browser);
    await openContainer(page, c.name);
    // Cancel really cancels.
    await page.getByTestId('action-pause').click();
    await page.getByTestId('confirm-dialog').waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await docker(['inspect', c.id, '--format', '{{.State.Paused}}'])).toBe('false');
    await page.getByTestId('action-pause').click();
    await page.getByTestId('confirm-yes').click();
    await page.getByTestId('action-message').filter({ hasText: 'paused.' }).waitFor();
    expect(await docker(['inspect', c.id, '--format', '{{.State.Paused}}'])).toBe('true');
    await page.getByTestId('action-unpause').click();
    await page.getByTestId('confirm-yes').click();
    await page.getByTestId('action-message').filter({ hasText: 'unpaused.' }).waitFor();

    await page.getByTestId('action-isolate').click();
    await page.getByTestId('confirm-yes').click();
    await page.getByTestId('isolated-badge').filter({ hasText: 'isolated from bridge' }).waitFor();
    expect(await docker(['inspect', c.id, '--format', '{{len .NetworkSettings.Networks}}'])).toBe('0');
    await screenshot(page, 'actions-isolated');
    await page.getByTestId('action-unisolate').click();
    await page.getByTestId('confirm-yes').click();
    await page.getByTestId('action-message').filter({ hasText: 'reconnected to bridge' }).waitFor();
    expect(await docker(['inspect', c.id, '--format', '{{len .NetworkSettings.Networks}}'])).toBe('1');

    await page.getByTestId('action-snapshot').click();
    await page.getByTestId('confirm-yes').click();
    await page.getByTestId('snapshot-progress').waitFor({ timeout: 10_000 });
    await page.getByTestId('action-message').filter({ hasText: /Snapshot of .* written to .*: 3 files/ }).waitFor({ timeout: 60_000 });
    await screenshot(page, 'actions-snapshot-done');
    // A snapshot keeps its committed image (the bundle names it): this test's one is removed, not left on the engine.
    const committed = (await docker(['images', '-q', '--filter', `label=dev.glasshouse.snapshot-of=${c.id}`])).split('\n').filter(Boolean);
    expect(committed).toHaveLength(1);
    await docker(['rmi', '-f', ...committed]);
    expect(page.problems).toEqual([]);
  });
});

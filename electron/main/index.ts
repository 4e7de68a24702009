// Electron main: app lifecycle, the app:// protocol, hardened windows, and one validating IPC handler.
import { app, BrowserWindow, dialog, ipcMain, net, protocol, safeStorage, session, shell } from 'electron';
import { join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { APP_ORIGIN, IPC_CHANNEL_CALL, IPC_CHANNEL_EVENT } from '../common/ipc/channels';
import { dispatch } from '../common/ipc/dispatch';
import { PeerSubscriptions } from '../common/ipc/peer';
import { Engine } from '../node/engine';
import { usePrivateUmask } from '../node/privateFiles';
import { APP_CSP, WEB_PREFERENCES, isAllowedExternal, isTrustedSender, resolveAppPath } from './security';
import { SafeStorageSecretStore } from './secrets';
import { exportWithDialog } from './exportDialog';
import { openRecordingWithDialog } from './openDialog';

const rendererRoot = join(__dirname, '..', 'renderer');

// Must run before 'ready': app:// behaves like a secure, standard origin (so 'self' in the CSP means it).
protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let engine: Engine | undefined;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400, height: 900, minWidth: 900, minHeight: 600, backgroundColor: '#0d1117', show: false,
    title: 'Glasshouse',
    webPreferences: { ...WEB_PREFERENCES, preload: join(__dirname, 'preload.cjs') },
  });
  win.once('ready-to-show', () => win.show());
  // Navigation away from the app and new windows are denied; documentation links open in the OS browser.
  win.webContents.on('will-navigate', (e, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) e.preventDefault();
  });
  win.webContents.on('will-redirect', (e, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) e.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternal(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-attach-webview', (e) => e.preventDefault());
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}

app.enableSandbox();

// Recordings, snapshots and exports hold what containers did: files 0600, folders 0700.
usePrivateUmask();

app.whenReady().then(async () => {
  // Deny every permission (camera, notifications, ...): the app needs none.
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  protocol.handle('app', async (request) => {
    const file = resolveAppPath(request.url, rendererRoot, join, normalize, sep);
    if (!file) return new Response('Not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', APP_CSP);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(res.body, { status: res.status, headers });
  });

  // Packaged apps carry the helper as an extra resource (build/electron-builder.yml); dev runs use native/build.
  const helperPath = app.isPackaged ? join(process.resourcesPath, 'helper', 'glasshouse-helper') : undefined;
  // Tokens typed into the app are encrypted with safeStorage; when it cannot encrypt, none are stored (the reason is shown).
  const secretStore = new SafeStorageSecretStore(safeStorage, app.getPath('userData'));
  const secretNote = secretStore.unavailableReason();
  engine = new Engine({ dataDir: app.getPath('userData'), helperPath, secrets: secretNote ? { note: secretNote } : { store: secretStore } });
  const eng = engine;
  // One subscription book per window: frames go only to the window that subscribed; closing it unsubscribes.
  const peers = new Map<number, PeerSubscriptions>();
  const peerOf = (wc: Electron.WebContents) => {
    let p = peers.get(wc.id);
    if (!p) {
      const fresh = new PeerSubscriptions();
      peers.set(wc.id, (p = fresh));
      wc.once('destroyed', () => {
        peers.delete(wc.id);
        void fresh.close(eng.handlers);
      });
    }
    return p;
  };
  ipcMain.handle(IPC_CHANNEL_CALL, async (event, method: unknown, params: unknown) => {
    const frame = event.senderFrame;
    if (!frame || !isTrustedSender(frame.url, frame === event.sender.mainFrame)) {
      return { ok: false, error: { name: 'PermissionDeniedError', message: 'This frame may not call the Glasshouse engine.' } };
    }
    // "Export…" in the app: the engine renders, main asks where to save (the renderer never names a path).
    const win = BrowserWindow.fromWebContents(event.sender);
    // "Open a file…": main asks which recording; a page may name only the engine's own folder and recent list.
    const handlers = method === 'export.report' ? {
      ...eng.handlers,
      'export.report': (p: Parameters<typeof eng.handlers['export.report']>[0]) => exportWithDialog(eng.handlers, p,
        (o) => (win ? dialog.showSaveDialog(win, o) : dialog.showSaveDialog(o)), app.getPath('documents')),
    } : method === 'recording.open' ? {
      ...eng.handlers,
      'recording.open': (p: Parameters<typeof eng.handlers['recording.open']>[0]) => openRecordingWithDialog(eng, p,
        (o) => (win ? dialog.showOpenDialog(win, o) : dialog.showOpenDialog(o)), join(eng.dataDir, 'recordings')),
    } : eng.handlers;
    const envelope = await dispatch(handlers, method, params);
    peerOf(event.sender).track(method, params, envelope);
    return envelope;
  });
  eng.onEvent((name, payload) => {
    for (const w of BrowserWindow.getAllWindows()) {
      if (peerOf(w.webContents).accepts(name, payload)) w.webContents.send(IPC_CHANNEL_EVENT, name, payload);
    }
  });
  await eng.start();
  createWindow();

  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault());
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('before-quit', () => {
  engine?.stop();
});

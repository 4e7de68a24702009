// Sandboxed preload: exposes exactly one frozen, typed object, `window.glasshouse`, and nothing of ipcRenderer.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CHANNEL_CALL, IPC_CHANNEL_EVENT } from '../common/ipc/channels';

type Listener = (event: string, payload: unknown) => void;

const bridge = Object.freeze({
  call(method: string, params: unknown): Promise<unknown> {
    if (typeof method !== 'string') return Promise.reject(new TypeError('method must be a string'));
    return ipcRenderer.invoke(IPC_CHANNEL_CALL, method, params);
  },
  onEvent(listener: Listener): () => void {
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    // Wrap so the renderer never receives the IpcRendererEvent (it exposes sender internals).
    const wrapped = (_e: IpcRendererEvent, event: string, payload: unknown) => listener(event, payload);
    ipcRenderer.on(IPC_CHANNEL_EVENT, wrapped);
    return () => ipcRenderer.removeListener(IPC_CHANNEL_EVENT, wrapped);
  },
});

contextBridge.exposeInMainWorld('glasshouse', bridge);

// Electron IPC channel names, kept free of dependencies so the sandboxed preload stays tiny.
export const IPC_CHANNEL_CALL = 'glasshouse:call';
export const IPC_CHANNEL_EVENT = 'glasshouse:event';
/** The only origin the app's own windows load from (custom protocol, never file://). */
export const APP_ORIGIN = 'app://glasshouse';

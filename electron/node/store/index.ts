// Recordings on disk: the only place that touches SQLite.
export { RecordingStore, storeCreateError } from './recordingStore';
export type { RecordedLoss, RecordingInfo, RecordingMeta, StoredContainer, StoredEvent, EventQuery, WriteStats, StoreOptions } from './recordingStore';
export { RecentRecordings } from './recent';
export type { RecentRecording } from './recent';
export { APPLICATION_ID, SCHEMA_VERSION } from './schema';
export { checkRecordingHeader } from './validate';
export { UNSAVED_META } from './writer';

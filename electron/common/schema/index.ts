// Decoders for helper records; SCHEMA_VERSION mirrors native/include/wire.h.
export * from './wire';
export * from './decoder';
export * from './control';

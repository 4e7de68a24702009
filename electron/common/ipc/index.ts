// The engine API contract, its errors and the validating dispatcher.
export * from './contract';
export * from './errors';
export * from './dispatch';
export * from './channels';
export * from './peer';

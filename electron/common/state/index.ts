// State tables: pure reducers from RuntimeEvents to the view models the UI and reports show.
export * from './processTable';
export * from './fileTable';
export * from './flowAggregator';
export * from './containerTable';
export * from './resourceTable';
export * from './worldState';
export * from './keys';

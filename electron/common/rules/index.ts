// Public surface of the rules layer: Falco-compatible engine, findings, posture checks, exception writer.
export { RuleEngine, severityOfPriority, splitDesc, type CompiledRule, type RuleMatch, type RuleEngineOptions } from './engine';
export { loadRuleSources, formatDiagnostic, ENGINE_VERSION, type RuleSource, type Diagnostic, type SourceLoc } from './loader';
export { FindingTracker, fingerprint, imageKey, evidenceKey, ancestryOf } from './findings';
export { EMPTY_CONTEXT, type RuleContext, type RuleProcess, type RuleContainer } from './context';
export { SYSCALL_TO_KIND, KIND_TO_SYSCALL } from './evttype';
export { supportedFields } from './fields';
export { sha256Hex } from './sha256';
export * from './posture';

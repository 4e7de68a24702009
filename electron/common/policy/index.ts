// Policy as code: parse glasshouse.yaml, evaluate observations, get Findings with source 'policy'.
export * from './policy';
export * from './evaluate';

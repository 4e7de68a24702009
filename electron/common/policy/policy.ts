// glasshouse.yaml: per-compose-service allow-lists (processes, egress, file writes) parsed with line-numbered errors.
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node as YamlNode } from 'yaml';
import type { Severity } from '../model/finding';
import { SEVERITIES } from '../model/finding';

export const POLICY_FILE_NAMES = ['glasshouse.yaml', 'glasshouse.yml'] as const;

/** One allowed egress destination: host (name glob, IP, CIDR, or *) and an optional port (undefined = any). */
export interface EgressRule { text: string; host: string; port?: number; line: number }
export interface PatternRule { text: string; line: number }

export interface ServicePolicy {
  service: string;
  line: number;
  /** undefined = not enforced; [] = nothing allowed. */
  processes?: PatternRule[];
  egress?: EgressRule[];
  writes?: PatternRule[];
  severity: Severity;
}

export interface Policy {
  version: 1;
  file: string;
  services: Map<string, ServicePolicy>;
}

export interface PolicyProblem { file: string; line: number; message: string }

const SERVICE_KEYS = ['processes', 'egress', 'writes', 'severity'];

function toEgress(text: string): { host: string; port?: number } | string {
  const t = text.trim();
  if (!t) return 'is empty';
  // [v6]:port, v4-or-name:port, or a bare host/CIDR meaning any port.
  const v6 = /^\[([^\]]+)\](?::(\d+|\*))?$/.exec(t);
  let host: string;
  let port: string | undefined;
  if (v6) { host = v6[1]; port = v6[2]; } else {
    const i = t.lastIndexOf(':');
    if (i > 0 && !t.slice(0, i).includes(':')) { host = t.slice(0, i); port = t.slice(i + 1); } else { host = t; }
  }
  if (port === undefined || port === '*') return { host };
  const n = Number(port);
  if (!/^\d+$/.test(port) || n < 1 || n > 65535) return `has a bad port "${port}" (use 1-65535 or *)`;
  return { host, port: n };
}

/** Parses the policy; never throws. Problems carry a line and say what to write instead. */
export function parsePolicy(text: string, file = 'glasshouse.yaml'): { policy?: Policy; problems: PolicyProblem[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  const problems: PolicyProblem[] = [];
  const lineOf = (n: YamlNode | null | undefined) => (n?.range ? lc.linePos(n.range[0]).line : 1);
  const problem = (n: YamlNode | null | undefined, message: string) => problems.push({ file, line: lineOf(n), message });
  for (const e of doc.errors) problems.push({ file, line: e.linePos?.[0]?.line ?? 1, message: e.message.split('\n')[0] });
  if (doc.errors.length) return { problems };

  const root = doc.contents;
  if (!isMap(root)) { problem(root as YamlNode, 'The policy must be a mapping with "version: 1" and "services:".'); return { problems }; }
  const version = root.get('version', true);
  if (!isScalar(version) || Number(version.value) !== 1) problem((version as YamlNode) ?? root, 'Set "version: 1" (the only policy version there is).');
  for (const item of root.items) {
    const k = isScalar(item.key) ? String(item.key.value) : '';
    if (!['version', 'defaults', 'services'].includes(k)) problem(item.key as YamlNode, `Unknown key "${k}": expected version, defaults or services.`);
  }

  const readService = (name: string, node: unknown, inherit?: ServicePolicy): ServicePolicy | undefined => {
    const sp: ServicePolicy = {
      service: name, line: lineOf(node as YamlNode), severity: inherit?.severity ?? 'high',
      processes: inherit?.processes, egress: inherit?.egress, writes: inherit?.writes,
    };
    if (node === null || (isScalar(node) && node.value === null)) return sp;
    if (!isMap(node)) { problem(node as YamlNode, `services.${name} must be a mapping of processes, egress, writes and severity.`); return undefined; }
    for (const item of node.items) {
      const key = isScalar(item.key) ? String(item.key.value) : '';
      const where = `services.${name}.${key}`;
      if (!SERVICE_KEYS.includes(key)) { problem(item.key as YamlNode, `Unknown key "${key}" in ${name}: expected ${SERVICE_KEYS.join(', ')}.`); continue; }
      const v = item.value;
      if (key === 'severity') {
        const s = isScalar(v) ? String(v.value) : '';
        if (!(SEVERITIES as readonly string[]).includes(s)) problem(v as YamlNode, `${where} must be one of ${SEVERITIES.join(', ')}.`);
        else sp.severity = s as Severity;
        continue;
      }
      if (!isSeq(v)) { problem((v as YamlNode) ?? item.key, `${where} must be a list (use [] to allow nothing).`); continue; }
      const list: Array<{ text: string; line: number; node: YamlNode }> = [];
      for (const el of v.items) {
        if (!isScalar(el) || el.value === null || typeof el.value === 'object') { problem(el as YamlNode, `${where} entries must be strings.`); continue; }
        list.push({ text: String(el.value), line: lineOf(el), node: el });
      }
      if (key === 'egress') {
        const rules: EgressRule[] = [];
        for (const e of list) {
          const parsed = toEgress(e.text);
          if (typeof parsed === 'string') problem(e.node, `${where} entry "${e.text}" ${parsed}.`);
          else rules.push({ text: e.text, line: e.line, ...parsed });
        }
        sp.egress = rules;
      } else {
        const bad = list.find((e) => key === 'writes' && !e.text.startsWith('/'));
        if (bad) problem(bad.node, `${where} entry "${bad.text}" must be an absolute path or glob, e.g. /tmp/**.`);
        sp[key as 'processes' | 'writes'] = list.map(({ text: t, line }) => ({ text: t, line }));
      }
    }
    return sp;
  };

  const defaultsNode = root.get('defaults', true);
  const defaults = defaultsNode === undefined ? undefined : readService('defaults', defaultsNode);
  const services = new Map<string, ServicePolicy>();
  const servicesNode = root.get('services', true);
  if (servicesNode === undefined) problem(root, 'Add "services:" with one entry per compose service (or container name).');
  else if (!isMap(servicesNode)) problem(servicesNode as YamlNode, '"services" must be a mapping of service names.');
  else {
    for (const item of servicesNode.items) {
      const name = isScalar(item.key) ? String(item.key.value) : '';
      const sp = readService(name, item.value, defaults);
      if (sp) services.set(name, { ...sp, line: lineOf(item.key as YamlNode) });
    }
  }
  if (problems.length) return { problems };
  return { policy: { version: 1, file, services }, problems };
}

export function formatProblems(problems: PolicyProblem[]): string {
  return problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n');
}

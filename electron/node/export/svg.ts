// Tiny, dependency-free layouts that draw the process tree and the flow graph as inline SVG for the HTML report.
import type { ContainerRef, ContainerSummary, Finding, Flow, ProcessNode, Severity } from '../../common/model';
import { SEVERITY_RANK } from '../../common/model';
import { basename, severityClass } from './shared';

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function clipText(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

const ROW = 26;
const COL = 170;
const NODE_W = 150;
const NODE_H = 20;
/** Beyond this a tree stops being readable in a static page; the JSON export keeps everything. */
export const MAX_TREE_NODES = 400;

interface Placed { node: ProcessNode; depth: number; row: number; children: Placed[] }

/**
 * Layered tidy-tree: leaves take consecutive rows in start order, a parent sits at the middle of its
 * children. O(n), deterministic, good enough for process trees (wide and shallow).
 */
export function layoutProcessTree(processes: ProcessNode[]): { roots: Placed[]; rows: number; depth: number; truncated: number } {
  const list = [...processes].sort((a, b) => a.start - b.start || a.tgid - b.tgid).slice(0, MAX_TREE_NODES);
  const byKey = new Map(list.map((p) => [p.key, { node: p, depth: 0, row: 0, children: [] as Placed[] }]));
  const roots: Placed[] = [];
  for (const placed of byKey.values()) {
    const parent = placed.node.parentKey ? byKey.get(placed.node.parentKey) : undefined;
    if (parent && parent !== placed) parent.children.push(placed);
    else roots.push(placed);
  }
  let next = 0;
  let maxDepth = 0;
  const seen = new Set<Placed>();
  const visit = (p: Placed, depth: number) => {
    if (seen.has(p)) return; // a malformed parent cycle must not hang the export
    seen.add(p);
    p.depth = depth;
    maxDepth = Math.max(maxDepth, depth);
    if (!p.children.length) { p.row = next++; return; }
    for (const c of p.children) visit(c, depth + 1);
    const rows = p.children.filter((c) => seen.has(c)).map((c) => c.row);
    p.row = rows.length ? (Math.min(...rows) + Math.max(...rows)) / 2 : next++;
  };
  for (const r of roots) visit(r, 0);
  return { roots, rows: next, depth: maxDepth, truncated: Math.max(0, processes.length - list.length) };
}

function worstFor(findings: Finding[]): Severity | undefined {
  let w: Severity | undefined;
  for (const f of findings) if (!w || SEVERITY_RANK[f.severity] > SEVERITY_RANK[w]) w = f.severity;
  return w;
}

/** Severity of the worst finding whose ancestry names this process (same container, same pid). */
function processSeverity(p: ProcessNode, findings: Finding[]): Severity | undefined {
  return worstFor(findings.filter((f) => f.container.id === p.containerId && f.evidence.ancestry?.some((a) => a.pid === p.tgid)));
}

export function processTreeSvg(processes: ProcessNode[], findings: Finding[], title: string): string {
  if (!processes.length) return '';
  const { roots, rows, depth, truncated } = layoutProcessTree(processes);
  const width = (depth + 1) * COL + 20;
  const height = Math.max(1, rows) * ROW + 20;
  const parts: string[] = [];
  const walk = (p: Placed) => {
    const x = 10 + p.depth * COL;
    const y = 10 + p.row * ROW;
    for (const c of p.children) {
      const cx = 10 + c.depth * COL;
      const cy = 10 + c.row * ROW;
      parts.push(`<path class="edge" d="M${x + NODE_W} ${y + NODE_H / 2} C${x + NODE_W + 10} ${y + NODE_H / 2} ${cx - 10} ${cy + NODE_H / 2} ${cx} ${cy + NODE_H / 2}"/>`);
    }
    const sev = processSeverity(p.node, findings);
    const label = `${basename(p.node.exe || p.node.comm)} (${p.node.tgid})`;
    const tip = [p.node.exe, p.node.argv.join(' '), p.node.exitCode !== undefined ? `exit ${p.node.exitCode}` : ''].filter(Boolean).join('\n');
    parts.push(`<g class="proc${sev ? ` sev-${severityClass(sev)}` : ''}${p.node.exit !== undefined ? ' exited' : ''}"><title>${esc(tip)}</title>`
      + `<rect x="${x}" y="${y}" width="${NODE_W}" height="${NODE_H}" rx="4"/>`
      + `<text x="${x + 6}" y="${y + 14}">${esc(clipText(label, 24))}</text></g>`);
    for (const c of p.children) walk(c);
  };
  for (const r of roots) walk(r);
  const note = truncated ? `<p class="note">${truncated} later processes are not drawn; the JSON export has all of them.</p>` : '';
  return `<svg class="tree" role="img" aria-label="${esc(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>${note}`;
}

export function remoteLabel(f: Flow): string {
  const who = f.remoteContainer ?? f.dnsName ?? f.remoteAddr;
  return `${who}:${f.remotePort}/${f.proto}`;
}

/** Bipartite drawing: watched containers on the left, remotes on the right, edge width by connection count. */
export function flowGraphSvg(flows: Flow[], containers: Array<ContainerRef | ContainerSummary>, findings: Finding[]): string {
  if (!flows.length) return '';
  const shown = [...flows].sort((a, b) => b.count - a.count).slice(0, 200);
  const left = [...new Set(shown.map((f) => f.containerId))];
  const right = [...new Set(shown.map(remoteLabel))];
  const name = (id: string) => containers.find((c) => c.id === id)?.name ?? id.slice(0, 12);
  const LW = 180;
  const RX = 420;
  const height = Math.max(left.length, right.length) * 34 + 20;
  const ly = (i: number) => 10 + i * 34 + (height - 20 - left.length * 34) / 2;
  const ry = (i: number) => 10 + i * 34 + (height - 20 - right.length * 34) / 2;
  const flaggedKeys = new Set(findings.map((f) => f.evidence.flowKey).filter((k): k is string => !!k));
  // Findings from before evidence carried flow keys name the endpoint instead.
  const flagged = new Set(findings.filter((f) => !f.evidence.flowKey).map((f) => f.evidence.endpoint).filter((e): e is string => !!e));
  const parts: string[] = [];
  for (const f of shown) {
    const li = left.indexOf(f.containerId);
    const ri = right.indexOf(remoteLabel(f));
    const bad = flaggedKeys.has(f.key) || flagged.has(`${f.remoteAddr}:${f.remotePort}`) || (f.dnsName ? flagged.has(`${f.dnsName}:${f.remotePort}`) : false);
    const w = Math.min(8, 1 + Math.log2(Math.max(1, f.count)));
    parts.push(`<line class="flow${bad ? ' flagged' : ''}${f.direction === 'inbound' ? ' inbound' : ''}" x1="${10 + LW}" y1="${ly(li) + 12}" x2="${RX}" y2="${ry(ri) + 12}" stroke-width="${w.toFixed(1)}"><title>${esc(`${f.direction} ${f.proto} ${f.remoteAddr}:${f.remotePort} ×${f.count}${f.failures ? `, ${f.failures} failed` : ''} — ${f.exes.join(', ')}`)}</title></line>`);
  }
  left.forEach((id, i) => {
    parts.push(`<g class="node container"><rect x="10" y="${ly(i)}" width="${LW}" height="24" rx="4"/><text x="16" y="${ly(i) + 16}">${esc(clipText(name(id), 26))}</text></g>`);
  });
  right.forEach((label, i) => {
    parts.push(`<g class="node remote"><rect x="${RX}" y="${ry(i)}" width="${LW + 40}" height="24" rx="4"/><text x="${RX + 6}" y="${ry(i) + 16}">${esc(clipText(label, 32))}</text></g>`);
  });
  const width = RX + LW + 60;
  return `<svg class="flows" role="img" aria-label="Network flows" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

// Process tree layout (d3-hierarchy, indented rows so 10 000 labelled nodes stay readable) and its canvas painter.
import { hierarchy, type HierarchyNode } from 'd3';
import type { ProcessNode } from '../../../electron/common/model/process';
import type { Severity } from '../../../electron/common/model/finding';

export const ROW_H = 22;
export const INDENT = 18;

/** A container (or a compose service's container) roots its processes. */
export interface TreeRoot {
  id: string;
  label: string;
}

interface Datum {
  key: string;
  proc?: ProcessNode;
  root?: TreeRoot;
  children: Datum[];
}

export interface TreeRow {
  key: string;
  depth: number;
  /** Row index = y / ROW_H. */
  index: number;
  proc?: ProcessNode;
  root?: TreeRoot;
  /** Descendants hidden because this node is collapsed (0 when expanded or a leaf). */
  hiddenDescendants: number;
  childCount: number;
  /** Index of the parent row, -1 for roots. */
  parent: number;
  /** Matches the search (or no search). */
  match: boolean;
}

/** Row index by key (a Map, or the forest's own node index). */
export interface RowIndex {
  get(key: string): number | undefined;
  has(key: string): boolean;
}

export interface TreeLayout {
  rows: TreeRow[];
  byKey: RowIndex;
  /** Row of the newest process (latest start), for "follow newest". */
  newest: number;
  maxDepth: number;
  matches: number;
}

export interface TreeOptions {
  roots: TreeRoot[];
  collapsed: ReadonlySet<string>;
  /** Case-insensitive text matched against program, pid and command line; matching rows' ancestors stay visible. */
  search?: string;
  /** Hide exited processes unless they have live descendants. */
  hideExited?: boolean;
}

/** The searchable text of a process. */
export const processText = (p: ProcessNode) => `${p.comm} ${p.exe} ${p.tgid} ${p.argv.join(' ')}`.toLowerCase();

/** Builds the hierarchy (processes under their parent, orphans under their container) and lays out visible rows. */
export function layoutProcessTree(procs: readonly ProcessNode[], opts: TreeOptions): TreeLayout {
  const nodes = new Map<string, Datum>();
  const rootData = new Map<string, Datum>();
  const top: Datum = { key: '', children: [] };
  for (const r of opts.roots) {
    const d: Datum = { key: `container:${r.id}`, root: r, children: [] };
    rootData.set(r.id, d);
    top.children.push(d);
  }
  for (const p of procs) nodes.set(p.key, { key: p.key, proc: p, children: [] });
  const other: Datum = { key: 'container:?', root: { id: '?', label: 'host / unattributed' }, children: [] };
  for (const d of nodes.values()) {
    const p = d.proc!;
    const parent = p.parentKey ? nodes.get(p.parentKey) : undefined;
    if (parent && parent !== d) parent.children.push(d);
    else {
      let r = p.containerId ? rootData.get(p.containerId) : undefined;
      if (!r) {
        if (p.containerId) {
          r = { key: `container:${p.containerId}`, root: { id: p.containerId, label: p.containerId.slice(0, 12) }, children: [] };
          rootData.set(p.containerId, r);
          top.children.push(r);
        } else r = other;
      }
      r.children.push(d);
    }
  }
  if (other.children.length) top.children.push(other);

  const q = opts.search?.trim().toLowerCase() ?? '';
  const h: HierarchyNode<Datum> = hierarchy(top, (d) => d.children);
  // Children by start time: the tree reads top to bottom as the container's history.
  h.sort((a, b) => (a.data.proc?.start ?? 0) - (b.data.proc?.start ?? 0));

  // Which subtrees contain a match (a search keeps the path to every hit visible) or a live process.
  const keep = new Map<Datum, boolean>();
  const selfMatch = (d: Datum) => !q || (d.proc ? processText(d.proc).includes(q) : (d.root?.label ?? '').toLowerCase().includes(q));
  h.eachAfter((n) => {
    const d = n.data;
    let k = d.proc ? selfMatch(d) && !(opts.hideExited && d.proc.exit !== undefined) : !q;
    if (n.children) for (const c of n.children) if (keep.get(c.data)) k = true;
    if (d.root && !q) k = true;
    keep.set(d, k);
  });

  const rows: TreeRow[] = [];
  const byKey = new Map<string, number>();
  let newest = -1;
  let newestStart = -Infinity;
  let maxDepth = 0;
  let matches = 0;
  const walk = (n: HierarchyNode<Datum>, depth: number, parent: number) => {
    const d = n.data;
    const kids = (n.children ?? []).filter((c) => keep.get(c.data));
    const collapsed = opts.collapsed.has(d.key) && kids.length > 0 && !q;
    const match = selfMatch(d);
    if (q && match && d.proc) matches++;
    const index = rows.length;
    rows.push({
      key: d.key, depth, index, proc: d.proc, root: d.root, parent, match,
      childCount: kids.length, hiddenDescendants: collapsed ? kids.reduce((t, c) => t + c.descendants().length, 0) : 0,
    });
    byKey.set(d.key, index);
    if (depth > maxDepth) maxDepth = depth;
    if (d.proc && d.proc.start > newestStart) {
      newestStart = d.proc.start;
      newest = index;
    }
    if (!collapsed) for (const c of kids) walk(c, depth + 1, index);
  };
  for (const c of h.children ?? []) if (keep.get(c.data)) walk(c, 0, -1);
  return { rows, byKey, newest, maxDepth, matches };
}

interface ForestNode {
  key: string;
  proc: ProcessNode;
  /** Undefined: hangs under its container root (no parent known, or the parent is filtered out). */
  parent?: ForestNode;
  /** Sorted by start; equal starts in arrival order. */
  children: ForestNode[];
  /** The container root it hangs under when it has no parent. */
  rootId: string;
  /** Lower-cased searchable text, made on first search. */
  text?: string;
  /** This node's row, reused by every layout (a live frame allocates no rows); valid while stamp matches. */
  row?: TreeRow;
  stamp: number;
}

/** Where `n` goes in `arr` (sorted by start): after every node that started at the same time or earlier. */
function insertSorted(arr: ForestNode[], n: ForestNode): void {
  let lo = 0;
  let hi = arr.length;
  const s = n.proc.start;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid].proc.start <= s) lo = mid + 1;
    else hi = mid;
  }
  if (lo === arr.length) arr.push(n);
  else arr.splice(lo, 0, n);
}

function removeFrom(arr: ForestNode[], n: ForestNode): void {
  // Children are sorted by start: search near the node's own start first.
  const i = arr.lastIndexOf(n);
  if (i >= 0) arr.splice(i, 1);
}

/**
 * The process tree kept up to date incrementally: a live frame's changed processes are inserted, moved or updated
 * in place (children stay sorted by start), so a frame costs O(changed · log n) plus one flattening pass over the
 * visible rows, instead of rebuilding a d3 hierarchy of every process. Its rows equal layoutProcessTree's.
 */
export class ProcessForest {
  private readonly nodes = new Map<string, ForestNode>();
  /** Container id → processes hung directly under that container, sorted by start (discovery order of containers). */
  private readonly tops = new Map<string, ForestNode[]>();
  /** Parent key → children waiting for that parent to (re)appear. */
  private readonly waiting = new Map<string, Set<ForestNode>>();
  /** Bumped on every change, so layouts can be memoised on it. */
  version = 0;
  exited = 0;
  private stamp = 0;

  /** `accept` filters processes (scope, time window): a changed process that no longer passes leaves the tree. */
  constructor(private readonly accept: (p: ProcessNode) => boolean = () => true) {}

  get size(): number {
    return this.nodes.size;
  }

  /** Applies the changed keys (all of `procs` when keys is omitted). */
  apply(procs: ReadonlyMap<string, ProcessNode>, keys?: Iterable<string>): void {
    for (const k of keys ?? procs.keys()) {
      const p = procs.get(k);
      if (p && this.accept(p)) this.set(p);
      else this.remove(k);
    }
  }

  set(p: ProcessNode): void {
    const n = this.nodes.get(p.key);
    if (!n) {
      const m: ForestNode = { key: p.key, proc: p, children: [], rootId: '', stamp: 0 };
      this.nodes.set(p.key, m);
      if (p.exit !== undefined) this.exited++;
      this.attach(m);
      const kids = this.waiting.get(p.key);
      if (kids) {
        this.waiting.delete(p.key);
        for (const c of kids) {
          this.detach(c);
          this.attach(c);
        }
      }
    } else if (n.proc !== p) {
      if ((n.proc.exit !== undefined) !== (p.exit !== undefined)) this.exited += p.exit !== undefined ? 1 : -1;
      const moved = n.proc.start !== p.start || n.proc.parentKey !== p.parentKey || n.proc.containerId !== p.containerId;
      if (moved) this.detach(n);
      n.proc = p;
      n.text = undefined;
      if (moved) this.attach(n);
    } else return;
    this.version++;
  }

  remove(key: string): void {
    const n = this.nodes.get(key);
    if (!n) return;
    this.detach(n);
    this.nodes.delete(key);
    if (n.proc.exit !== undefined) this.exited--;
    // Its children hang under their containers until it comes back.
    for (const c of n.children) {
      c.parent = undefined;
      this.attach(c);
    }
    n.children = [];
    this.version++;
  }

  private attach(n: ForestNode): void {
    const pk = n.proc.parentKey;
    let par = pk && pk !== n.key ? this.nodes.get(pk) : undefined;
    // A parent inside n's own subtree (pid reuse gone wrong) would make a cycle: hang n under its container instead.
    for (let a = par; a; a = a.parent) if (a === n) { par = undefined; break; }
    if (par) {
      n.parent = par;
      insertSorted(par.children, n);
      return;
    }
    n.parent = undefined;
    n.rootId = n.proc.containerId ?? '?';
    let top = this.tops.get(n.rootId);
    if (!top) this.tops.set(n.rootId, (top = []));
    insertSorted(top, n);
    if (pk && pk !== n.key) {
      let w = this.waiting.get(pk);
      if (!w) this.waiting.set(pk, (w = new Set()));
      w.add(n);
    }
  }

  private detach(n: ForestNode): void {
    if (n.parent) removeFrom(n.parent.children, n);
    else {
      const top = this.tops.get(n.rootId);
      if (top) removeFrom(top, n);
      const pk = n.proc.parentKey;
      const w = pk ? this.waiting.get(pk) : undefined;
      if (w) {
        w.delete(n);
        if (!w.size) this.waiting.delete(pk!);
      }
    }
    n.parent = undefined;
  }

  /** The visible rows, as layoutProcessTree would lay them out for the same processes and options. */
  layout(opts: TreeOptions & { labelOf?: (containerId: string) => string }): TreeLayout {
    const q = opts.search?.trim().toLowerCase() ?? '';
    const filtering = q !== '' || !!opts.hideExited;
    const textOf = (n: ForestNode) => (n.text ??= processText(n.proc));
    const selfMatch = (n: ForestNode) => !q || textOf(n).includes(q);
    // Container roots: the requested ones first, then containers met in the processes, unattributed last.
    const roots: Array<{ root: TreeRoot; kids: ForestNode[] }> = [];
    const given = new Set<string>();
    for (const r of opts.roots) {
      given.add(r.id);
      roots.push({ root: r, kids: this.tops.get(r.id) ?? [] });
    }
    for (const [id, kids] of this.tops) {
      if (given.has(id) || id === '?' || kids.length === 0) continue;
      roots.push({ root: { id, label: opts.labelOf?.(id) ?? id.slice(0, 12) }, kids });
    }
    const other = this.tops.get('?');
    if (other?.length && !given.has('?')) roots.push({ root: { id: '?', label: 'host / unattributed' }, kids: other });

    // With a search or hidden exited processes, a subtree stays if anything in it qualifies (post-order).
    let keep: Set<ForestNode> | undefined;
    if (filtering) {
      keep = new Set();
      const order: ForestNode[] = [];
      const stack: ForestNode[] = [];
      for (const r of roots) for (const k of r.kids) stack.push(k);
      while (stack.length) {
        const n = stack.pop()!;
        order.push(n);
        for (const c of n.children) stack.push(c);
      }
      for (let i = order.length - 1; i >= 0; i--) {
        const n = order[i];
        let k = selfMatch(n) && !(opts.hideExited && n.proc.exit !== undefined);
        if (!k) for (const c of n.children) if (keep.has(c)) { k = true; break; }
        if (k) keep.add(n);
      }
    }
    const kept = (arr: ForestNode[]) => (keep ? arr.filter((c) => keep!.has(c)) : arr);
    const subtree = (n: ForestNode): number => {
      let t = 0;
      const st = [n];
      while (st.length) {
        const x = st.pop()!;
        t++;
        for (const c of x.children) st.push(c);
      }
      return t;
    };

    const stamp = ++this.stamp;
    const rows: TreeRow[] = [];
    const rootRows = new Map<string, number>();
    let newest = -1;
    let newestStart = -Infinity;
    let maxDepth = 0;
    let matches = 0;
    // Parallel stacks: no allocation per visited node.
    const sn: ForestNode[] = [];
    const sd: number[] = [];
    const sp: number[] = [];
    for (const r of roots) {
      const kids = kept(r.kids);
      if (q && kids.length === 0) continue;
      const key = `container:${r.root.id}`;
      const collapsed = opts.collapsed.has(key) && kids.length > 0 && !q;
      const index = rows.length;
      rows.push({
        key, depth: 0, index, root: r.root, parent: -1, match: !q || r.root.label.toLowerCase().includes(q),
        childCount: kids.length, hiddenDescendants: collapsed ? kids.reduce((t, c) => t + subtree(c), 0) : 0,
      });
      rootRows.set(key, index);
      if (collapsed) continue;
      for (let i = kids.length - 1; i >= 0; i--) { sn.push(kids[i]); sd.push(1); sp.push(index); }
      while (sn.length) {
        const n = sn.pop()!;
        const depth = sd.pop()!;
        const parent = sp.pop()!;
        const ks = kept(n.children);
        const coll = ks.length > 0 && !q && opts.collapsed.has(n.key);
        const match = !q || selfMatch(n);
        if (q && match) matches++;
        const idx = rows.length;
        const hidden = coll ? ks.reduce((t, c) => t + subtree(c), 0) : 0;
        let row = n.row;
        if (!row) row = n.row = { key: n.key, depth, index: idx, proc: n.proc, parent, match, childCount: ks.length, hiddenDescendants: hidden };
        else {
          row.depth = depth; row.index = idx; row.proc = n.proc; row.parent = parent; row.match = match;
          row.childCount = ks.length; row.hiddenDescendants = hidden;
        }
        n.stamp = stamp;
        rows.push(row);
        if (depth > maxDepth) maxDepth = depth;
        if (n.proc.start > newestStart) {
          newestStart = n.proc.start;
          newest = idx;
        }
        if (!coll) for (let i = ks.length - 1; i >= 0; i--) { sn.push(ks[i]); sd.push(depth + 1); sp.push(idx); }
      }
    }
    const nodes = this.nodes;
    const current = () => stamp === this.stamp;
    const byKey: RowIndex = {
      get: (key) => {
        const r = rootRows.get(key);
        if (r !== undefined) return r;
        const n = nodes.get(key);
        return n && n.stamp === stamp && current() ? n.row!.index : undefined;
      },
      has: (key) => byKey.get(key) !== undefined,
    };
    return { rows, byKey, newest, maxDepth, matches };
  }
}

/** Ancestors' keys of a process, so revealing it can expand every collapsed parent. */
export function ancestorKeys(procs: ReadonlyMap<string, ProcessNode>, key: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  let p = procs.get(key);
  while (p?.parentKey && !seen.has(p.parentKey)) {
    seen.add(p.parentKey);
    out.push(p.parentKey);
    p = procs.get(p.parentKey);
  }
  if (p?.containerId) out.push(`container:${p.containerId}`);
  return out;
}

export interface TreeTheme {
  bg: string; text: string; muted: string; line: string; sel: string; accent: string; hover: string; match: string;
  severity: Record<Severity, string>;
}

export const DARK_THEME: TreeTheme = {
  bg: '#0d1117', text: '#d6dde6', muted: '#6b7582', line: '#2b3440', sel: '#1c2a33', accent: '#5eead4', hover: '#161c24', match: '#3b3212',
  severity: { critical: '#ff4d6d', high: '#f87171', medium: '#f59e0b', low: '#60a5fa', info: '#8b95a3' },
};

export interface PaintState {
  width: number;
  height: number;
  /** Pan/zoom from d3-zoom: screen = world * k + (x, y). */
  k: number;
  x: number;
  y: number;
  selected?: string;
  hover?: string;
  severity: ReadonlyMap<string, Severity>;
  /** uid → user name where known ("root"). */
  userName: (uid: number) => string;
  /** Shows untrusted text safely (control characters as symbols, capped). */
  safe: (s: string, max?: number) => string;
  theme?: TreeTheme;
}

/** The row under a screen point, or -1. */
export function rowAt(layout: TreeLayout, s: Pick<PaintState, 'k' | 'y'>, py: number): number {
  const i = Math.floor((py - s.y) / (ROW_H * s.k));
  return i >= 0 && i < layout.rows.length ? i : -1;
}

const base = (p: ProcessNode) => {
  const e = p.exe || p.comm;
  const i = e.lastIndexOf('/');
  return i >= 0 ? e.slice(i + 1) : e;
};

/** Paints only the rows inside the viewport: cost follows the screen, not the tree. */
export function paintProcessTree(ctx: CanvasRenderingContext2D, layout: TreeLayout, s: PaintState): { painted: number } {
  const t = s.theme ?? DARK_THEME;
  const dpr = ctx.canvas.width / Math.max(1, s.width);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = t.bg;
  ctx.fillRect(0, 0, s.width, s.height);
  ctx.setTransform(dpr * s.k, 0, 0, dpr * s.k, dpr * s.x, dpr * s.y);
  const first = Math.max(0, Math.floor(-s.y / (ROW_H * s.k)) - 1);
  const last = Math.min(layout.rows.length - 1, Math.ceil((s.height - s.y) / (ROW_H * s.k)) + 1);
  if (last < first) return { painted: 0 };
  const small = s.k < 0.45;
  ctx.textBaseline = 'middle';
  ctx.font = '12px ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace';
  ctx.lineWidth = 1 / s.k;
  // Connectors: a parent's vertical line runs through the visible span of its children.
  ctx.strokeStyle = t.line;
  ctx.beginPath();
  for (let i = first; i <= last; i++) {
    const r = layout.rows[i];
    if (r.parent < 0) continue;
    const px = r.parent >= 0 ? layout.rows[r.parent].depth * INDENT + 6 : 0;
    const y = i * ROW_H + ROW_H / 2;
    const fromY = Math.max(r.parent * ROW_H + ROW_H - 4, (first - 1) * ROW_H);
    ctx.moveTo(px, fromY);
    ctx.lineTo(px, y);
    ctx.lineTo(r.depth * INDENT + 2, y);
  }
  ctx.stroke();
  const viewW = (s.width - s.x) / s.k;
  for (let i = first; i <= last; i++) {
    const r = layout.rows[i];
    const y0 = i * ROW_H;
    const yMid = y0 + ROW_H / 2;
    const x0 = r.depth * INDENT;
    if (r.key === s.selected || r.key === s.hover) {
      ctx.fillStyle = r.key === s.selected ? t.sel : t.hover;
      ctx.fillRect(-s.x / s.k, y0, viewW + s.x / s.k, ROW_H);
      if (r.key === s.selected) {
        ctx.fillStyle = t.accent;
        ctx.fillRect(-s.x / s.k, y0, 3 / s.k, ROW_H);
      }
    } else if (!r.match) {
      // non-matching ancestors of search hits stay, but quiet
    } else if (layout.matches > 0 && r.proc) {
      ctx.fillStyle = t.match;
      ctx.fillRect(x0, y0 + 2, viewW, ROW_H - 4);
    }
    const sev = s.severity.get(r.key);
    // Node glyph: a disc for processes (filled by severity), a square for container roots.
    if (r.root) {
      ctx.fillStyle = t.accent;
      ctx.fillRect(x0 + 2, yMid - 5, 10, 10);
    } else {
      ctx.beginPath();
      ctx.arc(x0 + 7, yMid, sev ? 5.5 : 4, 0, Math.PI * 2);
      ctx.fillStyle = sev ? t.severity[sev] : r.proc?.exit !== undefined ? t.line : t.accent;
      ctx.fill();
    }
    if (r.childCount > 0) {
      ctx.fillStyle = t.muted;
      ctx.fillText(r.hiddenDescendants ? '+' : '−', x0 - 9, yMid);
    }
    if (small) continue;
    let x = x0 + 18;
    if (r.root) {
      ctx.fillStyle = t.text;
      const label = s.safe(r.root.label, 120);
      ctx.fillText(label, x, yMid);
      x += ctx.measureText(label).width + 10;
      ctx.fillStyle = t.muted;
      ctx.fillText(`${r.childCount} top-level process${r.childCount === 1 ? '' : 'es'}`, x, yMid);
      continue;
    }
    const p = r.proc!;
    const dim = p.exit !== undefined;
    ctx.globalAlpha = dim ? 0.5 : 1;
    const name = s.safe(base(p), 60);
    ctx.fillStyle = sev ? t.severity[sev] : t.text;
    ctx.fillText(name, x, yMid);
    x += ctx.measureText(name).width + 8;
    ctx.fillStyle = t.muted;
    const meta = `${p.tgid} · ${s.safe(s.userName(p.uid), 24)}${p.exit !== undefined ? ` · exited ${p.exitSignal ? `sig ${p.exitSignal}` : p.exitCode ?? ''}` : ''}${r.hiddenDescendants ? ` · ${r.hiddenDescendants} hidden` : ''}`;
    ctx.fillText(meta, x, yMid);
    x += ctx.measureText(meta).width + 10;
    const args = s.safe(p.argv.slice(1).join(' '), 160);
    if (args) {
      ctx.fillStyle = t.muted;
      ctx.globalAlpha = dim ? 0.35 : 0.75;
      ctx.fillText(args, x, yMid);
    }
    ctx.globalAlpha = 1;
  }
  return { painted: last - first + 1 };
}

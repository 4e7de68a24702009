// Flow graph layout: containers on the left, remote endpoints on the right, links weighted by connection count.
import { linkHorizontal, scaleLog, scalePoint } from 'd3';

export interface FlowLinkIn {
  key: string;
  from: string;
  to: string;
  count: number;
  failures: number;
  label: string;
  unexpected: boolean;
  inbound: boolean;
}

export interface GraphNodeIn {
  id: string;
  label: string;
  sub?: string;
  side: 'left' | 'right';
  unexpected?: boolean;
  container?: boolean;
}

export interface PlacedNode extends GraphNodeIn { x: number; y: number }
export interface PlacedLink extends FlowLinkIn { d: string; width: number; lx: number; ly: number }
export interface FlowGraphLayout { nodes: PlacedNode[]; links: PlacedLink[]; width: number; height: number }

const ROW = 44;

export function layoutFlowGraph(nodes: readonly GraphNodeIn[], links: readonly FlowLinkIn[], width: number): FlowGraphLayout {
  const left = nodes.filter((n) => n.side === 'left');
  const right = nodes.filter((n) => n.side === 'right');
  const height = Math.max(140, Math.max(left.length, right.length) * ROW + 40);
  const xl = 210;
  const xr = Math.max(xl + 200, width - 210);
  const yl = scalePoint<string>().domain(left.map((n) => n.id)).range([30, height - 30]).padding(0.5);
  const yr = scalePoint<string>().domain(right.map((n) => n.id)).range([30, height - 30]).padding(0.5);
  const maxCount = Math.max(2, ...links.map((l) => l.count));
  const w = scaleLog().domain([1, maxCount]).range([1.5, 9]).clamp(true);
  const pos = new Map<string, PlacedNode>();
  for (const n of left) pos.set(n.id, { ...n, x: xl, y: yl(n.id) ?? 0 });
  for (const n of right) pos.set(n.id, { ...n, x: xr, y: yr(n.id) ?? 0 });
  const path = linkHorizontal<{ s: [number, number]; t: [number, number] }, [number, number]>().source((l) => l.s).target((l) => l.t);
  const placed: PlacedLink[] = [];
  for (const l of links) {
    const a = pos.get(l.from);
    const b = pos.get(l.to);
    if (!a || !b) continue;
    const s: [number, number] = [a.x + 8, a.y];
    const t: [number, number] = [b.x - 8, b.y];
    placed.push({ ...l, d: path({ s, t }) ?? '', width: w(Math.max(1, l.count)), lx: t[0] - 14, ly: t[1] - 6 });
  }
  return { nodes: [...pos.values()], links: placed, width, height };
}

// Thin React hooks around d3 behaviours on ref'd elements: zoom/pan, an x brush, and element size.
import { useEffect, useRef, useState, type RefObject } from 'react';
import { brushX, select, zoom, zoomIdentity, type BrushBehavior, type ZoomBehavior, type ZoomTransform } from 'd3';

export interface Size { width: number; height: number }

/** The element's content size, kept current with a ResizeObserver. */
export function useSize(ref: RefObject<HTMLElement | null>): Size {
  const [size, setSize] = useState<Size>({ width: 0, height: 0 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const update = () => setSize((s) => (s.width === el.clientWidth && s.height === el.clientHeight ? s : { width: el.clientWidth, height: el.clientHeight }));
    update();
    const ro = new ResizeObserver(update);
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return size;
}

export interface Pan { k: number; x: number; y: number }

export interface ZoomControl {
  /** Moves the view so that world point (wx, wy) sits at screen point (sx, sy), keeping the scale. */
  centerOn(wx: number, wy: number, sx: number, sy: number, animate?: boolean): void;
  reset(): void;
}

/**
 * d3-zoom on an element: wheel scrolls (vertical pan), ctrl/⌘+wheel or pinch zooms, drag pans. The transform
 * is delivered to onChange (not React state) so a canvas can repaint without a React render per frame.
 */
export function useZoom(ref: RefObject<Element | null>, onChange: (t: Pan) => void, scaleExtent: [number, number] = [0.2, 3]): ZoomControl {
  const behaviour = useRef<ZoomBehavior<Element, unknown> | null>(null);
  const cb = useRef(onChange);
  cb.current = onChange;
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const z = zoom<Element, unknown>()
      .scaleExtent(scaleExtent)
      .filter((ev: Event) => (ev.type === 'wheel' ? true : !(ev as MouseEvent).button))
      .wheelDelta((ev: WheelEvent) => (ev.ctrlKey || ev.metaKey ? -ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.002) : 0))
      .on('zoom', (ev: { transform: ZoomTransform }) => cb.current({ k: ev.transform.k, x: ev.transform.x, y: ev.transform.y }));
    behaviour.current = z;
    const sel = select(el);
    sel.call(z);
    // Plain wheel scrolls the tree like a list; d3-zoom only handles the zooming wheel above.
    const onWheel = (ev: Event) => {
      const w = ev as WheelEvent;
      if (w.ctrlKey || w.metaKey) return;
      w.preventDefault();
      z.translateBy(sel, -w.deltaX / (currentK(el) || 1), -w.deltaY / (currentK(el) || 1));
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => {
      el.removeEventListener('wheel', onWheel);
      sel.on('.zoom', null);
    };
  }, [ref]);
  return {
    centerOn(wx, wy, sx, sy, animate = false) {
      const el = ref.current;
      if (!el || !behaviour.current) return;
      const k = currentK(el) || 1;
      const t = zoomIdentity.translate(sx - wx * k, sy - wy * k).scale(k);
      const sel = select(el);
      if (animate) sel.transition().duration(250).call(behaviour.current.transform, t);
      else sel.call(behaviour.current.transform, t);
    },
    reset() {
      const el = ref.current;
      if (el && behaviour.current) select(el).call(behaviour.current.transform, zoomIdentity);
    },
  };
}

function currentK(el: Element): number {
  return ((el as unknown as { __zoom?: ZoomTransform }).__zoom?.k) ?? 1;
}

/** A horizontal brush on a ref'd <g>: reports the selected pixel span, or undefined when cleared. */
export function useBrushX(ref: RefObject<SVGGElement | null>, width: number, height: number, onBrush: (px: [number, number] | undefined) => void, selection?: [number, number]): void {
  const cb = useRef(onBrush);
  cb.current = onBrush;
  const behaviour = useRef<BrushBehavior<unknown> | null>(null);
  useEffect(() => {
    const g = ref.current;
    if (!g || width <= 0) return;
    const b = brushX<unknown>().extent([[0, 0], [width, height]]).on('end', (ev: { selection: [number, number] | null; sourceEvent?: Event }) => {
      if (!ev.sourceEvent) return; // programmatic moves do not echo back
      cb.current(ev.selection ? [ev.selection[0], ev.selection[1]] : undefined);
    });
    behaviour.current = b;
    select(g).call(b);
    return () => {
      select(g).on('.brush', null).selectAll('*').remove();
    };
  }, [ref, width, height]);
  useEffect(() => {
    const g = ref.current;
    if (!g || !behaviour.current) return;
    select(g).call(behaviour.current.move, selection ? [Math.max(0, selection[0]), Math.min(width, selection[1])] : null);
  }, [selection?.[0], selection?.[1], width, height]);
}

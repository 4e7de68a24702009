// Rule output strings: `%field` substitution, parsed once per rule, rendered only when a rule fires.
import type { EventKind, RuntimeEvent } from '../model/event';
import type { RuleContext } from './context';
import { resolveField, type Extractor, type ResolvedField } from './fields';

type Segment = string | { field: ResolvedField; byKind: Map<EventKind, Extractor | null> };

export interface OutputFormat {
  render(ev: RuntimeEvent, ctx: RuleContext): string;
  /** Fields the output names, with their values for this event (Falco's output_fields). */
  fields(ev: RuntimeEvent, ctx: RuleContext): Record<string, string | number | boolean | null>;
  unsupported: string[];
}

const FIELD_RE = /%([A-Za-z_][A-Za-z0-9_.]*(?:\[[^\]]*\])?)/g;
/** Falco's shorthand for the container identity. */
const ALIASES: Record<string, string> = { 'container.info': 'container_id=%container.id container_name=%container.name' };

export function parseOutput(fmt: string): OutputFormat {
  const text = fmt.replace(/%(container\.info)\b/g, (_m, k: string) => ALIASES[k]);
  const segments: Segment[] = [];
  const unsupported: string[] = [];
  let last = 0;
  for (const m of text.matchAll(FIELD_RE)) {
    // A trailing dot ends a sentence, not the field name.
    let name = m[1];
    let consumed = m[0].length;
    while (name.endsWith('.')) { name = name.slice(0, -1); consumed--; }
    const f = resolveField(name);
    segments.push(text.slice(last, m.index));
    if (typeof f === 'string') {
      unsupported.push(name);
      segments.push('<NA>');
    } else {
      segments.push({ field: f, byKind: new Map() });
    }
    last = m.index! + consumed;
  }
  segments.push(text.slice(last));

  const extract = (seg: Exclude<Segment, string>, ev: RuntimeEvent, ctx: RuleContext) => {
    let x = seg.byKind.get(ev.kind);
    if (x === undefined) {
      x = seg.field.spec.forKind(ev.kind, seg.field.arg) ?? null;
      seg.byKind.set(ev.kind, x);
    }
    const v = x ? x(ev, ctx) : undefined;
    if (v === undefined || v === '') return undefined;
    return Array.isArray(v) ? v.join(',') : (v as string | number | boolean);
  };

  return {
    unsupported,
    render(ev, ctx) {
      let s = '';
      for (const seg of segments) {
        if (typeof seg === 'string') s += seg;
        else { const v = extract(seg, ev, ctx); s += v === undefined ? '<NA>' : String(v); }
      }
      return s;
    },
    fields(ev, ctx) {
      const out: Record<string, string | number | boolean | null> = {};
      for (const seg of segments) {
        if (typeof seg !== 'string') out[seg.field.text] = extract(seg, ev, ctx) ?? null;
      }
      return out;
    },
  };
}

// A neutral ticket body (headings, paragraphs, code, lists) rendered three ways: Markdown, Jira ADF, Jira wiki markup.
import type { Finding } from '../../../common/model';
import type { RecordingMeta } from '../types';
import { ancestryLine, fingerprintLabel, iso, mitreUrl } from '../shared';
import { mdBlock, mdCode, mdEscape } from '../markdown';

export interface Inline { text: string; strong?: boolean; code?: boolean; href?: string }
export type Block =
  | { type: 'heading'; level: 2 | 3 | 4; text: string }
  | { type: 'para'; content: Inline[] }
  | { type: 'code'; text: string }
  | { type: 'list'; items: Inline[][] };

const t = (text: string): Inline => ({ text });
const b = (text: string): Inline => ({ text, strong: true });
const c = (text: string): Inline => ({ text, code: true });

function field(label: string, ...value: Inline[]): Inline[] {
  return [b(`${label}: `), ...value];
}

/** The evidence of one finding: ancestry, command lines, paths, endpoints, MITRE links and the fix. */
export function findingBlocks(f: Finding, level: 3 | 4 = 3): Block[] {
  const items: Inline[][] = [
    field('Rule', c(f.ruleId)),
    field('Severity', t(f.severity)),
    field('Container', c(f.container.name), t(` (${f.container.image}${f.container.imageDigest ? `@${f.container.imageDigest}` : ''})`)),
  ];
  if (f.composeProject || f.composeService) items.push(field('Compose service', c(`${f.composeProject ?? ''}/${f.composeService ?? ''}`)));
  items.push(field('Seen', t(`${f.count}× between ${iso(f.first)} and ${iso(f.last)}`)));
  const anc = ancestryLine(f);
  if (anc) items.push(field('Process tree', c(anc)));
  if (f.evidence.path) items.push(field('Path', c(f.evidence.path)));
  if (f.evidence.endpoint) items.push(field('Endpoint', c(f.evidence.endpoint)));
  if (f.evidence.field) items.push(field('Setting', c(f.evidence.field), t(' = '), c(f.evidence.value || '(empty)')));
  if (f.mitre.length) {
    const links: Inline[] = [];
    f.mitre.forEach((m, i) => {
      if (i) links.push(t(', '));
      const href = mitreUrl(m);
      links.push(href ? { text: m, href } : t(m));
    });
    items.push(field('MITRE ATT&CK', ...links));
  }
  const blocks: Block[] = [{ type: 'heading', level, text: 'Evidence' }, { type: 'list', items }];
  const cmdlines = f.evidence.ancestry?.map((p) => `${p.pid}  ${p.cmdline || p.exe}`).join('\n');
  if (cmdlines) blocks.push({ type: 'para', content: [b('Command lines')] }, { type: 'code', text: cmdlines });
  if (f.evidence.output) blocks.push({ type: 'para', content: [b('Rule output')] }, { type: 'code', text: f.evidence.output });
  if (f.why) blocks.push({ type: 'heading', level, text: 'Why it matters' }, { type: 'para', content: [t(f.why)] });
  if (f.fix) blocks.push({ type: 'heading', level, text: 'Fix' }, { type: 'para', content: [t(f.fix)] });
  return blocks;
}

export function footerBlocks(fingerprint: string, recording?: RecordingMeta): Block[] {
  // The label text also sits in the body as plain text so a full-text search can find it if labels are dropped.
  const from = recording ? ` from recording ${recording.name ?? recording.id ?? iso(recording.startedAt)}` : '';
  return [{ type: 'para', content: [t(`Reported by Glasshouse${recording ? ` ${recording.toolVersion}` : ''}${from}. Fingerprint: `), c(fingerprintLabel(fingerprint))] }];
}

// ---------- Markdown (GitHub, GitLab) ----------

function mdInline(i: Inline): string {
  if (i.code) return mdCode(i.text);
  let s = mdEscape(i.text);
  if (i.href) s = `[${s}](${i.href})`;
  return i.strong ? `**${s.trim()}**${i.text.endsWith(' ') ? ' ' : ''}` : s;
}

export function toMarkdown(blocks: Block[]): string {
  return blocks.map((bl) => {
    switch (bl.type) {
      case 'heading': return `${'#'.repeat(bl.level)} ${mdEscape(bl.text)}`;
      case 'para': return bl.content.map(mdInline).join('');
      case 'code': return mdBlock(bl.text);
      case 'list': return bl.items.map((it) => `- ${it.map(mdInline).join('')}`).join('\n');
    }
  }).join('\n\n');
}

// ---------- Atlassian Document Format (Jira Cloud v3) ----------

type AdfMark = { type: 'strong' } | { type: 'code' } | { type: 'link'; attrs: { href: string } };
export interface AdfNode { type: string; attrs?: Record<string, unknown>; content?: AdfNode[]; text?: string; marks?: AdfMark[] }

function adfText(i: Inline): AdfNode | undefined {
  // ADF rejects empty text nodes (minLength 1), and `code` may only combine with `link`.
  if (!i.text) return undefined;
  const marks: AdfMark[] = [];
  if (i.code) marks.push({ type: 'code' });
  else if (i.strong) marks.push({ type: 'strong' });
  if (i.href) marks.push({ type: 'link', attrs: { href: i.href } });
  return marks.length ? { type: 'text', text: i.text, marks } : { type: 'text', text: i.text };
}

function adfInlines(content: Inline[]): AdfNode[] {
  return content.map(adfText).filter((n): n is AdfNode => !!n);
}

export function toAdf(blocks: Block[]): AdfNode {
  const content: AdfNode[] = [];
  for (const bl of blocks) {
    if (bl.type === 'heading') {
      if (bl.text) content.push({ type: 'heading', attrs: { level: bl.level }, content: [{ type: 'text', text: bl.text }] });
    } else if (bl.type === 'para') {
      const inl = adfInlines(bl.content);
      if (inl.length) content.push({ type: 'paragraph', content: inl });
    } else if (bl.type === 'code') {
      if (bl.text) content.push({ type: 'codeBlock', attrs: { language: 'text' }, content: [{ type: 'text', text: bl.text }] });
    } else {
      const items = bl.items.map(adfInlines).filter((x) => x.length)
        .map((inl) => ({ type: 'listItem', content: [{ type: 'paragraph', content: inl }] }));
      if (items.length) content.push({ type: 'bulletList', content: items });
    }
  }
  return { version: 1, type: 'doc', content } as unknown as AdfNode;
}

// ---------- Jira wiki markup (Server / Data Center v2) ----------

/** Characters that start markup in Jira wiki text; escaped so evidence is shown as written. */
export function wikiEscape(s: string): string {
  return s.replace(/[{}[\]|*_\-+^~?#!\\]/g, (ch) => `\\${ch}`).replace(/\r?\n/g, ' ');
}

function wikiInline(i: Inline): string {
  if (i.code) return `{{${wikiEscape(i.text)}}}`;
  let s = wikiEscape(i.text);
  if (i.href) s = `[${s}|${i.href}]`;
  if (i.strong) {
    const trail = s.endsWith(' ') ? ' ' : '';
    s = `*${s.trim()}*${trail}`;
  }
  return s;
}

export function toWiki(blocks: Block[]): string {
  return blocks.map((bl) => {
    switch (bl.type) {
      case 'heading': return `h${bl.level}. ${wikiEscape(bl.text)}`;
      case 'para': return bl.content.map(wikiInline).join('');
      // {noformat} shows text verbatim; only its own closing tag must be broken up.
      case 'code': return `{noformat}\n${bl.text.replace(/\{noformat\}/gi, '{ noformat}')}\n{noformat}`;
      case 'list': return bl.items.map((it) => `* ${it.map(wikiInline).join('')}`).join('\n');
    }
  }).join('\n\n');
}

/**
 * Shrinks a body until it fits a service's limit: first long code blocks are cut, then whole blocks are
 * dropped from the end (keeping the footer), with a sentence saying so. Never returns more than `max`.
 */
export function fitBlocks(blocks: Block[], footer: Block[], measure: (b: Block[]) => number, max: number): Block[] {
  const all = [...blocks, ...footer];
  if (measure(all) <= max) return all;
  const cut = blocks.map((bl) => {
    if (bl.type !== 'code') return bl;
    const lines = bl.text.split('\n');
    const text = lines.slice(0, 20).join('\n');
    return { ...bl, text: text.length > 2000 ? `${text.slice(0, 2000)}…` : lines.length > 20 ? `${text}\n… ${lines.length - 20} more lines` : text };
  });
  if (measure([...cut, ...footer]) <= max) return [...cut, ...footer];
  const note = (n: number): Block => ({ type: 'para', content: [t(`… ${n} more sections were left out to fit the tracker's size limit; the full evidence is in the Glasshouse report.`)] });
  let keep = cut.length;
  while (keep > 0 && measure([...cut.slice(0, keep), note(cut.length - keep), ...footer]) > max) keep--;
  return [...cut.slice(0, keep), note(cut.length - keep), ...footer];
}

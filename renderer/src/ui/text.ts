// Untrusted text (names, labels, argv, paths, DNS names) made safe to show: React escapes HTML; this shows controls.

const MAX = 4096;

/** Replaces C0/C1 control characters (ANSI escapes included) with visible symbols and caps the length. */
export function visible(text: string | undefined | null, max = MAX): string {
  if (!text) return '';
  let s = text.length > max ? `${text.slice(0, max)}…` : text;
  // U+2400 block shows C0 controls as pictures (␛ for ESC); DEL and C1 controls become the replacement char.
  s = s.replace(/[\u0000-\u001f]/g, (c) => String.fromCharCode(0x2400 + c.charCodeAt(0))).replace(/[\u007f-\u009f]/g, '\ufffd');
  return s;
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

export function formatBytes(n: number): string {
  if (!n) return '0 B';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  const i = Math.min(u.length - 1, Math.floor(Math.log(n) / Math.log(1024)));
  return `${(n / 1024 ** i).toFixed(i ? 1 : 0)} ${u[i]}`;
}

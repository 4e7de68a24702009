// One xterm.js terminal bound to one engine terminal: repaints its scrollback, streams output, sends keys and size.
import { useEffect, useRef } from 'react';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import { getClient } from '../../api/client';
import { installConstructedStyles, routeSpanStyleAttributes } from './constructedStyles';

installConstructedStyles();
routeSpanStyleAttributes();

const THEME = { background: '#0d1117', foreground: '#d6dde6', cursor: '#5eead4', selectionBackground: '#1c2a33' };

export function TerminalView({ terminalId, ended }: { terminalId: string; ended: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | undefined>(undefined);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const client = getClient();
    // minimumContrastRatio stays 1: above it xterm writes style attributes, which the CSP forbids.
    const term = new Terminal({ fontFamily: 'ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace', fontSize: 13, theme: THEME,
      cursorBlink: true, scrollback: 5000, minimumContrastRatio: 1 });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    termRef.current = term;
    let disposed = false;
    let off: (() => void) | undefined;
    // Ctrl+Shift+C / Ctrl+Shift+V copy and paste; plain Ctrl+C stays an interrupt for the shell.
    term.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey) return true;
      if (e.code === 'KeyC') {
        const sel = term.getSelection();
        if (sel) void navigator.clipboard?.writeText(sel).catch(() => undefined);
        return false;
      }
      if (e.code === 'KeyV') {
        // Chromium (and Electron) turn Ctrl+Shift+V into a native paste event, which xterm already handles:
        // only keep xterm from sending ^V. Pasting here as well put every paste in twice.
        return false;
      }
      return true;
    });
    const send = term.onData((data) => {
      void client.call('terminal.input', { terminalId, data }).catch(() => undefined);
    });
    let resizeTimer: ReturnType<typeof setTimeout> | undefined;
    const sized = term.onResize(({ cols, rows }) => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => void client.call('terminal.resize', { terminalId, cols, rows }).catch(() => undefined), 80);
    });
    const refit = () => {
      try { fit.fit(); } catch { /* not laid out yet */ }
    };
    const ro = new ResizeObserver(refit);
    ro.observe(el);
    refit();
    // Repaint what the shell already printed, then follow live output (messages arrive in order after the reply).
    client.call('terminal.attach', { terminalId }).then(({ info, scrollback }) => {
      if (disposed) return;
      term.write(scrollback);
      off = client.on('terminal.output', (o) => { if (o.terminalId === terminalId) term.write(o.data); });
      if (info.cols !== term.cols || info.rows !== term.rows) void client.call('terminal.resize', { terminalId, cols: term.cols, rows: term.rows }).catch(() => undefined);
      term.focus();
    }, () => undefined);
    return () => {
      disposed = true;
      clearTimeout(resizeTimer);
      off?.();
      ro.disconnect();
      send.dispose();
      sized.dispose();
      term.dispose();
      termRef.current = undefined;
    };
  }, [terminalId]);

  useEffect(() => {
    if (ended) termRef.current?.options && (termRef.current.options.cursorBlink = false);
  }, [ended]);

  return <div className="terminal-host" ref={host} data-testid="terminal-host" data-terminal-id={terminalId} />;
}

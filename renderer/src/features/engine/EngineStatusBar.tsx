// Top bar: which Docker engine we talk to, and a plain sentence when we cannot.
import { useEffect, useState } from 'react';
import { useStore } from '../../store';
import { selectLink, selectStatus } from '../../store/engine/selectors';
import { selectCount } from '../../store/catalog/selectors';
import { visible } from '../../ui/text';

const KIND_LABEL = { env: 'DOCKER_HOST', context: 'docker context', default: 'default socket', podman: 'Podman socket' } as const;

export function EngineStatusBar() {
  const status = useStore(selectStatus);
  const link = useStore(selectLink);
  const count = useStore(selectCount);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);

  let cls = 'pill pill-wait';
  let text = 'Connecting to the engine…';
  if (link === 'no-token') {
    cls = 'pill pill-bad';
    text = 'This tab has no access token, so the Glasshouse server will not answer it: open the full URL that `glasshouse serve` printed (it ends in ?token=…).';
  } else if (link === 'closed') {
    cls = 'pill pill-bad';
    text = 'Lost the connection to the Glasshouse server. Is `glasshouse serve` still running? Reconnecting…';
  } else if (status?.connection === 'connected') {
    cls = 'pill pill-ok';
    text = `Docker ${status.serverVersion ?? ''} · API ${status.apiVersion ?? ''}`;
  } else if (status?.connection === 'disconnected') {
    cls = 'pill pill-bad';
    const retry = status.retryAt ? Math.max(0, Math.ceil((status.retryAt - now) / 1000)) : undefined;
    text = `${status.error?.message ?? 'Docker is not reachable.'}${retry !== undefined ? ` Retrying in ${retry} s.` : ''}`;
  }
  const endpoint = status?.endpoint;
  // Engine answers of an unexpected shape were skipped: say how many, per call, with the last sentence on hover.
  const rejects = status?.answerRejects ?? [];
  const skipped = rejects.reduce((n, r) => n + r.count, 0);
  return (
    <header className="topbar">
      <div className="brand"><span className="brand-mark" aria-hidden="true" />Glasshouse</div>
      <div className={cls} data-testid="engine-status" role="status">{visible(text)}</div>
      {status?.connection === 'disconnected' && status.error?.hint && (
        <div className="hint" data-testid="engine-hint">{visible(status.error.hint)}</div>
      )}
      {skipped > 0 && (
        <div className="pill pill-warn" data-testid="engine-answer-rejects" role="status"
          title={rejects.map((r) => visible(`${r.call}: ${r.count} skipped. Last: ${r.last}`)).join('\n')}>
          {visible(`${skipped} engine answer${skipped === 1 ? '' : 's'} skipped (${rejects.map((r) => `${r.call} ${r.count}`).join(', ')})`)}
        </div>
      )}
      <div className="spacer" />
      {endpoint && (
        <div className="endpoint" data-testid="engine-endpoint" title={`Endpoint from ${KIND_LABEL[endpoint.kind]}`}>
          <span className="muted">{KIND_LABEL[endpoint.kind]}{endpoint.contextName ? ` “${visible(endpoint.contextName)}”` : ''}</span>
          <code>{visible(endpoint.url)}</code>
        </div>
      )}
      <div className="muted count">{count} containers</div>
    </header>
  );
}

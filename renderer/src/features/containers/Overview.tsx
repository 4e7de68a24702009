// Overview tab: the security-relevant facts of `docker inspect`, risky values marked.
import type { ContainerDetail } from '../../../../electron/common/model/container';
import { formatBytes, visible } from '../../ui/text';

type Level = 'ok' | 'warn' | 'bad';

function Fact({ label, value, level = 'ok', testId }: { label: string; value: string; level?: Level; testId?: string }) {
  return (
    <div className={`fact fact-${level}`} data-testid={testId}>
      <div className="fact-label">{label}</div>
      <div className="fact-value">{visible(value) || '—'}</div>
    </div>
  );
}

const HOST_NS = (mode: string) => (mode === 'host' ? 'bad' : 'ok');

export function Overview({ detail }: { detail: ContainerDetail }) {
  const f = detail.facts;
  const seccompOff = f.securityOpt.some((o) => /seccomp[=:]unconfined/.test(o));
  const sock = f.mounts.find((m) => /docker\.sock$|podman\.sock$/.test(m.source));
  return (
    <div className="overview">
      <section>
        <h3>Identity</h3>
        <div className="facts">
          <Fact label="User" value={f.user || 'root (image default)'} level={!f.user || f.user === 'root' || f.user === '0' ? 'warn' : 'ok'} testId="fact-user" />
          <Fact label="Image digest" value={f.imageDigest ?? detail.imageId} />
          <Fact label="Entrypoint + cmd" value={[...f.entrypoint, ...f.cmd].join(' ')} />
          <Fact label="Working dir" value={f.workingDir} />
          <Fact label="Health check" value={f.healthcheck ? (f.healthStatus ?? 'configured') : 'none'} level={f.healthcheck ? 'ok' : 'warn'} />
        </div>
      </section>
      <section>
        <h3>Privileges</h3>
        <div className="facts">
          <Fact label="Privileged" value={f.privileged ? 'yes' : 'no'} level={f.privileged ? 'bad' : 'ok'} testId="fact-privileged" />
          <Fact label="Capabilities added" value={f.capAdd.join(', ') || 'none'} level={f.capAdd.length ? 'warn' : 'ok'} testId="fact-capadd" />
          <Fact label="Capabilities dropped" value={f.capDrop.join(', ') || 'none'} />
          <Fact label="Security options" value={f.securityOpt.join(', ') || 'defaults'} level={seccompOff ? 'bad' : 'ok'} />
          <Fact label="no-new-privileges" value={f.securityOpt.some((o) => o.startsWith('no-new-privileges')) ? 'on' : 'off'}
            level={f.securityOpt.some((o) => o.startsWith('no-new-privileges')) ? 'ok' : 'warn'} />
          <Fact label="Read-only root fs" value={f.readonlyRootfs ? 'yes' : 'no'} level={f.readonlyRootfs ? 'ok' : 'warn'} testId="fact-readonly" />
          <Fact label="AppArmor" value={f.apparmorProfile || 'none'} />
        </div>
      </section>
      <section>
        <h3>Namespaces</h3>
        <div className="facts">
          <Fact label="Network" value={f.networkMode} level={HOST_NS(f.networkMode)} testId="fact-netmode" />
          <Fact label="PID" value={f.pidMode || 'private'} level={HOST_NS(f.pidMode)} />
          <Fact label="IPC" value={f.ipcMode || 'private'} level={HOST_NS(f.ipcMode)} />
          <Fact label="UTS" value={f.utsMode || 'private'} level={HOST_NS(f.utsMode)} />
          <Fact label="User ns" value={f.usernsMode || 'engine default'} level={HOST_NS(f.usernsMode)} />
        </div>
      </section>
      <section>
        <h3>Limits</h3>
        <div className="facts">
          <Fact label="Memory" value={f.memoryLimit ? formatBytes(f.memoryLimit) : 'unlimited'} level={f.memoryLimit ? 'ok' : 'warn'} testId="fact-memory" />
          <Fact label="CPUs" value={f.nanoCpus ? `${f.nanoCpus / 1e9}` : f.cpuShares ? `${f.cpuShares} shares` : 'unlimited'} level={f.nanoCpus || f.cpuShares ? 'ok' : 'warn'} />
          <Fact label="PIDs" value={f.pidsLimit && f.pidsLimit > 0 ? String(f.pidsLimit) : 'unlimited'} level={f.pidsLimit && f.pidsLimit > 0 ? 'ok' : 'warn'} />
          <Fact label="Restart policy" value={f.restartPolicy.name ? `${f.restartPolicy.name}${f.restartPolicy.maximumRetryCount ? ` (max ${f.restartPolicy.maximumRetryCount})` : ''}` : 'no'} />
        </div>
      </section>
      <section>
        <h3>Mounts</h3>
        {f.mounts.length === 0 ? <div className="muted">No mounts.</div> : (
          <table className="table" data-testid="mounts">
            <thead><tr><th>Source</th><th>Destination</th><th>Type</th><th>Mode</th></tr></thead>
            <tbody>
              {f.mounts.map((m, i) => (
                <tr key={i} className={m === sock ? 'risk' : ''}>
                  <td><code>{visible(m.source)}</code></td><td><code>{visible(m.destination)}</code></td>
                  <td>{visible(m.type)}</td><td>{m.readOnly ? 'ro' : 'rw'}{m.propagation ? ` · ${visible(m.propagation)}` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {sock && <div className="callout bad">The Docker socket is mounted: this container can control the engine and every other container.</div>}
      </section>
      <section>
        <h3>Networks and ports</h3>
        <div className="facts">
          {f.networks.map((n) => <Fact key={n.name} label={`Network ${visible(n.name)}`} value={n.ipAddress || 'no address'} />)}
          {detail.ports.map((p, i) => (
            <Fact key={i} label={`Port ${p.containerPort}/${p.protocol}`} value={p.hostPort ? `${p.hostIp || '0.0.0.0'}:${p.hostPort}` : 'not published'}
              level={p.hostPort && (!p.hostIp || p.hostIp === '0.0.0.0' || p.hostIp === '::') ? 'warn' : 'ok'} />
          ))}
        </div>
      </section>
      <section>
        <h3>Labels</h3>
        {Object.keys(detail.labels).length === 0 ? <div className="muted">No labels.</div> : (
          <table className="table" data-testid="labels">
            <tbody>
              {Object.entries(detail.labels).map(([k, v]) => <tr key={k}><td><code>{visible(k)}</code></td><td><code>{visible(v)}</code></td></tr>)}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

// Rootless engines (no rootless engine runs here): the facts from the recorded answers of Docker 20.10 and Podman 4.3
// with the `name=rootless` security option a rootless engine adds, and the sentence the preflight and sensor give.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineFactsFrom } from '../docker/helper-container';
import { rootlessEngineSentence } from './preflight';

const FIXTURES = join(__dirname, '../../../test/fixtures/docker');
const answer = (engine: string, name: string) => JSON.parse(readFileSync(join(FIXTURES, engine, name), 'utf8')) as Record<string, unknown>;
const rootless = (engine: string) => {
  const info = answer(engine, 'info.json');
  return engineFactsFrom({ ...info, SecurityOptions: [...(info.SecurityOptions as string[]), 'name=rootless'] }, answer(engine, 'version.json'));
};

describe('a rootless engine in the sensor preflight', () => {
  it('is told apart from the rootful one the answers were recorded from', () => {
    for (const engine of ['docker-20.10', 'podman-4.3']) {
      expect(engineFactsFrom(answer(engine, 'info.json'), answer(engine, 'version.json')).rootless).toBe(false);
      expect(rootless(engine).rootless).toBe(true);
    }
    expect(rootless('podman-4.3').engine).toBe('podman');
    expect(rootless('docker-20.10').engine).toBe('docker');
  });

  it('says for rootless Podman what is blocked and how to record: the rootful service or the local helper', () => {
    const facts = rootless('podman-4.3');
    const s = rootlessEngineSentence(facts);
    expect(s.message).toBe(`This Podman ${facts.serverVersion} service runs rootless: it runs containers in your user's namespace, so it cannot give the helper container the host privileges eBPF needs (CAP_BPF or CAP_SYS_ADMIN in the initial user namespace) nor the host PID namespace: the runtime sensor cannot record here (the catalog, posture checks, actions and terminals still work, and \`glasshouse scan\` falls back to \`docker top\` polling).`);
    expect(s.hint).toContain('sudo systemctl start podman.socket');
    expect(s.hint).toContain('DOCKER_HOST=unix:///run/podman/podman.sock');
    expect(s.hint).toContain('sudo glasshouse helper run');
  });

  it('says for rootless Docker what is blocked and how to record: a rootful engine or the local helper', () => {
    const facts = rootless('docker-20.10');
    const s = rootlessEngineSentence(facts);
    expect(s.message.startsWith(`This Docker ${facts.serverVersion} engine runs rootless: it runs containers in your user's namespace`)).toBe(true);
    expect(s.message).not.toContain('Podman');
    expect(s.hint).toContain('DOCKER_HOST=unix:///var/run/docker.sock');
    expect(s.hint).toContain('GLASSHOUSE_SENSOR=socket:/run/glasshouse/helper.sock');
  });
});

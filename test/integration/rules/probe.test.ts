// Rules busybox cannot act out, driven by ghprobe (probe/ghprobe.c) and a real bash through the helper and the
// engine: each fires on its behaviour and stays quiet on a benign neighbour.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observe, startRig, type Rig } from './harness';
import { ensureProbeImage, GRANTED_RUN_ARGS, PROBE_SCENARIOS } from './probe';

describe('built-in pack on probe behaviour (helper → state → rules)', () => {
  let rig: Rig;
  let granted: Rig;
  beforeAll(async () => {
    const image = await ensureProbeImage();
    rig = await startRig([], image);
    granted = await startRig(GRANTED_RUN_ARGS, image);
  });
  afterAll(async () => {
    await rig?.stop();
    await granted?.stop();
  });

  describe.each(PROBE_SCENARIOS.map((s) => [s.rule, s] as const))('%s', (rule, s) => {
    it('does not fire on benign behaviour', async () => {
      const matches = await observe(rig, s.benign, { user: s.user?.benign });
      expect(matches.filter((m) => m.rule.name === rule).map((m) => m.rule.output.render(m.event, rig.detector.ctx))).toEqual([]);
    });
    it('fires on the behaviour', async () => {
      const r = s.granted ? granted : rig;
      const matches = await observe(r, s.positive, { user: s.user?.positive });
      expect(matches.map((m) => m.rule.name)).toContain(rule);
      const f = r.detector.list(r.container.id).find((x) => x.ruleId === rule)!;
      expect(f.container.name).toBe(r.container.name);
      expect(f.evidence.events.length).toBeGreaterThan(0);
    });
  });
});

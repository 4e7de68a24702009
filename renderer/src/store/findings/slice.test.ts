import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../../electron/common/model/finding';
import { emptyWorld, reduceFrame } from '../live/slice';
import { file, flow, frame, proc } from '../live/fixtures';
import { countBySeverity, filterFindings, locateEvidence, mitreUrl, severityByProcess } from './selectors';
import { DEFAULT_FILTER, mergeFindings } from './slice';

const finding = (fp: string, extra: Partial<Finding> = {}): Finding => ({
  fingerprint: fp, ruleId: 'Drop and execute new binary in container', title: 't', source: 'runtime', severity: 'high', mitre: ['T1059.004'],
  why: 'w', fix: 'f', container: { id: 'c1', name: 'web', image: 'busybox' }, evidence: { events: [] }, count: 1, first: 100, last: 100, status: 'open', ...extra,
});

describe('findings', () => {
  it('merges by fingerprint, latest wins, keeping the previous object intact', () => {
    const a = mergeFindings({}, [finding('aa'), finding('bb')]);
    const b = mergeFindings(a, [finding('aa', { count: 5 })]);
    expect(a.aa.count).toBe(1);
    expect(b.aa.count).toBe(5);
    expect(mergeFindings(b, [])).toBe(b);
  });
  it('filters by severity, status, source, scope, window and text; worst first; posture ignores the window', () => {
    const all = [
      finding('a1', { severity: 'low', last: 50 }),
      finding('a2', { severity: 'critical', first: 100, last: 120 }),
      finding('a3', { status: 'expected' }),
      finding('a4', { container: { id: 'c2', name: 'db', image: 'pg' } }),
      finding('a5', { source: 'posture', severity: 'medium', first: 0, last: 0, ruleId: 'Memory limit not set' }),
    ];
    const scope = new Set(['c1']);
    expect(filterFindings(all, DEFAULT_FILTER, scope).map((f) => f.fingerprint)).toEqual(['a2', 'a5', 'a1']);
    expect(filterFindings(all, { ...DEFAULT_FILTER, minSeverity: 'medium' }, scope).map((f) => f.fingerprint)).toEqual(['a2', 'a5']);
    expect(filterFindings(all, { ...DEFAULT_FILTER, status: 'expected' }, scope).map((f) => f.fingerprint)).toEqual(['a3']);
    expect(filterFindings(all, { ...DEFAULT_FILTER, onlySelected: false }, scope)).toHaveLength(4);
    expect(filterFindings(all, DEFAULT_FILTER, scope, [90, 130]).map((f) => f.fingerprint)).toEqual(['a2', 'a5']);
    expect(filterFindings(all, { ...DEFAULT_FILTER, text: 'memory' }, scope).map((f) => f.fingerprint)).toEqual(['a5']);
    expect(countBySeverity(all)).toMatchObject({ critical: 1, high: 2, medium: 1, low: 1 });
  });
  it('builds MITRE technique and sub-technique URLs and refuses anything else', () => {
    expect(mitreUrl('T1059.004')).toBe('https://attack.mitre.org/techniques/T1059/004/');
    expect(mitreUrl('T1611')).toBe('https://attack.mitre.org/techniques/T1611/');
    expect(mitreUrl('javascript:alert(1)')).toBeUndefined();
    expect(mitreUrl('TA0002')).toBeUndefined();
  });
  it('locates evidence: the process running that pid at that time, the file and the flow', () => {
    const w = reduceFrame(emptyWorld(), frame({
      processes: [proc(42, 10, { exit: 90 }), proc(42, 100, { exe: '/tmp/x' })],
      files: [file({ containerId: 'c1', path: '/etc/evil', kinds: ['created'], first: 150, last: 150 })],
      flows: [flow('172.18.0.3', 8080)],
    }));
    const evil = w.files.values().next().value!.key;
    const f1 = finding('cc', { evidence: { events: [{ kind: 'open', ts: 150, tgid: 42, containerId: 'c1', path: '/etc/evil' }], path: '/etc/evil', fileKey: evil } });
    expect(locateEvidence(w, f1)).toMatchObject({ containerId: 'c1', ts: 150, processKey: '42@100', fileKey: evil });
    const f2 = finding('dd', { evidence: { events: [{ kind: 'connect', ts: 120, tgid: 42, containerId: 'c1', daddr: '172.18.0.3', dport: 8080, proto: 'tcp' }], endpoint: '172.18.0.3:8080', flowKey: flow('172.18.0.3', 8080).key } });
    expect(locateEvidence(w, f2).flowKey).toBe(flow('172.18.0.3', 8080).key);
    // Evidence from before findings carried keys (an older recording) still finds its rows by their fields.
    const legacy = (x: Finding) => ({ ...x, evidence: { ...x.evidence, fileKey: undefined, flowKey: undefined } });
    expect(locateEvidence(w, legacy(f1)).fileKey).toBe(evil);
    expect(locateEvidence(w, legacy(f2)).flowKey).toBe(flow('172.18.0.3', 8080).key);
    const f3 = finding('ee', { evidence: { events: [{ kind: 'exec', ts: 50, tgid: 42, containerId: 'c1' }] } });
    expect(locateEvidence(w, f3).processKey).toBe('42@10');
    expect(severityByProcess(w, [f1, finding('ff', { severity: 'critical', evidence: { events: [{ ts: 120, tgid: 42 }] } })]).get('42@100')).toBe('critical');
  });
  it('points an accept at the inbound flow of its own local port when one client connected to two', () => {
    const in80 = flow('172.17.0.1', 0, { direction: 'inbound', localPort: 80 });
    const in443 = flow('172.17.0.1', 0, { direction: 'inbound', localPort: 443 });
    const w = reduceFrame(emptyWorld(), frame({ flows: [in80, in443] }));
    expect(w.flows.size).toBe(2);
    const ev = { kind: 'accept', ts: 150, tgid: 7, containerId: 'c1', daddr: '172.17.0.1', dport: 40000, sport: 443, proto: 'tcp' };
    const f = finding('ab', { evidence: { events: [ev], endpoint: '172.17.0.1:40000', flowKey: in443.key } });
    expect(locateEvidence(w, f).flowKey).toBe(in443.key);
    expect(locateEvidence(w, { ...f, evidence: { events: [ev], endpoint: '172.17.0.1:40000' } }).flowKey).toBe(in443.key);
  });
});

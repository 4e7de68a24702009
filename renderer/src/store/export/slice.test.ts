// Export slice: the ticket form becomes the engine's target, is remembered without secrets, and a changed target drops the preview.
import { afterEach, describe, expect, it } from 'vitest';
import { create } from 'zustand';
import type { AppState } from '../index';
import { createExportSlice, secretsFor, targetOf, type ExportSlice } from './slice';

const mem = new Map<string, string>();
(globalThis as { localStorage?: unknown }).localStorage = {
  getItem: (k: string) => mem.get(k) ?? null, setItem: (k: string, v: string) => void mem.set(k, v),
};
afterEach(() => mem.clear());

const store = () => create<ExportSlice>()((...a) => createExportSlice(...(a as unknown as Parameters<typeof createExportSlice>)) as ExportSlice & Partial<AppState>);

describe('export slice', () => {
  it('builds the target without empty fields, and issue types only for Jira', () => {
    expect(targetOf({ kind: 'github', baseUrl: ' ', project: ' acme/shop ', issueType: 'Bug', grouping: 'finding' })).toEqual({ kind: 'github', project: 'acme/shop' });
    expect(targetOf({ kind: 'jira-server', baseUrl: 'https://jira.example.com', project: 'SEC', issueType: 'Task', grouping: 'container' }))
      .toEqual({ kind: 'jira-server', project: 'SEC', baseUrl: 'https://jira.example.com', issueType: 'Task' });
    expect(secretsFor('jira-cloud')).toEqual(['jira-email', 'jira-token']);
    expect(secretsFor('gitlab')).toEqual(['gitlab-token']);
  });

  it('remembers the target (never a token) and drops a preview made for another target', () => {
    const s = store();
    s.setState({ ticketPreview: { destination: 'github:a/b', service: 'GitHub', payloads: [], redactionSummary: '', tokenSet: true } });
    s.getState().setTicketForm({ project: 'acme/shop', baseUrl: 'http://127.0.0.1:9' });
    expect(s.getState().ticketPreview).toBeUndefined();
    const saved = JSON.parse(mem.get('glasshouse.ticketTarget') ?? '{}');
    expect(saved).toEqual({ kind: 'github', baseUrl: 'http://127.0.0.1:9', project: 'acme/shop', issueType: '', grouping: 'finding' });
    // A tampered entry cannot smuggle other fields (a token) or types into the form.
    mem.set('glasshouse.ticketTarget', JSON.stringify({ kind: 'gitlab', project: 7, token: 'glpat-x', baseUrl: 'https://gitlab.example.com' }));
    const form = store().getState().ticketForm;
    expect(form).toEqual({ kind: 'gitlab', baseUrl: 'https://gitlab.example.com', project: '', issueType: '', grouping: 'finding' });
    mem.set('glasshouse.ticketTarget', JSON.stringify({ kind: 'trello', grouping: 'team' }));
    expect(store().getState().ticketForm).toMatchObject({ kind: 'github', grouping: 'finding' });
    mem.set('glasshouse.ticketTarget', '{broken');
    expect(store().getState().ticketForm.kind).toBe('github');
  });
});

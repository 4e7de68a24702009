// "Mark as expected": turns a finding into a scoped Falco exception (or posture expectation) in a user rules file.
import { isMap, isSeq, parseDocument, type YAMLMap, type YAMLSeq, type Document } from 'yaml';
import type { Finding } from '../../model/finding';
import { parseImageRef } from '../fields';
import { postureExpectationKeys } from './checks';

export type ExpectationScope = 'image' | 'service';

/** The list posture expectations are kept in; the built-in pack defines it empty so user files append. */
export const POSTURE_EXPECTED_LIST = 'glasshouse_posture_expected';

export class ExpectationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpectationError';
  }
}

/**
 * Returns the user's rules file with an exception that stops this finding's rule from firing again for the
 * same image (or compose service). Runtime findings become Falco exceptions on the rule
 * (`override: {exceptions: append}`); posture findings become items of the `glasshouse_posture_expected`
 * list. Comments and other items in the file are kept. Idempotent: marking twice adds nothing.
 */
export function markExpected(userYaml: string, finding: Finding, scope: ExpectationScope): string {
  const doc = parseDocument(userYaml.trim() ? userYaml : '[]\n');
  if (doc.errors.length) {
    throw new ExpectationError(`The rules file is not valid YAML (${doc.errors[0].message.split('\n')[0]}); fix it before marking findings as expected.`);
  }
  if (doc.contents === null) doc.contents = doc.createNode([]) as never;
  const root = doc.contents;
  if (!isSeq(root)) throw new ExpectationError('The rules file must be a YAML list of items; it is not, so no exception was added.');
  const seq = root as YAMLSeq;

  if (scope === 'service' && !(finding.composeProject && finding.composeService)) {
    throw new ExpectationError(`Container ${finding.container.name} is not part of a compose service; mark it as expected for its image instead.`);
  }

  if (finding.source === 'posture') {
    const cisId = finding.ruleId.replace(/^cis-docker-/, '');
    const keys = postureExpectationKeys(cisId, { image: finding.container.image, composeProject: finding.composeProject, composeService: finding.composeService });
    const key = scope === 'service' ? keys[0] : keys[keys.length - 1];
    addListItem(doc, seq, POSTURE_EXPECTED_LIST, key);
    return doc.toString({ lineWidth: 0 });
  }

  const repo = parseImageRef(finding.container.image).repository;
  const exception = scope === 'image'
    ? { name: 'glasshouse_expected_image', fields: 'container.image.repository', comps: 'in', value: repo as unknown }
    : { name: 'glasshouse_expected_service', fields: ['compose.project', 'compose.service'], comps: ['=', '='], value: [finding.composeProject, finding.composeService] as unknown };

  const item = seq.items.find((n) => isMap(n) && n.get('rule') === finding.ruleId && isMap(n.get('override')) && (n.get('override') as YAMLMap).get('exceptions') === 'append') as YAMLMap | undefined;
  if (item) {
    const exs = item.get('exceptions') as YAMLSeq | undefined;
    const ex = exs?.items.find((e) => isMap(e) && e.get('name') === exception.name) as YAMLMap | undefined;
    if (ex) {
      const values = ex.get('values') as YAMLSeq;
      const json = values.toJSON() as unknown[];
      if (!json.some((v) => JSON.stringify(v) === JSON.stringify(exception.value))) values.add(doc.createNode(exception.value, { flow: true }));
      return doc.toString({ lineWidth: 0 });
    }
    if (exs) exs.add(doc.createNode({ name: exception.name, fields: exception.fields, comps: exception.comps, values: [exception.value] }));
    else item.set('exceptions', doc.createNode([{ name: exception.name, fields: exception.fields, comps: exception.comps, values: [exception.value] }]));
    return doc.toString({ lineWidth: 0 });
  }
  const node = doc.createNode({
    rule: finding.ruleId,
    exceptions: [{ name: exception.name, fields: exception.fields, comps: exception.comps, values: [exception.value] }],
    override: { exceptions: 'append' },
  }) as YAMLMap;
  node.commentBefore = ` Marked as expected in Glasshouse: ${finding.title} (fingerprint ${finding.fingerprint.slice(0, 12)})`;
  seq.add(node);
  return doc.toString({ lineWidth: 0 });
}

function addListItem(doc: Document, seq: YAMLSeq, list: string, value: string): void {
  const item = seq.items.find((n) => isMap(n) && n.get('list') === list) as YAMLMap | undefined;
  if (item) {
    const items = item.get('items') as YAMLSeq;
    if (!(items.toJSON() as string[]).includes(value)) items.add(value);
    return;
  }
  const node = doc.createNode({ list, items: [value], override: { items: 'append' } }) as YAMLMap;
  node.commentBefore = ' Posture checks marked as expected in Glasshouse (CIS id:scope:target).';
  seq.add(node);
}

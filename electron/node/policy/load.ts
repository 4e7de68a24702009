// Finds and reads glasshouse.yaml from the user's repository; all problems are reported at once, with lines.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { FileFormatError } from '../../common/ipc/errors';
import { POLICY_FILE_NAMES, formatProblems, parsePolicy, type Policy } from '../../common/policy';

/** Looks in `dir` and its parents up to the repository root (a .git directory) for glasshouse.yaml/.yml. */
export function findPolicyFile(dir: string): string | undefined {
  let cur = resolve(dir);
  for (;;) {
    for (const name of POLICY_FILE_NAMES) {
      const p = join(cur, name);
      if (existsSync(p)) return p;
    }
    if (existsSync(join(cur, '.git'))) return undefined;
    const up = dirname(cur);
    if (up === cur) return undefined;
    cur = up;
  }
}

/** Reads and parses a policy file; throws FileFormatError listing every problem as file:line: message. */
export function loadPolicyFile(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FileFormatError(`The policy file ${file} could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`,
      'Check the path passed to --policy.');
  }
  const { policy, problems } = parsePolicy(text, file);
  if (!policy) {
    throw new FileFormatError(`The policy file ${file} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${formatProblems(problems)}`,
      'Fix the lines above; nothing was checked against the policy.');
  }
  return policy;
}

// Redaction is tested with planted secrets of every kind we promise to remove, and with text that must survive.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactReportInput, redactString } from './redact';
import { renderReport } from './index';
import { REPORT_FORMATS } from './types';
import { sampleReportInput } from './sample';
import { keyedFile } from '../../common/state/keys';

const GH = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
const GH_PAT = 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS';
const AWS = 'AKIAIOSFODNN7EXAMPLE';
const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----';

const planted: Array<[string, string, string]> = [
  ['github token', `git clone https://x/y --token ${GH}`, GH],
  ['github fine-grained PAT', `export T=${GH_PAT}`, GH_PAT],
  ['aws access key id', `aws configure set aws_access_key_id ${AWS}`, AWS],
  ['aws secret in assignment', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY aws s3 ls', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
  ['jwt', `curl -d token=${JWT}`, JWT],
  ['bearer header', 'curl -H "Authorization: Bearer abc123secretvalue" https://api', 'abc123secretvalue'],
  ['basic header', 'Authorization: Basic dXNlcjpwYXNz', 'dXNlcjpwYXNz'],
  ['gitlab header', 'curl --header "PRIVATE-TOKEN: glpat-abcdefghij0123456789" https://gitlab', 'glpat-abcdefghij0123456789'],
  ['url credentials', 'psql postgres://app:S3cretPw@db:5432/app', 'S3cretPw'],
  ['password flag', 'redis-cli --pass=hunter2hunter2 ping', 'hunter2hunter2'],
  ['password flag with space', 'app --password "correct horse"', 'correct horse'],
  ['mysql glued -p', 'mysql -u root -pTopSecret1 shop', 'TopSecret1'],
  ['url token parameter', 'wget "https://h/x?access_token=zz9988&x=1"', 'zz9988'],
  ['private key', `echo '${KEY}' > /root/.ssh/id`, 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ'],
  ['slack token', 'SLACK=xoxb-123456789012-abcdefghijkl', 'xoxb-123456789012-abcdefghijkl'],
];

describe('redactString', () => {
  for (const [name, text, secret] of planted) {
    it(`removes a planted ${name}`, () => {
      const r = redactString(text);
      expect(r.value).not.toContain(secret);
      expect(r.value).toMatch(/\[REDACTED:[a-z-]+\]/);
      expect(Object.values(r.kinds).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    });
  }

  it('keeps ordinary command lines, paths and endpoints intact', () => {
    for (const s of ['nginx -g daemon off;', '/usr/bin/python3 -m http.server 8080', '203.0.113.7:3333',
      '/etc/passwd', 'sh -c "ls -la /tmp"', 'curl https://example.com/path?page=2', 'keytool -list']) {
      const r = redactString(s);
      expect(r.value).toBe(s);
      expect(r.kinds).toEqual({});
    }
  });

  it('names the kind of secret and keeps the non-secret part', () => {
    expect(redactString('postgres://app:pw@db/x').value).toBe('postgres://app:[REDACTED:url-credentials]@db/x');
    expect(redactString(`TOKEN=${GH}`).value).toBe('TOKEN=[REDACTED:github-token]');
    expect(redactString(`TOKEN=${GH}`).kinds).toEqual({ 'github-token': 1 });
  });
});

describe('redactReportInput', () => {
  it('redacts argv split across elements, environments and evidence, and reports where', () => {
    const input = sampleReportInput();
    input.findings[0].evidence.events.push({ kind: 'exec', env: { DB_PASSWORD: 'pg-pass-1', PATH: '/bin' } });
    input.processes![0].argv = ['app', '--api-key', 'k-123456', '--port', '8080'];
    const out = redactReportInput(input);
    const text = JSON.stringify(out);
    for (const secret of ['hunter2', 's3cr3t', 'abc.def', 'pg-pass-1', 'k-123456', 'wJalrXUtnFEMI']) {
      expect(text).not.toContain(secret);
    }
    expect(out.processes![0].argv).toEqual(['app', '--api-key', '[REDACTED:credential-argument]', '--port', '8080']);
    // Environment names survive so a reader knows which variable held a secret.
    expect(text).toContain('DB_PASSWORD');
    expect(out.redactions).toContainEqual({ kind: 'credential-argument', where: 'processes[0].argv[2]', count: 1 });
    expect(out.redactions!.some((n) => n.kind === 'environment-value' && n.where.includes('evidence.events'))).toBe(true);
    // The input object is not mutated: the store keeps the original evidence.
    expect(input.processes![0].argv[2]).toBe('k-123456');
  });

  it('redacts a secret in a changed file\'s path from the path, the file it was renamed from and its key', () => {
    const input = sampleReportInput();
    input.fileChanges = [keyedFile({ containerId: 'a'.repeat(64), path: `/tmp/${GH}`, renamedFrom: `/tmp/${GH}.part`, kinds: ['renamed'], first: 1, last: 1 })];
    input.findings[0].evidence.fileKey = input.fileChanges[0].key;
    const out = redactReportInput(input);
    expect(JSON.stringify(out)).not.toContain(GH);
    expect(out.fileChanges![0].key).toBe(`${'a'.repeat(64)}|/tmp/[REDACTED:github-token]`);
    expect(out.redactions).toContainEqual({ kind: 'github-token', where: 'fileChanges[0].key', count: 1 });
  });

  it('leaves no planted secret in any rendered format', () => {
    const input = sampleReportInput();
    input.findings[1].evidence.output = `token ${GH} key ${AWS} jwt ${JWT}`;
    for (const format of REPORT_FORMATS) {
      const text = renderReport(format, input);
      for (const secret of [GH, AWS, JWT, 'hunter2', 's3cr3t', 'wJalrXUtnFEMI']) expect(text, format).not.toContain(secret);
      expect(text, format).toContain('github-token');
    }
  });
});

// A corpus of made-up secrets in each service's documented shape, and benign look-alikes (test/fixtures/redaction).
interface Corpus { secrets: Array<{ kind: string; text: string; secret: string }>; benign: string[] }
const corpus = JSON.parse(readFileSync(join(__dirname, '../../../test/fixtures/redaction/corpus.json'), 'utf8')) as Corpus;

describe('redaction corpus', () => {
  it('holds at least 100 secrets and 50 look-alikes', () => {
    expect(corpus.secrets.length).toBeGreaterThanOrEqual(100);
    expect(corpus.benign.length).toBeGreaterThanOrEqual(50);
  });

  it('redacts every secret (recall 100 %) and mangles no benign string (0 false positives)', () => {
    const missed = corpus.secrets.filter((c) => redactString(c.text).value.includes(c.secret)).map((c) => `${c.kind}: ${c.text}`);
    const mangled = corpus.benign.filter((b) => redactString(b).value !== b).map((b) => `${b} → ${redactString(b).value}`);
    console.log(`redaction corpus: recall ${corpus.secrets.length - missed.length}/${corpus.secrets.length}, false positives ${mangled.length}/${corpus.benign.length}`);
    expect(missed).toEqual([]);
    expect(mangled).toEqual([]);
  });

  it('redacts the same secrets inside argv arrays, flag and value in separate elements', () => {
    const r = redactReportInput({ ...sampleReportInput(), processes: [] });
    const argvs: Array<[string[], string]> = [
      [['sshpass', '-p', 'Zr8kQw2mTx', 'ssh', 'root@h'], 'Zr8kQw2mTx'],
      [['redis-cli', '-h', 'cache', '-a', 'Lq0vBn5sPe7w', 'ping'], 'Lq0vBn5sPe7w'],
      [['/usr/bin/curl', '-u', 'admin:Yh3jK9mN2pQ4', 'https://x'], 'Yh3jK9mN2pQ4'],
      [['aws', 'configure', 'set', 'aws_secret_access_key', 'Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90'], 'Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90'],
    ];
    for (const [argv, secret] of argvs) {
      const out = redactReportInput({ ...r, processes: [{ ...sampleReportInput().processes![0], argv, lineage: [] }] });
      expect(out.processes![0].argv.join(' '), argv[0]).not.toContain(secret);
      expect(out.processes![0].argv.length).toBe(argv.length);
    }
    const kept = redactReportInput({ ...r, processes: [{ ...sampleReportInput().processes![0], argv: ['docker', 'run', '-u', '1000:1000', 'alpine'], lineage: [] }] });
    expect(kept.processes![0].argv).toEqual(['docker', 'run', '-u', '1000:1000', 'alpine']);
  });

  it('redacts values under secret-looking keys in evidence objects, whatever they look like', () => {
    const input = sampleReportInput();
    input.findings[0].evidence.events.push({ kind: 'exec', config: { password: 'plain', apiKey: 'short', client_secret: 42, passwordFile: '/run/secrets/pw', token_type: 'bearer', user: 'app' } });
    const out = redactReportInput(input);
    const cfg = (out.findings[0].evidence.events.at(-1) as { config: Record<string, unknown> }).config;
    expect(cfg).toEqual({
      password: '[REDACTED:secret-field]', apiKey: '[REDACTED:secret-field]', client_secret: '[REDACTED:secret-field]',
      passwordFile: '/run/secrets/pw', token_type: 'bearer', user: 'app',
    });
    expect(out.redactions).toContainEqual(expect.objectContaining({ kind: 'secret-field', where: expect.stringMatching(/evidence\.events\[\d+\]\.config\.password$/) }));
  });
});

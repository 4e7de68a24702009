// Every built-in rule that a busybox container can act out: a real behaviour fires it (helper → state → rules)
// and a benign neighbour does not. Rules busybox cannot act out are in probe.test.ts (PROBE_SCENARIOS).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPack, observe, startRig, type Rig } from './harness';
import { PROBE_SCENARIOS } from './probe';

/** [rule, behaviour that must fire it, benign behaviour that must not]. */
const SCENARIOS: Array<[string, string, string]> = [
  ['Terminal shell in container', 'id', '!id'],
  // Benign: the shell forks `id` as its child (two commands), where a single command would be exec'd in place of the shell.
  ['Non-shell program run with docker exec (Glasshouse)', '!id', 'id; true'],
  ['Shell spawned by a server process', 'mkdir -p /www/cgi-bin && ln -sf /bin/sh /www/cgi-bin/sh && echo hi > /www/index.html && httpd -p 8081 -h /www && wget -qO- http://127.0.0.1:8081/cgi-bin/sh; killall httpd',
    'mkdir -p /www2 && echo hi > /www2/index.html && httpd -p 8082 -h /www2 && wget -qO- http://127.0.0.1:8082/index.html; killall httpd'],
  ['Interpreter runs inline code', 'python3 -c "print(1)"', 'python3 /app.py'],
  ['Container management tool in container', 'docker ps', 'ls /'],
  ['SSH client or server in container', 'sshd -D', 'ls /'],
  ['Package management process launched in container', 'apk add curl', 'ls /'],
  ['Language package install at runtime', 'pip install requests', 'pip list'],
  ['Drop and execute new binary in container', 'cp /bin/busybox /tmp/dropped && /tmp/dropped true', '/bin/busybox true'],
  ['Execute binary written after container start (Glasshouse)', 'cp /bin/busybox /tmp/dropped2 && /tmp/dropped2 true', '/bin/busybox true'],
  ['Execution from a temporary directory', 'cp /bin/busybox /tmp/dropped3 && /tmp/dropped3 true', '/bin/busybox true'],
  ['Executable bit set on file in container', 'echo x > /tmp/s && chmod +x /tmp/s', 'echo x > /tmp/t && chmod 600 /tmp/t'],
  ['Write below etc', 'echo x > /etc/app.conf', 'echo x > /tmp/app.conf'],
  ['Write to account database', 'echo "eve:x:1000:1000::/:/bin/sh" >> /etc/passwd', 'cat /etc/passwd > /dev/null'],
  ['User account management tool run', 'useradd eve', 'id'],
  ['Write below binary dir', 'echo x > /usr/bin/evil', 'echo x > /tmp/evil'],
  ['Write below library dir', 'mkdir -p /usr/lib && echo x > /usr/lib/libevil.so', 'echo x > /tmp/lib.so'],
  ['Dynamic linker preload modified', 'echo /tmp/x.so > /etc/ld.so.preload', 'cat /etc/hostname'],
  ['Write below root home', 'echo x > /root/tool', 'echo x > /tmp/tool'],
  ['Shell configuration file modified', 'echo "alias ls=id" >> /root/.profile', 'cat /etc/hostname'],
  ['Schedule cron jobs', 'echo "* * * * * id" > /etc/crontabs/root', 'crontab -l'],
  ['SSH authorized keys modified', 'echo key >> /root/.ssh/authorized_keys', 'echo host >> /root/.ssh/known_hosts'],
  ['Create files below dev', 'echo x > /dev/hidden', 'echo x > /dev/null'],
  ['Hidden file or directory created', 'mkdir /tmp/.hidden', 'mkdir /tmp/visible'],
  ['Read sensitive file untrusted', 'cat /etc/shadow', 'cat /etc/hostname'],
  ['Read SSH private key', 'cat /root/.ssh/id_rsa', 'cat /etc/hostname'],
  ['Read cloud or registry credentials', 'cat /root/.aws/credentials', 'cat /etc/hostname'],
  ['Read service account token or container secret', 'cat /var/run/secrets/kubernetes.io/serviceaccount/token', 'cat /etc/hostname'],
  ['Read process environment', 'cat /proc/1/environ', 'cat /proc/self/environ'],
  ['Read process memory', 'cat /proc/1/mem', 'cat /proc/self/status'],
  // Busybox ash runs some applets in-process (no exec); a path makes it exec them like real programs.
  ['Search for private keys or passwords', '/bin/find / -name id_rsa', '/bin/find /etc -name hostname'],
  ['Contact cloud metadata service', 'nc -w 1 169.254.169.254 80', 'nc -w 1 127.0.0.1 80'],
  ['Netcat remote code execution in container', 'nc -w 1 127.0.0.1 1 -e /bin/true', 'nc -w 1 127.0.0.1 1'],
  ['Netcat or socat run in container', 'nc -w 1 127.0.0.1 1', 'echo hi'],
  ['Reverse shell command line', 'echo "exec 3<>/dev/tcp/127.0.0.1/1"', 'echo hello'],
  ['Shell or netcat listening', 'timeout 2 nc -l -p 31337', 'timeout 2 httpd -f -p 8080'],
  ['Unexpected listening port', 'timeout 2 httpd -f -p 31338', 'timeout 2 httpd -f -p 8080'],
  ['Download tool launched in container', 'wget -T 1 -qO- http://127.0.0.1:1/x', 'wget --help'],
  ['Remote file copy tool launched', 'scp a b', 'ls /'],
  ['Outbound connection to public address on unusual port', 'nc -w 1 198.51.100.1 2222', 'nc -w 1 198.51.100.1 443'],
  ['Outbound connection to IRC or Tor port', 'nc -w 1 198.51.100.1 6667', 'nc -w 1 198.51.100.1 443'],
  ['Outbound connection to mining pool port', 'nc -w 1 198.51.100.1 3333', 'nc -w 1 198.51.100.1 443'],
  ['Cloud metadata name resolved (Glasshouse)', 'timeout 2 nslookup metadata.google.internal 127.0.0.1', 'timeout 2 nslookup example.com 127.0.0.1'],
  ['Tunnel or dynamic DNS domain resolved (Glasshouse)', 'timeout 2 nslookup abc.ngrok.io 127.0.0.1', 'timeout 2 nslookup example.com 127.0.0.1'],
  ['Mining pool domain resolved (Glasshouse)', 'timeout 2 nslookup pool.supportxmr.com 127.0.0.1', 'timeout 2 nslookup example.com 127.0.0.1'],
  ['Network reconnaissance tool launched', 'nmap 10.0.0.1', 'ls /'],
  ['Netcat port scan', 'nc -z -w 1 127.0.0.1 1', 'nc -w 1 127.0.0.1 1'],
  ['Network configuration discovery', '/bin/ip addr', '/bin/hostname'],
  ['Crypto miner launched', 'xmrig --version', 'ls /'],
  ['Stratum mining protocol in command line', 'echo -o stratum+tcp://pool:3333', 'echo hello'],
  ['Mount syscall in container', 'mount -t tmpfs none /mnt', 'mount'],
  ['Write to cgroup release_agent', 'echo /x > /sys/fs/cgroup/release_agent', 'cat /etc/hostname'],
  ['Write to cgroup filesystem', 'echo 1 > /sys/fs/cgroup/cgroup.procs', 'cat /sys/fs/cgroup/cgroup.procs > /dev/null'],
  ['Write to kernel parameters', 'echo core > /proc/sys/kernel/core_pattern', 'cat /proc/sys/kernel/hostname > /dev/null'],
  ['Change namespace with setns or nsenter', 'nsenter -t 1 -m true', 'true'],
  ['New namespaces created with unshare', 'unshare -m true', 'true'],
  ['Access host filesystem through proc root', 'cat /proc/1/root/etc/hostname', 'cat /etc/hostname'],
  ['Kernel module loaded from container', '/usr/local/bin/insmod /tmp/x.ko', 'ls /'],
  ['Debugfs launched in container', 'debugfs -R ls /dev/sda', 'ls /'],
  ['Chroot in container', 'chroot / true', 'true'],
  ['Set setuid or setgid bit', 'cp /bin/busybox /tmp/suid && chmod u+s /tmp/suid', 'cp /bin/busybox /tmp/nosuid && chmod 755 /tmp/nosuid'],
  ['Sudo or su run in container', 'su -c true nobody', 'id'],
  ['Pkexec run in container', 'pkexec true', 'ls /'],
  ['Debugger or tracer run in container', 'strace -p 1', 'ls /'],
  ['Clear log activities', ': > /var/log/app.log', 'echo x >> /var/log/app.log'],
  ['Delete or truncate shell history', 'rm -f /root/.ash_history', 'cat /root/.ash_history'],
  ['Secure file deletion tool run', 'shred /tmp/x', 'ls /'],
  ['Firewall rules modified', 'iptables -F', 'iptables -L'],
  ['Program renamed to look like a system process', 'cp /bin/busybox /tmp/kworker && /tmp/kworker true', '/usr/local/bin/kworker true'],
];

/**
 * Rules whose live positive is known not to fire yet, with the reason; `it.fails` keeps them honest: the
 * test starts failing (and must move back to a normal test) as soon as the gap is closed.
 */
const KNOWN_GAPS: Record<string, string> = {};

/** Rules busybox cannot act out run in probe.test.ts (ghprobe, a real bash): PROBE_SCENARIOS. */

describe('built-in pack on real behaviour (helper → state → rules)', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it('has a scenario or a stated reason for every rule', () => {
    const names = loadPack().rules.map((r) => r.name).sort();
    expect([...SCENARIOS.map((s) => s[0]), ...PROBE_SCENARIOS.map((s) => s.rule)].sort()).toEqual(names);
  });

  // `!cmd` runs the program directly with docker exec, without a shell in between.
  const run = (script: string) => (script.startsWith('!') ? observe(rig, script.slice(1), { direct: true }) : observe(rig, script));

  describe.each(SCENARIOS)('%s', (rule, positive, benign) => {
    it('does not fire on benign behaviour', async () => {
      const matches = await run(benign);
      expect(matches.filter((m) => m.rule.name === rule).map((m) => m.rule.output.render(m.event, rig.detector.ctx))).toEqual([]);
    });
    (KNOWN_GAPS[rule] ? it.fails : it)(`fires on the behaviour${KNOWN_GAPS[rule] ? ` (known gap: ${KNOWN_GAPS[rule]})` : ''}`, async () => {
      const matches = await run(positive);
      expect(matches.map((m) => m.rule.name)).toContain(rule);
      const f = rig.detector.list(rig.container.id).find((x) => x.ruleId === rule)!;
      expect(f.container.name).toBe(rig.container.name);
      expect(f.evidence.events.length).toBeGreaterThan(0);
    });
  });
});


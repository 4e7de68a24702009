/* Fuzz stubs for what watch.c calls outside itself: libbpf map calls (an in-memory model of each map that checks
 * keys and values the way the kernel would) and the output layer (every frame the helper would send is checked:
 * framing, size per op, and the 16.8 rule that a container is only reported as watched with its own cgroup).
 * Included after ../src/watch.c in each harness, which then sees watch.c's statics. A violated check aborts. */
#include <ftw.h>
#include <sys/stat.h>

struct gh_state g;

#define CHECK(c, ...) do { if (!(c)) { fprintf(stderr, "fuzz check failed: %s: ", #c); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); abort(); } } while (0)

struct bpf_map { int id; };
enum { M_CONFIG = 1, M_CGROUPS, M_MNTNS, M_PREFIXES, M_ADMIT, M_N };
static struct bpf_map maps_[M_N] = {{0}, {M_CONFIG}, {M_CGROUPS}, {M_MNTNS}, {M_PREFIXES}, {M_ADMIT}};
static struct glasshouse_bpf skel_ = {{&maps_[M_CONFIG], &maps_[M_CGROUPS], &maps_[M_MNTNS], &maps_[M_PREFIXES], &maps_[M_ADMIT]}};

#define HASH_MAX 4096
struct prefix_value { __u32 len, pad; __u64 w[GH_PREFIX_LEN / 8]; __u64 m[GH_PREFIX_LEN / 8]; };
static struct config_value config_;
static bool config_set_;
static __u64 cgroups_[HASH_MAX]; static int n_cgroups_;
static __u32 mntns_[HASH_MAX]; static int n_mntns_;
static struct prefix_value prefixes_[GH_PREFIX_MAX], admit_[GH_ADMIT_MAX];

static void maps__reset(void)
{
	memset(&config_, 0, sizeof(config_));
	config_set_ = false;
	n_cgroups_ = n_mntns_ = 0;
	memset(prefixes_, 0, sizeof(prefixes_));
	memset(admit_, 0, sizeof(admit_));
}

int bpf_map__fd(const struct bpf_map *m) { CHECK(m && m->id > 0 && m->id < M_N, "no such map"); return 100 + m->id; }

static bool hash_has(const void *keys, int n, size_t ks, const void *k)
{
	for (int i = 0; i < n; i++)
		if (memcmp((const char *)keys + i * ks, k, ks) == 0)
			return true;
	return false;
}

static void prefix__check(const struct prefix_value *v)
{
	CHECK(v->len < GH_PREFIX_LEN, "prefix length %u", v->len);
	const unsigned char *w = (const void *)v->w, *m = (const void *)v->m;
	for (unsigned i = 0; i < GH_PREFIX_LEN; i++) {
		CHECK(m[i] == (i < v->len ? 0xff : 0), "mask byte %u does not follow len %u", i, v->len);
		CHECK(i < v->len ? w[i] != 0 : w[i] == 0, "word byte %u does not follow len %u", i, v->len);
	}
}

int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags)
{
	switch (fd - 100) {
	case M_CONFIG: {
		CHECK(*(const __u32 *)key == 0, "config key %u", *(const __u32 *)key);
		memcpy(&config_, value, sizeof(config_));
		config_set_ = true;
		CHECK(config_.prefix_count <= GH_PREFIX_MAX, "prefix_count %u", config_.prefix_count);
		CHECK(config_.admit_count <= GH_ADMIT_MAX, "admit_count %u", config_.admit_count);
		CHECK(!config_.trace_all || g.host_allowed, "host mode on without --host");
		return 0;
	}
	case M_CGROUPS:
		CHECK(*(const __u8 *)value == 1, "watched_cgroups value");
		if (!hash_has(cgroups_, n_cgroups_, 8, key)) {
			if (n_cgroups_ == HASH_MAX)
				return -E2BIG;
			memcpy(&cgroups_[n_cgroups_++], key, 8);
		}
		return 0;
	case M_MNTNS:
		if (!hash_has(mntns_, n_mntns_, 4, key)) {
			if (n_mntns_ == HASH_MAX)
				return -E2BIG;
			memcpy(&mntns_[n_mntns_++], key, 4);
		}
		return 0;
	case M_PREFIXES:
	case M_ADMIT: {
		__u32 k = *(const __u32 *)key, max = fd - 100 == M_PREFIXES ? GH_PREFIX_MAX : GH_ADMIT_MAX;
		CHECK(k < max, "array map key %u >= %u", k, max);
		struct prefix_value *slot = (fd - 100 == M_PREFIXES ? prefixes_ : admit_) + k;
		memcpy(slot, value, sizeof(*slot));
		prefix__check(slot);
		return 0;
	}
	}
	CHECK(0, "update of unknown fd %d", fd);
	return -EBADF;
}

int bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	CHECK(fd - 100 == M_CONFIG, "lookup only expected in the config map (fd %d)", fd);
	CHECK(*(const __u32 *)key == 0, "config key");
	memcpy(value, &config_, sizeof(config_));
	return 0;
}

static int hash_del(void *keys, int *n, size_t ks, const void *k)
{
	for (int i = 0; i < *n; i++)
		if (memcmp((char *)keys + i * ks, k, ks) == 0) {
			memmove((char *)keys + i * ks, (char *)keys + (i + 1) * ks, (*n - i - 1) * ks);
			(*n)--;
			return 0;
		}
	return -ENOENT;
}

int bpf_map_delete_elem(int fd, const void *key)
{
	if (fd - 100 == M_CGROUPS)
		return hash_del(cgroups_, &n_cgroups_, 8, key);
	if (fd - 100 == M_MNTNS)
		return hash_del(mntns_, &n_mntns_, 4, key);
	CHECK(0, "delete in fd %d", fd);
	return -EBADF;
}

/* ---- output layer ---- */
/* What the harness knows of the fake hosts it built: the cgroup inode each container id may be watched with. */
#define FAKE_IDS 2
static char fake_id_[FAKE_IDS][65];
static __u64 fake_cgid_[FAKE_IDS];
static __u32 host_mntns_;
static unsigned long frames_, watched_ok_, seeds_;
static bool (*frame_hook_)(const struct gh_frame *f, __u32 len);

size_t out__pending(void) { return 0; }
void out__flush(void) {}
void frame__init(struct gh_frame *f, __u16 op, __u32 len)
{
	f->magic = GH_MAGIC;
	f->len = len;
	f->schema = GH_SCHEMA_VERSION;
	f->op = op;
	f->seq = 0;
}

static bool hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool out__frame(void *frame, __u32 len, bool droppable)
{
	static unsigned char copy[GH_MAX_FRAME] __attribute__((aligned(8)));
	CHECK(len >= sizeof(struct gh_frame) && len <= GH_MAX_FRAME, "frame of %u bytes", len);
	memcpy(copy, frame, len); /* ASan: all len bytes must be readable */
	const struct gh_frame *f = (const void *)copy;
	CHECK(f->magic == GH_MAGIC && f->len == len && f->schema == GH_SCHEMA_VERSION, "header (len %u/%u)", f->len, len);
	CHECK(!droppable, "watch.c sends only control frames (op %u)", f->op);
	frames_++;
	switch (f->op) {
	case GH_OP_LOG: {
		const struct gh_log *l = (const void *)f;
		CHECK(len == sizeof(*l) + l->msg_len && l->msg_len > 0 && l->msg_len < 512, "log of %u bytes, msg %u", len, l->msg_len);
		CHECK(l->level >= GH_LOG_INFO && l->level <= GH_LOG_ERROR, "log level %d", l->level);
		break;
	}
	case GH_OP_WATCHED: {
		const struct gh_watched *w = (const void *)f;
		CHECK(len == sizeof(*w), "watched of %u bytes", len);
		CHECK(w->status == 0 || w->status == -EINVAL || w->status == -EPERM || w->status == -ENOENT || w->status == -ENOSPC,
		      "watched status %d", w->status);
		if (w->status == 0 && w->watching) {
			watched_ok_++;
			CHECK(hex64(w->container_id), "watched an id that is not 64 hex");
			if (g.cg2_root[0]) {
				bool own = false;
				for (int i = 0; i < FAKE_IDS; i++)
					own |= memcmp(w->container_id, fake_id_[i], 64) == 0 && w->cgroup_id == fake_cgid_[i];
				CHECK(own, "watched %.12s with cgroup %llu, not its own", w->container_id, (unsigned long long)w->cgroup_id);
				CHECK(hash_has(cgroups_, n_cgroups_, 8, &w->cgroup_id), "watched but not in the cgroup filter");
			} else {
				CHECK(w->mntns && w->mntns != host_mntns_, "watched with the host's mount namespace");
				CHECK(hash_has(mntns_, n_mntns_, 4, &w->mntns), "watched but not in the mntns filter");
			}
		}
		break;
	}
	case GH_OP_SEED: {
		const struct gh_seed *s = (const void *)f;
		seeds_++;
		CHECK(len == sizeof(*s) + s->exe_len + s->argv_len + s->cwd_len, "seed of %u bytes, parts %u+%u+%u", len, s->exe_len,
		      s->argv_len, s->cwd_len);
		CHECK(s->exe_len <= GH_PATH_MAX && s->cwd_len <= GH_PATH_MAX && s->argv_len <= GH_ARGV_MAX, "seed part too long");
		CHECK(s->argc <= s->argv_len, "argc %u > argv bytes %u", s->argc, s->argv_len);
		CHECK(s->e.kind == GH_KIND_EXEC && s->e.pid == s->e.tgid, "seed kind/pid");
		break;
	}
	default:
		CHECK(0, "watch.c sent op %u", f->op);
	}
	if (frame_hook_)
		frame_hook_(f, len);
	return true;
}

void log__send(int level, int code, const char *fmt, ...)
{
	struct {
		struct gh_log l;
		char msg[512];
	} m;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(m.msg, sizeof(m.msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n >= (int)sizeof(m.msg))
		n = sizeof(m.msg) - 1;
	memset(&m.l, 0, sizeof(m.l));
	m.l.level = level;
	m.l.code = code;
	m.l.msg_len = n;
	frame__init(&m.l.h, GH_OP_LOG, sizeof(m.l) + n);
	out__frame(&m, sizeof(m.l) + n, false);
}

/* ---- fake host: /proc and a cgroup v2 tree in a temporary folder ---- */
static char fake_root_[256], fake_proc_[300], fake_cg_[300];

static void put(const char *path, const char *text, size_t n)
{
	FILE *f = fopen(path, "w");
	CHECK(f, "cannot write %s", path);
	fwrite(text, 1, n, f);
	fclose(f);
}

static void mkdirs(const char *path)
{
	char p[600];
	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			mkdir(p, 0755);
			*s = '/';
		}
	mkdir(p, 0755);
}

static __u64 ino(const char *path)
{
	struct stat st;
	CHECK(stat(path, &st) == 0, "stat %s", path);
	return st.st_ino;
}

/* A process of the fake host: its cgroup line, its own mount namespace file (or pid 1's), stat, cmdline. */
static void fake_proc(int pid, const char *cgroup, bool own_ns)
{
	char p[700], t[700];
	snprintf(p, sizeof(p), "%s/%d/ns", fake_proc_, pid);
	mkdirs(p);
	snprintf(p, sizeof(p), "%s/%d/cgroup", fake_proc_, pid);
	int n = snprintf(t, sizeof(t), "12:pids:/x\n0::%s\n", cgroup);
	put(p, t, n);
	snprintf(p, sizeof(p), "%s/%d/ns/mnt", fake_proc_, pid);
	if (own_ns || pid == 1) {
		put(p, "", 0);
	} else {
		snprintf(t, sizeof(t), "%s/1/ns/mnt", fake_proc_);
		link(t, p);
	}
	snprintf(p, sizeof(p), "%s/%d/stat", fake_proc_, pid);
	n = snprintf(t, sizeof(t), "%d (sh) S 1 %d %d 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 4242 1 1 1", pid, pid, pid);
	put(p, t, n);
	snprintf(p, sizeof(p), "%s/%d/status", fake_proc_, pid);
	{ const char *st = "Name:\tsh\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"; put(p, st, strlen(st)); }
	snprintf(p, sizeof(p), "%s/%d/cmdline", fake_proc_, pid);
	put(p, "sh\0-c\0sleep 1\0", 14);
	snprintf(p, sizeof(p), "%s/%d/exe", fake_proc_, pid);
	symlink("/bin/sh", p);
	snprintf(p, sizeof(p), "%s/%d/cwd", fake_proc_, pid);
	symlink("/", p);
}

static void fake_host(void)
{
	snprintf(fake_root_, sizeof(fake_root_), "%s/gh-fuzz-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	CHECK(mkdtemp(fake_root_), "mkdtemp");
	snprintf(fake_proc_, sizeof(fake_proc_), "%s/proc", fake_root_);
	snprintf(fake_cg_, sizeof(fake_cg_), "%s/cg", fake_root_);
	const char *a = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
	const char *b = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	snprintf(fake_id_[0], 65, "%s", a);
	snprintf(fake_id_[1], 65, "%s", b);
	char p[700], cg[400];
	snprintf(p, sizeof(p), "%s/docker/%s", fake_cg_, a);
	mkdirs(p);
	fake_cgid_[0] = ino(p);
	snprintf(p, sizeof(p), "%s/system.slice/docker-%s.scope", fake_cg_, b);
	mkdirs(p);
	fake_cgid_[1] = ino(p);
	snprintf(p, sizeof(p), "%s/user.slice/user-1000.slice/session-2.scope", fake_cg_);
	mkdirs(p);
	snprintf(p, sizeof(p), "%s/init.scope", fake_cg_);
	mkdirs(p);
	fake_proc(1, "/init.scope", true);
	host_mntns_ = ino(strcat(strcpy(p, fake_proc_), "/1/ns/mnt"));
	snprintf(cg, sizeof(cg), "/docker/%s", a);
	fake_proc(100, cg, true);
	fake_proc(101, cg, false);
	snprintf(cg, sizeof(cg), "/system.slice/docker-%s.scope", b);
	fake_proc(200, cg, true);
	fake_proc(300, "/user.slice/user-1000.slice/session-2.scope", true);
	fake_proc(400, "/", true);
	g.skel = &skel_;
	g.proc_root = fake_proc_;
	g.ring_bytes = 1 << 20;
	g.kinds = ~0ull;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) { return remove(path); }

static void fake_host_remove(void)
{
	if (fake_root_[0])
		nftw(fake_root_, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

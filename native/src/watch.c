/* Control messages from the engine, and what they drive: the watched-cgroup map (cgroup id from the
 * container's /proc/<pid>/cgroup, cgroup v1+v2 hybrid or pure v2, cgroupfs or systemd driver), the
 * enabled kinds, the sensitive prefixes, and the /proc seed of processes that already existed. */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "helper.h"
#include "glasshouse.skel.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define MAX_WATCH 1024
struct watch {
	char id[65];
	char path[256]; /* cgroup v2 path relative to cg2_root ("" in mntns mode) */
	__u64 cgid;
	__u32 mntns;
	bool used;
	bool admitted;  /* put in the filter by the kernel when its cgroup was created (cgroup.bpf.c), not yet requested */
};
static struct watch watches[MAX_WATCH];

/* Finds the cgroup v2 hierarchy: <root>/unified on hybrid hosts (v1 controllers + v2), <root> itself on
 * pure v2 hosts. Returns 0 and fills out, or -ENOENT (pure v1: the mount-namespace fallback is used). */
int cgroup__detect(const char *root, char *out, size_t n)
{
	const char *cands[2] = {"/unified", ""};
	for (int i = 0; i < 2; i++) {
		char p[256];
		struct statfs sf;
		snprintf(p, sizeof(p), "%s%s", root, cands[i]);
		if (statfs(p, &sf) == 0 && (unsigned long)sf.f_type == CGROUP2_SUPER_MAGIC) {
			snprintf(out, n, "%s", p);
			return 0;
		}
	}
	out[0] = 0;
	return -ENOENT;
}

static int read_file(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t r = read(fd, buf, n - 1);
	int e = errno;
	close(fd);
	if (r < 0)
		return -e;
	buf[r] = 0;
	return (int)r;
}

/* The cgroup v2 path of a process ("0::/docker/<id>" -> "/docker/<id>"). */
static int proc__cgroup_path(int pid, char *out, size_t n)
{
	char p[64], buf[4096];
	snprintf(p, sizeof(p), "%s/%d/cgroup", g.proc_root, pid);
	if (read_file(p, buf, sizeof(buf)) < 0)
		return -ENOENT;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "0::", 3) == 0) {
			snprintf(out, n, "%s", line + 3);
			return 0;
		}
	}
	return -ENOENT;
}

static __u32 proc__mntns(int pid)
{
	char p[64];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%d/ns/mnt", g.proc_root, pid);
	return stat(p, &st) == 0 ? (__u32)st.st_ino : 0;
}

/* Walks at most 3 levels under the v2 root for a directory named after the container (cgroupfs driver:
 * docker/<id>; systemd driver: system.slice/docker-<id>.scope; any cgroup-parent). */
static int cgroup__search(const char *dir, const char *id, int depth, char *out, size_t n)
{
	DIR *d = opendir(dir);
	if (!d)
		return -ENOENT;
	struct dirent *de;
	int rc = -ENOENT;
	while (rc && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (strstr(de->d_name, id)) {
			snprintf(out, n, "%s", p);
			rc = 0;
		} else if (depth > 0) {
			rc = cgroup__search(p, id, depth - 1, out, n);
		}
	}
	closedir(d);
	return rc;
}

/* Mirrors struct gh_config in bpf/common.bpf.h (kernel-internal, not part of the wire). */
struct config_value {
	__u64 kinds, wakeup_bytes;
	__u32 trace_all, self_tgid, prefix_count, mntns_count, admit_count, pad0;
};

/* Pushes the engine's settings into the config map; prefix_count is owned by prefixes__set. */
void config__push(void)
{
	__u32 k = 0;
	struct config_value c;
	memset(&c, 0, sizeof(c));
	int fd = bpf_map__fd(g.skel->maps.gh_config_map);
	bpf_map_lookup_elem(fd, &k, &c);
	c.kinds = g.kinds & ~g.unsupported;
	/* wake the reader only when a quarter of the ring is pending; otherwise the poll timer drains */
	c.wakeup_bytes = g.ring_bytes / 4;
	c.trace_all = g.trace_all;
	c.self_tgid = getpid();
	c.mntns_count = g.mntns_count;
	bpf_map_update_elem(fd, &k, &c, BPF_ANY);
}

static void watched__send(const struct watch *w, const char *id, __u32 pid, int status, bool watching)
{
	struct gh_watched m;
	memset(&m, 0, sizeof(m));
	frame__init(&m.h, GH_OP_WATCHED, sizeof(m));
	memcpy(m.container_id, id, strnlen(id, 64));
	m.cgroup_id = w ? w->cgid : 0;
	m.mntns = w ? w->mntns : 0;
	m.status = status;
	m.pid = pid;
	m.watching = watching;
	out__frame(&m, sizeof(m), false);
}

static struct watch *watch__find(const char *id)
{
	for (int i = 0; i < MAX_WATCH; i++)
		if (watches[i].used && strcmp(watches[i].id, id) == 0)
			return &watches[i];
	return NULL;
}

static struct watch *watch__by_cgid(__u64 cgid)
{
	for (int i = 0; i < MAX_WATCH; i++)
		if (watches[i].used && watches[i].cgid == cgid)
			return &watches[i];
	return NULL;
}

/* A free slot, counted in g.watched. */
static struct watch *watch__slot(void)
{
	for (int i = 0; i < MAX_WATCH; i++)
		if (!watches[i].used) {
			g.watched++;
			return &watches[i];
		}
	return NULL;
}

/* A GH_OP_CGROUP record from the kernel (cgroup.bpf.c), before it is forwarded: keeps the watch table in step
 * with the kernel's filter. An admitted cgroup gets a slot (the engine confirms it with WATCH or drops it with
 * UNWATCH); a removed one frees its slot. */
void cgroup__on_record(const struct gh_cgroup *r, size_t len)
{
	if (len < sizeof(*r))
		return;
	if (r->event == GH_CGROUP_REMOVED) {
		struct watch *w = watch__by_cgid(r->cgroup_id);
		if (w) {
			w->used = false;
			g.watched--;
		}
		return;
	}
	if (r->event != GH_CGROUP_ADMITTED)
		return;
	char id[65];
	memcpy(id, r->container_id, 64);
	id[64] = 0;
	struct watch *w = watch__find(id);
	if (!w)
		w = watch__slot();
	if (!w) {
		/* no room to track it: take it out of the filter again rather than trace what cannot be unwatched */
		bpf_map_delete_elem(bpf_map__fd(g.skel->maps.watched_cgroups), &r->cgroup_id);
		log__send(GH_LOG_ERROR, ENOSPC, "too many watched containers (max %d): %.12s is not traced", MAX_WATCH, id);
		return;
	}
	memset(w, 0, sizeof(*w));
	snprintf(w->id, sizeof(w->id), "%s", id);
	size_t pl = r->path_len < sizeof(w->path) - 1 ? r->path_len : sizeof(w->path) - 1;
	if (sizeof(*r) + pl <= len)
		memcpy(w->path, (const char *)(r + 1), pl);
	w->cgid = r->cgroup_id;
	w->used = true;
	w->admitted = true;
}

/* GH_CTL_ADMIT: the cgroup path prefixes under which new container cgroups are admitted (0 = off). */
/*
 * Fills a prefix map (mirrors struct gh_prefix in bpf/common.bpf.h: words + byte masks) with the first n of
 * `prefix` and clears the rest of its `max` slots. A prefix rejected by `valid` takes no slot's match (length 0).
 */
static void prefix_map__fill(int fd, const char (*prefix)[GH_PREFIX_LEN], __u32 n, __u32 max, bool (*valid)(const char *s))
{
	for (__u32 i = 0; i < max; i++) {
		struct { __u32 len, pad; __u64 w[GH_PREFIX_LEN / 8]; __u64 m[GH_PREFIX_LEN / 8]; } v;
		memset(&v, 0, sizeof(v));
		if (i < n) {
			char s[GH_PREFIX_LEN];
			unsigned char mask[GH_PREFIX_LEN] = {0};
			memcpy(s, prefix[i], GH_PREFIX_LEN);
			s[GH_PREFIX_LEN - 1] = 0;
			v.len = valid && !valid(s) ? 0 : strlen(s);
			memset(s + v.len, 0, GH_PREFIX_LEN - v.len);
			memset(mask, 0xff, v.len);
			memcpy(v.w, s, GH_PREFIX_LEN);
			memcpy(v.m, mask, GH_PREFIX_LEN);
		}
		bpf_map_update_elem(fd, &i, &v, BPF_ANY);
	}
}

/* Sets one count field of the config map (the rest of it is owned by config__push). */
static void config__set_count(size_t offset, __u32 n)
{
	__u32 k = 0;
	struct config_value c;
	int cfd = bpf_map__fd(g.skel->maps.gh_config_map);
	if (bpf_map_lookup_elem(cfd, &k, &c) == 0) {
		memcpy((char *)&c + offset, &n, sizeof(n));
		bpf_map_update_elem(cfd, &k, &c, BPF_ANY);
	}
}

/* A container cgroup prefix must name a place under the root ("/docker/"): "" or "/" would admit any cgroup with an id. */
static bool admit__valid(const char *s)
{
	if (strlen(s) >= 2 && s[0] == '/')
		return true;
	log__send(GH_LOG_WARN, EINVAL, "ignored admit prefix '%s': it must start with / and name a parent", s);
	return false;
}

static void admit__set(const struct gh_ctl_admit *a)
{
	__u32 n = a->count > GH_ADMIT_MAX ? GH_ADMIT_MAX : a->count;
	if (!g.cg2_root[0] && n) {
		log__send(GH_LOG_WARN, ENOENT, "%s", "no cgroup v2 hierarchy: new containers are traced from the engine's start event, not from their creation");
		n = 0;
	}
	prefix_map__fill(bpf_map__fd(g.skel->maps.admit_prefixes), a->prefix, n, GH_ADMIT_MAX, admit__valid);
	config__set_count(offsetof(struct config_value, admit_count), n);
}

static bool id__valid(const char *id)
{
	if (strlen(id) != 64)
		return false;
	for (int i = 0; i < 64; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

/* A container's own cgroup names it in its last path component (cgroupfs: .../<id>, systemd: docker-<id>.scope,
 * Podman: libpod-<id>.scope): what a client may ask to watch. pid 1's cgroup, a user session or a service never does. */
static bool path__names(const char *path, const char *id)
{
	const char *leaf = strrchr(path, '/');
	return leaf && strstr(leaf + 1, id) != NULL;
}

static void watch__add(const char *id, __u32 pid)
{
	struct watch w;
	memset(&w, 0, sizeof(w));
	snprintf(w.id, sizeof(w.id), "%s", id);
	if (!id__valid(id)) {
		log__send(GH_LOG_ERROR, EINVAL, "refusing to watch container id '%.64s': expected the full 64-hex id", id);
		watched__send(NULL, id, pid, -EINVAL, false);
		return;
	}
	if (g.cg2_root[0]) {
		char rel[256] = "", full[512];
		struct stat st, root_st;
		int rc = pid ? proc__cgroup_path(pid, rel, sizeof(rel)) : -ENOENT;
		if (rc == 0 && strcmp(rel, "/") != 0) {
			snprintf(full, sizeof(full), "%s%s", g.cg2_root, rel);
		} else if (cgroup__search(g.cg2_root, id, 3, full, sizeof(full)) == 0) {
			snprintf(rel, sizeof(rel), "%s", full + strlen(g.cg2_root));
		} else {
			full[0] = 0;
		}
		/* Fail closed: a container without its own cgroup is not watched, never "trace all"; and only a cgroup
		 * that names the container, so a client cannot point the helper at pid 1's or another user's cgroup. */
		if (full[0] && !path__names(full, id)) {
			log__send(GH_LOG_ERROR, EPERM,
				  "refusing to watch %.12s: the cgroup of pid %u (%s) is not that container's own cgroup", id, pid, rel);
			watched__send(NULL, id, pid, -EPERM, false);
			return;
		}
		if (!full[0] || stat(full, &st) != 0 || stat(g.cg2_root, &root_st) != 0 || st.st_ino == root_st.st_ino) {
			log__send(GH_LOG_ERROR, ENOENT,
				  "no cgroup v2 directory found for container %.12s under %s: it is not watched", id, g.cg2_root);
			watched__send(NULL, id, pid, -ENOENT, false);
			return;
		}
		w.cgid = st.st_ino;
		snprintf(w.path, sizeof(w.path), "%s", rel);
		struct watch *known = watch__find(id);
		if (known && known->cgid == w.cgid) {
			/* admitted by the kernel when its cgroup was created: traced since then, so nothing to seed */
			__u8 one = 1;
			bpf_map_update_elem(bpf_map__fd(g.skel->maps.watched_cgroups), &w.cgid, &one, BPF_ANY);
			known->admitted = false;
			watched__send(known, id, pid, 0, true);
			return;
		}
		__u8 one = 1;
		bpf_map_update_elem(bpf_map__fd(g.skel->maps.watched_cgroups), &w.cgid, &one, BPF_ANY);
	} else {
		/* pure cgroup v1: bpf_get_current_cgroup_id() is the same for everyone; key on the mount ns */
		w.mntns = pid ? proc__mntns(pid) : 0;
		__u32 host_ns = proc__mntns(1);
		if (!w.mntns || w.mntns == host_ns) {
			log__send(GH_LOG_ERROR, ENOENT,
				  "no cgroup v2 hierarchy and no mount namespace for container %.12s (pid %u): it is not watched", id, pid);
			watched__send(NULL, id, pid, -ENOENT, false);
			return;
		}
		__u8 one = 1;
		bpf_map_update_elem(bpf_map__fd(g.skel->maps.watched_mntns), &w.mntns, &one, BPF_ANY);
		g.mntns_count++;
		config__push();
	}
	struct watch *slot = watch__find(id);
	if (slot && slot->cgid && slot->cgid != w.cgid) /* restarted: its old cgroup is gone */
		bpf_map_delete_elem(bpf_map__fd(g.skel->maps.watched_cgroups), &slot->cgid);
	if (!slot)
		slot = watch__slot();
	if (!slot) {
		log__send(GH_LOG_ERROR, ENOSPC, "too many watched containers (max %d)", MAX_WATCH);
		watched__send(NULL, id, pid, -ENOSPC, false);
		return;
	}
	w.used = true;
	*slot = w;
	watched__send(slot, id, pid, 0, true);
	seed__container(slot->cgid, slot->mntns, slot->path);
}

static void watch__remove(const char *id, __u32 pid)
{
	struct watch *w = watch__find(id);
	if (!w) {
		watched__send(NULL, id, pid, -ENOENT, false);
		return;
	}
	if (w->cgid)
		bpf_map_delete_elem(bpf_map__fd(g.skel->maps.watched_cgroups), &w->cgid);
	if (w->mntns) {
		bpf_map_delete_elem(bpf_map__fd(g.skel->maps.watched_mntns), &w->mntns);
		g.mntns_count--;
		config__push();
	}
	watched__send(w, id, pid, 0, false);
	w->used = false;
	w->admitted = false;
	g.watched--;
}

static void prefixes__set(const struct gh_ctl_prefixes *p)
{
	__u32 n = p->count > GH_PREFIX_MAX ? GH_PREFIX_MAX : p->count;
	prefix_map__fill(bpf_map__fd(g.skel->maps.prefixes), p->prefix, n, GH_PREFIX_MAX, NULL);
	config__set_count(offsetof(struct config_value, prefix_count), n);
}

void ctl__handle(const struct gh_frame *f)
{
	switch (f->op) {
	case GH_CTL_WATCH:
	case GH_CTL_UNWATCH: {
		if (f->len < sizeof(struct gh_ctl_watch))
			break;
		const struct gh_ctl_watch *w = (const void *)f;
		char id[65];
		memcpy(id, w->container_id, 64);
		id[64] = 0;
		if (f->op == GH_CTL_WATCH)
			watch__add(id, w->pid);
		else
			watch__remove(id, w->pid);
		return;
	}
	case GH_CTL_KINDS:
		if (f->len < sizeof(struct gh_ctl_kinds))
			break;
		g.kinds = ((const struct gh_ctl_kinds *)f)->mask;
		config__push();
		return;
	case GH_CTL_PREFIXES:
		if (f->len < sizeof(struct gh_ctl_prefixes))
			break;
		prefixes__set((const void *)f);
		return;
	case GH_CTL_HOST:
		if (f->len < sizeof(struct gh_ctl_host))
			break;
		/* host mode is the helper's own command line's choice (--host): a client may turn it off, never on */
		if (((const struct gh_ctl_host *)f)->on && !g.host_allowed) {
			log__send(GH_LOG_ERROR, EPERM, "%s", "refused host mode: this helper was not started with --host");
			return;
		}
		g.trace_all = ((const struct gh_ctl_host *)f)->on != 0;
		config__push();
		return;
	case GH_CTL_ADMIT:
		if (f->len < sizeof(struct gh_ctl_admit))
			break;
		admit__set((const void *)f);
		return;
	}
	log__send(GH_LOG_WARN, EINVAL, "ignored control frame op %u len %u", f->op, f->len);
}

size_t ctl__drain(const unsigned char *buf, size_t have)
{
	size_t pos = 0, skipped = 0;
	while (have - pos >= sizeof(struct gh_frame)) {
		/* a frame after a skipped byte starts anywhere: read its header by copy, never through a cast pointer */
		struct gh_frame h;
		memcpy(&h, buf + pos, sizeof(h));
		if (h.magic != GH_MAGIC || h.len < sizeof(h) || h.len > GH_CTL_BUF) {
			pos++;
			skipped++;
			continue;
		}
		if (have - pos < h.len)
			break;
		unsigned char tmp[sizeof(struct gh_ctl_prefixes) + 64] __attribute__((aligned(8)));
		size_t l = h.len < sizeof(tmp) ? h.len : sizeof(tmp);
		memcpy(tmp, buf + pos, l);
		((struct gh_frame *)tmp)->len = l;
		ctl__handle((struct gh_frame *)tmp);
		pos += h.len;
	}
	if (skipped) /* never silently: the engine sees how much of what it sent was not a frame */
		log__send(GH_LOG_WARN, EINVAL, "skipped %zu bytes of control input that start no frame (bad magic or length)", skipped);
	return pos;
}

/* ---- seed ---- */

static void seed__one(int pid, __u64 cgid, __u32 mntns)
{
	static struct {
		struct gh_seed s;
		char tail[GH_PATH_MAX * 2 + GH_ARGV_MAX];
	} m;
	char p[96], buf[4096];
	memset(&m.s, 0, sizeof(m.s));
	snprintf(p, sizeof(p), "%s/%d/stat", g.proc_root, pid);
	if (read_file(p, buf, sizeof(buf)) < 0)
		return;
	char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
	if (!lp || !rp || rp < lp) /* ")" before "(": not a stat line (and the comm length would wrap) */
		return;
	size_t cl = rp - lp - 1;
	memcpy(m.s.e.comm, lp + 1, cl < 15 ? cl : 15);
	/* fields after ") ": state(3) ppid(4) ... starttime(22); a line ending at ")" has none (never read past its NUL) */
	char *f = rp[1] ? rp + 2 : rp + 1;
	int field = 3;
	unsigned long long start = 0;
	int ppid = 0;
	for (char *tok = strtok(f, " "); tok; tok = strtok(NULL, " "), field++) {
		if (field == 4)
			ppid = atoi(tok);
		if (field == 22) {
			start = strtoull(tok, NULL, 10);
			break;
		}
	}
	m.s.e.pid = pid;
	m.s.e.tgid = pid;
	m.s.e.ppid = ppid;
	m.s.e.cgroup_id = cgid;
	m.s.e.mntns = mntns ? mntns : proc__mntns(pid);
	m.s.e.kind = GH_KIND_EXEC;
	m.s.start_ns = start * (1000000000ull / sysconf(_SC_CLK_TCK));
	m.s.e.ts_ns = m.s.start_ns;
	snprintf(p, sizeof(p), "%s/%d/status", g.proc_root, pid);
	if (read_file(p, buf, sizeof(buf)) > 0) {
		char *u = strstr(buf, "\nUid:"), *gg = strstr(buf, "\nGid:");
		if (u)
			m.s.e.uid = strtoul(u + 5, NULL, 10);
		if (gg)
			m.s.e.gid = strtoul(gg + 5, NULL, 10);
	}
	size_t off = 0;
	snprintf(p, sizeof(p), "%s/%d/exe", g.proc_root, pid);
	ssize_t n = readlink(p, m.tail, GH_PATH_MAX);
	m.s.exe_len = n > 0 ? n : 0;
	off += m.s.exe_len;
	snprintf(p, sizeof(p), "%s/%d/cmdline", g.proc_root, pid);
	int an = read_file(p, m.tail + off, GH_ARGV_MAX + 1);
	if (an < 0)
		an = 0;
	m.s.argv_len = an;
	for (int i = 0; i < an; i++)
		if (m.tail[off + i] == 0)
			m.s.argc++;
	off += an;
	snprintf(p, sizeof(p), "%s/%d/cwd", g.proc_root, pid);
	n = readlink(p, m.tail + off, GH_PATH_MAX);
	m.s.cwd_len = n > 0 ? n : 0;
	off += m.s.cwd_len;
	frame__init(&m.s.h, GH_OP_SEED, sizeof(m.s) + off);
	out__frame(&m, sizeof(m.s) + off, false);
}

/* Emits a GH_OP_SEED for every process of the container that exists now, so the tree is whole. */
int seed__container(__u64 cgid, __u32 mntns, const char *cg_path)
{
	DIR *d = opendir(g.proc_root);
	if (!d)
		return -errno;
	struct dirent *de;
	int count = 0;
	while ((de = readdir(d))) {
		int pid = atoi(de->d_name);
		if (pid <= 0)
			continue;
		if (cgid) {
			char path[256];
			if (proc__cgroup_path(pid, path, sizeof(path)) != 0 || strcmp(path, cg_path) != 0)
				continue;
		} else if (proc__mntns(pid) != mntns) {
			continue;
		}
		seed__one(pid, cgid, mntns);
		count++;
		if (out__pending() > 1 << 20)
			out__flush();
	}
	closedir(d);
	return count;
}

/* glasshouse-helper: loads the BPF object, attaches what this kernel supports, drains the ring buffer
 * into framed records on stdout (or a socket), obeys control frames on stdin, reports stats each second.
 * Usage: glasshouse-helper [--ring-bytes N] [--cgroup-root DIR] [--proc DIR] [--host] [--kinds HEX]
 *                          [--watch ID:PID]... [--socket PATH [--socket-owner UID:GID]] [--preflight] [--version]
 * --socket: local mode over a Unix socket (mode 0600) instead of stdio: the helper accepts one client,
 * sends frames to it and reads control frames from it; the client closing ends the helper.
 * --socket-owner UID:GID: chown the socket, so an unprivileged engine can connect to a root helper
 * (`glasshouse helper run` passes the sudo user's ids). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "helper.h"
#include "glasshouse.skel.h"

#ifndef GH_VERSION
#define GH_VERSION "dev"
#endif

struct gh_state g;
static volatile sig_atomic_t stop;

/* Links are kept so they can be detached in parallel at exit, after the stream has ended: each tracepoint
 * detach waits for an RCU grace period; measured here, ~110 links take 7.0 s one after another and 3.4-3.9 s
 * from 16 threads (more threads do not help: the kernel serialises part of each detach). */
#define MAX_LINKS 256
static struct bpf_link *links[MAX_LINKS];
static int n_links;
#define DETACH_THREADS 16

static void *detach_some(void *arg)
{
	long t = (long)arg;
	for (int i = (int)t; i < n_links; i += DETACH_THREADS)
		bpf_link__destroy(links[i]);
	return NULL;
}

static void links__destroy(void)
{
	pthread_t th[DETACH_THREADS];
	int started = 0;
	for (long t = 0; t < DETACH_THREADS; t++)
		if (pthread_create(&th[started], NULL, detach_some, (void *)t) == 0)
			started++;
		else
			detach_some((void *)t);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	n_links = 0;
}

/* A bigger pipe (or socket buffer) between the helper and the engine: with the default 64 KiB the helper
 * waits for the reader after every 500 records. */
static void out__grow(int fd)
{
	for (int sz = 8 << 20; sz >= 1 << 20; sz >>= 1)
		if (fcntl(fd, F_SETPIPE_SZ, sz) >= 0)
			return;
	int sz = 4 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

/* Syscall -> kind, for the per-syscall programs (enter_<sys>/exit_<sys>). A kind is unsupported when
 * none of its syscalls could attach. */
static const struct { const char *sys; int kind; } SYS_KINDS[] = {
	{"open", GH_KIND_OPEN}, {"creat", GH_KIND_OPEN}, {"openat", GH_KIND_OPEN}, {"openat2", GH_KIND_OPEN},
	{"unlink", GH_KIND_UNLINK}, {"unlinkat", GH_KIND_UNLINK}, {"rmdir", GH_KIND_UNLINK},
	{"mkdir", GH_KIND_MKDIR}, {"mkdirat", GH_KIND_MKDIR}, {"chroot", GH_KIND_CHROOT},
	{"chmod", GH_KIND_CHMOD}, {"fchmodat", GH_KIND_CHMOD}, {"fchmodat2", GH_KIND_CHMOD}, {"fchmod", GH_KIND_CHMOD},
	{"chown", GH_KIND_CHOWN}, {"lchown", GH_KIND_CHOWN}, {"fchown", GH_KIND_CHOWN}, {"fchownat", GH_KIND_CHOWN},
	{"rename", GH_KIND_RENAME}, {"renameat", GH_KIND_RENAME}, {"renameat2", GH_KIND_RENAME},
	{"link", GH_KIND_LINK}, {"linkat", GH_KIND_LINK}, {"symlink", GH_KIND_SYMLINK}, {"symlinkat", GH_KIND_SYMLINK},
	{"mount", GH_KIND_MOUNT}, {"umount", GH_KIND_UMOUNT},
	{"connect", GH_KIND_CONNECT}, {"bind", GH_KIND_BIND}, {"listen", GH_KIND_LISTEN},
	{"accept", GH_KIND_ACCEPT}, {"accept4", GH_KIND_ACCEPT},
	{"sendto", GH_KIND_DNS}, {"write", GH_KIND_DNS}, {"sendmsg", GH_KIND_DNS}, {"sendmmsg", GH_KIND_DNS},
	{"setuid", GH_KIND_SETUID}, {"setreuid", GH_KIND_SETUID}, {"setresuid", GH_KIND_SETUID}, {"setfsuid", GH_KIND_SETUID},
	{"setgid", GH_KIND_SETGID}, {"setregid", GH_KIND_SETGID}, {"setresgid", GH_KIND_SETGID}, {"setfsgid", GH_KIND_SETGID},
	{"capset", GH_KIND_CAPSET}, {"ptrace", GH_KIND_PTRACE}, {"init_module", GH_KIND_MODULE},
	{"finit_module", GH_KIND_MODULE}, {"bpf", GH_KIND_BPF}, {"unshare", GH_KIND_UNSHARE}, {"setns", GH_KIND_SETNS},
	{"memfd_create", GH_KIND_MEMFD}, {"mprotect", GH_KIND_MPROTECT}, {"mmap", GH_KIND_MMAP},
	{"execve", GH_KIND_EXEC}, {"execveat", GH_KIND_EXEC}, {"io_uring_setup", GH_KIND_IO_URING},
};
#define N_SYS (sizeof(SYS_KINDS) / sizeof(SYS_KINDS[0]))

static const char *KIND_NAMES[GH_KIND_COUNT] = {
	"exec", "fork", "exit", "open", "unlink", "rename", "chmod", "chown", "mkdir", "link", "symlink", "mount",
	"umount", "connect", "accept", "bind", "listen", "dns", "setuid", "setgid", "capset", "ptrace", "module",
	"bpf", "unshare", "setns", "chroot", "memfd", "mprotect", "mmap", "io_uring",
};

static const char *tracefs_dir(void)
{
	static const char *cands[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
	for (unsigned i = 0; i < 2; i++) {
		char p[160];
		snprintf(p, sizeof(p), "%s/events/syscalls", cands[i]);
		if (access(p, F_OK) == 0)
			return cands[i];
	}
	return NULL;
}

static int sys_kind(const char *prog, const char **sys)
{
	const char *s = NULL;
	if (strncmp(prog, "enter_", 6) == 0)
		s = prog + 6;
	else if (strncmp(prog, "exit_", 5) == 0)
		s = prog + 5;
	if (!s)
		return -1;
	for (unsigned i = 0; i < N_SYS; i++)
		if (strcmp(SYS_KINDS[i].sys, s) == 0) {
			*sys = SYS_KINDS[i].sys;
			return SYS_KINDS[i].kind;
		}
	return -1;
}

static __s64 boot_to_realtime(void)
{
	struct timespec r, b;
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_BOOTTIME, &b);
	return ((__s64)r.tv_sec - b.tv_sec) * 1000000000ll + (r.tv_nsec - b.tv_nsec);
}

double now__boot_ns(void)
{
	struct timespec b;
	clock_gettime(CLOCK_BOOTTIME, &b);
	return b.tv_sec * 1e9 + b.tv_nsec;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	if (level == LIBBPF_INFO && !getenv("GH_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void on_signal(int s) { stop = 1; }

static int on_event(void *ctx, void *data, size_t sz)
{
	struct gh_frame *f = data;
	__u32 len = f->len <= sz ? f->len : (__u32)sz;
	if (f->op == GH_OP_CGROUP) {
		/* the watch table follows the kernel's admissions; these frames are never dropped (the engine needs them to attribute) */
		cgroup__on_record(data, len);
		out__frame(data, len, false);
		return 0;
	}
	out__frame(data, len, true);
	return 0;
}

static void stats__send(void)
{
	struct gh_stats s;
	memset(&s, 0, sizeof(s));
	frame__init(&s.h, GH_OP_STATS, sizeof(s));
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[ncpu > 0 ? ncpu : 1];
	int fd = bpf_map__fd(g.skel->maps.counters);
	for (__u32 k = 0; k <= GH_KIND_SLOTS; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		__u64 sum = 0;
		for (int c = 0; c < ncpu; c++)
			sum += vals[c];
		if (k < GH_KIND_SLOTS)
			s.events[k] = sum;
		else
			s.ring_drops = sum;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	s.cpu_user_us = ru.ru_utime.tv_sec * 1000000ull + ru.ru_utime.tv_usec;
	s.cpu_sys_us = ru.ru_stime.tv_sec * 1000000ull + ru.ru_stime.tv_usec;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		unsigned long size, res;
		if (fscanf(f, "%lu %lu", &size, &res) == 2)
			s.rss_kb = res * (sysconf(_SC_PAGESIZE) / 1024);
		fclose(f);
	}
	s.ts_ns = (__u64)now__boot_ns();
	s.boot_to_realtime_ns = boot_to_realtime();
	s.queue_drops = g.queue_drops;
	s.unsupported_kinds = g.unsupported;
	s.frames_out = g.frames_out;
	s.bytes_out = g.bytes_out;
	s.watched = g.watched;
	s.ring_bytes = g.ring_bytes;
	out__frame(&s, sizeof(s), false);
}

static void hello__send(void)
{
	struct gh_hello h;
	struct utsname u;
	memset(&h, 0, sizeof(h));
	frame__init(&h.h, GH_OP_HELLO, sizeof(h));
	h.boot_to_realtime_ns = g.boot_to_realtime_ns;
	h.unsupported_kinds = g.unsupported;
	h.enabled_kinds = g.kinds & ~g.unsupported;
	h.helper_pid = getpid();
	h.ring_bytes = g.ring_bytes;
	snprintf(h.version, sizeof(h.version), "%s", GH_VERSION);
	if (uname(&u) == 0)
		snprintf(h.kernel, sizeof(h.kernel), "%.63s", u.release);
	out__frame(&h, sizeof(h), false);
}

/* Control frames arrive on stdin in the same framing; ctl__drain (watch.c) consumes the complete ones. */
static void ctl__read(int fd, bool *eof)
{
	static unsigned char buf[GH_CTL_BUF] __attribute__((aligned(8)));
	static size_t have;
	ssize_t n = read(fd, buf + have, sizeof(buf) - have);
	if (n == 0) {
		*eof = true;
		return;
	}
	if (n < 0)
		return;
	have += n;
	size_t pos = ctl__drain(buf, have);
	memmove(buf, buf + pos, have - pos);
	have -= pos;
}

struct preflight {
	char problems[8][256];
	int n;
};

static void problem(struct preflight *p, const char *fmt, const char *arg)
{
	if (p->n < 8)
		snprintf(p->problems[p->n++], 256, fmt, arg);
}

static bool has_cap(int cap)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d))
		return false;
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

/*
 * Where --socket may listen: the socket carries everything the helper sees and is chowned to --socket-owner, so
 * its folder must be a real directory owned by root (or us) that nobody else can write to (no one can swap the
 * name for a symlink between bind and chown), and an existing name must be a socket (a file is never replaced).
 */
static int socket__check_path(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct stat st;
	if (strlen(path) >= sizeof(dir)) {
		fprintf(stderr, "glasshouse-helper: socket path %s is longer than %zu bytes\n", path, sizeof(dir) - 1);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	if (lstat(dir, &st) != 0) {
		fprintf(stderr, "glasshouse-helper: cannot use %s for the socket: %s\n", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		fprintf(stderr, "glasshouse-helper: refusing to listen in %s: the socket's folder must be a directory (not a symlink) "
				"owned by root that no one else can write to (it is %s, owner uid %u, mode %04o)\n",
			dir, S_ISLNK(st.st_mode) ? "a symlink" : S_ISDIR(st.st_mode) ? "a directory" : "not a directory",
			(unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "glasshouse-helper: refusing to replace %s: it exists and is not a socket\n", path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	g.proc_root = "/proc";
	g.kinds = (1ull << GH_KIND_COUNT) - 1;
	g.ring_bytes = 8 << 20;
	const char *cg_root = "/sys/fs/cgroup";
	bool preflight_only = false;
	const char *socket_path = NULL;
	const char *socket_owner = NULL;
	const char *watch_args[16];
	int n_watch = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--ring-bytes") && v) g.ring_bytes = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(a, "--cgroup-root") && v) cg_root = argv[++i];
		else if (!strcmp(a, "--proc") && v) g.proc_root = argv[++i];
		else if (!strcmp(a, "--kinds") && v) g.kinds = strtoull(argv[++i], NULL, 16);
		else if (!strcmp(a, "--host")) g.trace_all = g.host_allowed = true;
		else if (!strcmp(a, "--watch") && v && n_watch < 16) watch_args[n_watch++] = argv[++i];
		else if (!strcmp(a, "--preflight")) preflight_only = true;
		else if (!strcmp(a, "--socket") && v) socket_path = argv[++i];
		else if (!strcmp(a, "--socket-owner") && v) socket_owner = argv[++i];
		else if (!strcmp(a, "--version")) { printf("glasshouse-helper %s schema %d\n", GH_VERSION, GH_SCHEMA_VERSION); return 0; }
		else { fprintf(stderr, "glasshouse-helper: unknown argument %s\n", a); return 64; }
	}
	/* the ring size must be a power of two multiple of the page size */
	__u32 rb = 4096;
	while (rb < g.ring_bytes && rb < (1u << 30))
		rb <<= 1;
	g.ring_bytes = rb;

	signal(SIGPIPE, SIG_IGN);
	/* no SA_RESTART: a signal must interrupt a blocking accept() of the socket mode */
	struct sigaction sa_stop = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa_stop, NULL);
	sigaction(SIGTERM, &sa_stop, NULL);
	libbpf_set_print(libbpf_print);
	/* 32 MiB absorbs ~1 s of a stalled engine at 250 k events/s; pages are touched only under backlog */
	out__init(1, 32 << 20);
	g.boot_to_realtime_ns = boot_to_realtime();
	cgroup__detect(cg_root, g.cg2_root, sizeof(g.cg2_root));

	struct preflight pf = {0};
	bool any_attached = false;
	struct utsname u;
	uname(&u);
	bool btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	const char *tfs = tracefs_dir();
	if (!btf)
		problem(&pf, "%s", "This kernel exposes no BTF (/sys/kernel/btf/vmlinux): the sensor needs a kernel built with CONFIG_DEBUG_INFO_BTF=y (5.8 or newer).");
	if (!tfs)
		problem(&pf, "%s", "tracefs is not mounted (no /sys/kernel/tracing/events/syscalls): file, network and privilege events are unavailable. Mount it with `mount -t tracefs nodev /sys/kernel/tracing` (container mode bind-mounts it).");
	if (!has_cap(39 /* CAP_BPF */) && !has_cap(CAP_SYS_ADMIN))
		problem(&pf, "%s", "The helper has neither CAP_BPF nor CAP_SYS_ADMIN, so it cannot load BPF programs: run it as root, or give the container CAP_BPF+CAP_PERFMON (SYS_ADMIN on engines that do not know those names).");
	else if (!has_cap(38 /* CAP_PERFMON */) && !has_cap(CAP_SYS_ADMIN))
		problem(&pf, "%s", "The helper has CAP_BPF but neither CAP_PERFMON nor CAP_SYS_ADMIN, so the kernel refuses its tracing programs (they read kernel and user memory): give the container CAP_PERFMON too (SYS_ADMIN on engines that do not know the name).");
	if (!g.cg2_root[0])
		problem(&pf, "%s", "No cgroup v2 hierarchy was found: containers are matched by mount namespace instead (docker exec sessions and nested namespaces are still covered, but cgroup moves are not).");

	g.skel = glasshouse_bpf__open();
	if (!g.skel) {
		fprintf(stderr, "glasshouse-helper: cannot open the BPF object: %s\n", strerror(errno));
		return 2;
	}
	bpf_map__set_max_entries(g.skel->maps.events, g.ring_bytes);

	/* skip what this kernel lacks before loading, so one missing tracepoint does not fail the load */
	__u64 possible = 0;
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, g.skel->obj) {
		const char *name = bpf_program__name(prog), *sys = NULL;
		int kind = sys_kind(name, &sys);
		if (kind < 0)
			continue;
		char p[256];
		snprintf(p, sizeof(p), "%s/events/syscalls/sys_%s_%s", tfs ? tfs : "/nonexistent",
			 strncmp(name, "enter_", 6) == 0 ? "enter" : "exit", sys);
		if (!tfs || access(p, F_OK) != 0)
			bpf_program__set_autoload(prog, false);
	}
	double t0 = now__boot_ns();
	int err = glasshouse_bpf__load(g.skel);
	double t1 = now__boot_ns();
	if (err) {
		char sentence[320];
		snprintf(sentence, sizeof(sentence), "The kernel refused to load the BPF programs (%s): check CAP_BPF/CAP_SYS_ADMIN, seccomp (Docker allows bpf() only with SYS_ADMIN) and that BTF matches the kernel.", strerror(-err));
		problem(&pf, "%s", sentence);
		if (preflight_only)
			goto report;
		log__send(GH_LOG_ERROR, -err, "%s", sentence);
		out__flush();
		return 2;
	}
	bool attached[GH_KIND_SLOTS] = {0};
	if (!err) {
		int pa = bpf_map__fd(g.skel->maps.emitters);
		__u32 k0 = 0, k1 = 1, k2 = 2;
		int f0 = bpf_program__fd(g.skel->progs.emit_file), f1 = bpf_program__fd(g.skel->progs.emit_net),
		    f2 = bpf_program__fd(g.skel->progs.emit_priv);
		bpf_map_update_elem(pa, &k0, &f0, BPF_ANY);
		bpf_map_update_elem(pa, &k1, &f1, BPF_ANY);
		bpf_map_update_elem(pa, &k2, &f2, BPF_ANY);
	}
	bpf_object__for_each_program(prog, g.skel->obj) {
		if (!bpf_program__autoload(prog) || strncmp(bpf_program__name(prog), "emit_", 5) == 0)
			continue;
		const char *name = bpf_program__name(prog), *sys = NULL;
		int kind = sys_kind(name, &sys);
		struct bpf_link *l = bpf_program__attach(prog);
		if (!l) {
			fprintf(stderr, "glasshouse-helper: %s could not attach: %s\n", name, strerror(errno));
			continue;
		}
		if (n_links < MAX_LINKS)
			links[n_links++] = l;
		any_attached = true;
		if (kind < 0) {
			if (!strcmp(name, "sched_exec")) kind = GH_KIND_EXEC;
			else if (!strcmp(name, "sched_fork")) kind = GH_KIND_FORK;
			else if (!strcmp(name, "sched_exit")) kind = GH_KIND_EXIT;
		}
		if (kind >= 0 && (strncmp(name, "exit_", 5) == 0 || kind == GH_KIND_DNS || kind < 3))
			attached[kind] = true;
		possible |= 1ull << (kind >= 0 ? kind : 63);
	}
	for (int k = 0; k < GH_KIND_COUNT; k++)
		if (!attached[k])
			g.unsupported |= 1ull << k;
	fprintf(stderr, "glasshouse-helper: loaded in %.0f ms, attached in %.0f ms\n", (t1 - t0) / 1e6, (now__boot_ns() - t1) / 1e6);
	if (!any_attached)
		problem(&pf, "%s", "No hook could attach: tracepoints need CAP_PERFMON or CAP_SYS_ADMIN and a tracefs mount.");

report:
	if (preflight_only) {
		printf("{\"kernel\":\"%s\",\"btf\":%s,\"tracefs\":%s%s%s,\"cgroup2\":\"%s\",\"capBpf\":%s,\"capPerfmon\":%s,\"capSysAdmin\":%s,\"capSysPtrace\":%s,\"unsupported\":[",
		       u.release, btf ? "true" : "false", tfs ? "\"" : "", tfs ? tfs : "null", tfs ? "\"" : "", g.cg2_root,
		       has_cap(39) ? "true" : "false", has_cap(38) ? "true" : "false", has_cap(CAP_SYS_ADMIN) ? "true" : "false",
		       has_cap(CAP_SYS_PTRACE) ? "true" : "false");
		bool first = true;
		for (int k = 0; k < GH_KIND_COUNT; k++)
			if (g.unsupported & (1ull << k)) {
				printf("%s\"%s\"", first ? "" : ",", KIND_NAMES[k]);
				first = false;
			}
		printf("],\"problems\":[");
		for (int i = 0; i < pf.n; i++) {
			printf("%s\"", i ? "," : "");
			for (const char *c = pf.problems[i]; *c; c++)
				if (*c == '"' || *c == '\\') printf("\\%c", *c); else putchar(*c);
			printf("\"");
		}
		printf("],\"loaded\":%s}\n", err ? "false" : "true");
		return err || !any_attached ? 2 : 0;
	}

	int ctl_fd = 0;
	if (socket_path) {
		/* one client, owner-only: the socket carries everything the helper sees */
		if (socket__check_path(socket_path))
			return 2;
		int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path);
		unlink(socket_path);
		mode_t old = umask(0177);
		if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1)) {
			fprintf(stderr, "glasshouse-helper: cannot listen on %s: %s\n", socket_path, strerror(errno));
			return 2;
		}
		umask(old);
		if (socket_owner) {
			unsigned uid = 0, gid = 0;
			/* never through a symlink: the parent is ours alone (checked above), and the name must still be the socket */
			if (sscanf(socket_owner, "%u:%u", &uid, &gid) != 2 || fchownat(AT_FDCWD, socket_path, uid, gid, AT_SYMLINK_NOFOLLOW)) {
				fprintf(stderr, "glasshouse-helper: cannot give %s to %s: %s\n", socket_path, socket_owner, strerror(errno));
				unlink(socket_path);
				return 2;
			}
		}
		int cs;
		do
			cs = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		while (cs < 0 && errno == EINTR && !stop);
		close(ls);
		unlink(socket_path);
		if (cs < 0 && stop)
			return 0; /* asked to stop before any client came */
		if (cs < 0) {
			fprintf(stderr, "glasshouse-helper: accept on %s failed: %s\n", socket_path, strerror(errno));
			return 2;
		}
		g.out_fd = cs;
		ctl_fd = cs;
	}
	config__push();
	for (int k = 0; k < GH_KIND_COUNT; k++)
		if (g.unsupported & (1ull << k))
			log__send(GH_LOG_WARN, 0, "event kind '%s' is unsupported on this kernel (its hooks could not attach)", KIND_NAMES[k]);
	for (int i = 0; i < pf.n; i++)
		log__send(GH_LOG_WARN, 0, "%s", pf.problems[i]);
	hello__send();

	struct ring_buffer *ring = ring_buffer__new(bpf_map__fd(g.skel->maps.events), on_event, NULL, NULL);
	if (!ring) {
		log__send(GH_LOG_ERROR, errno, "cannot map the ring buffer: %s", strerror(errno));
		out__flush();
		return 2;
	}
	for (int i = 0; i < n_watch; i++) {
		struct gh_ctl_watch w;
		memset(&w, 0, sizeof(w));
		frame__init(&w.h, GH_CTL_WATCH, sizeof(w));
		const char *colon = strchr(watch_args[i], ':');
		size_t idl = colon ? (size_t)(colon - watch_args[i]) : strlen(watch_args[i]);
		memcpy(w.container_id, watch_args[i], idl < 64 ? idl : 64);
		w.pid = colon ? strtoul(colon + 1, NULL, 10) : 0;
		ctl__handle(&w.h);
	}

	out__grow(g.out_fd);
	fcntl(g.out_fd, F_SETFL, fcntl(g.out_fd, F_GETFL) | O_NONBLOCK);
	fcntl(ctl_fd, F_SETFL, fcntl(ctl_fd, F_GETFL) | O_NONBLOCK);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec its = {{1, 0}, {1, 0}};
	timerfd_settime(tfd, 0, &its, NULL);
	struct epoll_event ev = {.events = EPOLLIN};
	ev.data.u32 = 1;
	epoll_ctl(ep, EPOLL_CTL_ADD, ring_buffer__epoll_fd(ring), &ev);
	ev.data.u32 = 2;
	bool stdin_ok = epoll_ctl(ep, EPOLL_CTL_ADD, ctl_fd, &ev) == 0;
	ev.data.u32 = 3;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	/* wait for the engine to read when output is pending (stdout: its own entry; socket: the control fd's) */
	bool out_shared = g.out_fd == ctl_fd;
	ev.events = 0;
	ev.data.u32 = 4;
	bool out_polled = out_shared ? stdin_ok : epoll_ctl(ep, EPOLL_CTL_ADD, g.out_fd, &ev) == 0;
	bool want_out = false;
	bool eof = false;
	while (!stop && !eof) {
		struct epoll_event evs[8];
		bool pending = out__pending() > 0;
		if (out_polled && pending != want_out) {
			want_out = pending;
			struct epoll_event m = {.events = (out_shared ? EPOLLIN : 0) | (pending ? EPOLLOUT : 0)};
			m.data.u32 = out_shared ? 2 : 4;
			epoll_ctl(ep, EPOLL_CTL_MOD, out_shared ? ctl_fd : g.out_fd, &m);
		}
		/* short timer: records are submitted without wakeups, so we come back for them */
		int n = epoll_wait(ep, evs, 8, pending && !out_polled ? 2 : 10);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u32 == 2 && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				ctl__read(ctl_fd, &eof);
			if (evs[i].data.u32 == 3) {
				__u64 x;
				if (read(tfd, &x, sizeof(x)) > 0)
					stats__send();
			}
		}
		/* always consume: epoll readiness alone does not drain the ring */
		ring_buffer__consume(ring);
		out__flush();
		(void)stdin_ok;
	}
	stats__send();
	struct gh_bye bye;
	memset(&bye, 0, sizeof(bye));
	frame__init(&bye.h, GH_OP_BYE, sizeof(bye));
	bye.reason = stop ? GH_BYE_SIGNAL : GH_BYE_EOF;
	out__frame(&bye, sizeof(bye), false);
	fcntl(g.out_fd, F_SETFL, fcntl(g.out_fd, F_GETFL) & ~O_NONBLOCK);
	out__flush();
	/* end the stream first (BYE, then close: a container's attach stream only ends at exit), so the engine is done now; the kernel's detach of every hook comes after */
	double d0 = now__boot_ns();
	close(g.out_fd);
	if (g.out_fd != 1)
		close(1);
	bool debug = getenv("GH_DEBUG") != NULL;
	int devnull = debug ? -1 : open("/dev/null", O_WRONLY);
	if (devnull >= 0) {
		dup2(devnull, 2); /* stderr is the attach stream too in container mode: it must close for the stream to end */
		close(devnull);
	}
	ring_buffer__free(ring);
	links__destroy();
	double d1 = now__boot_ns();
	glasshouse_bpf__destroy(g.skel);
	if (debug)
		dprintf(2, "glasshouse-helper: detached in %.0f ms (links %.0f ms)\n", (now__boot_ns() - d0) / 1e6, (d1 - d0) / 1e6);
	return 0;
}

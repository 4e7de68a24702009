/* Shared maps, filters and record builders for every hook family (process, file, net, priv). */
#ifndef GH_COMMON_BPF_H
#define GH_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "../include/wire.h"

#define AT_FDCWD_ -100
#define O_WRONLY_ 01
#define O_RDWR_ 02
#define O_CREAT_ 0100
#define O_TRUNC_ 01000
#define PROT_EXEC_ 0x4
#define MAP_ANONYMOUS_ 0x20
#define S_IFMT_ 0170000
#define S_IFSOCK_ 0140000
#define AF_UNIX_ 1
#define AF_INET_ 2
#define AF_INET6_ 10

/* Scratch: records are assembled here then copied with bpf_ringbuf_output, because a ring-buffer
 * reservation must have a constant size and our records have variable string tails. */
#define SCRATCH_SIZE 16384
#define OFF_MASK 8191 /* every string starts below 8 KiB and reads at most 4 KiB: always in bounds */

struct gh_config {
	__u64 kinds;        /* enabled GH_KIND_* bits */
	__u64 wakeup_bytes; /* force a consumer wakeup only when this much is pending */
	__u32 trace_all;    /* host mode: every task except the helper */
	__u32 self_tgid;
	__u32 prefix_count;
	__u32 mntns_count;  /* >0 only on hosts without a cgroup v2 hierarchy */
	__u32 admit_count;  /* admit prefixes set: new container cgroups are watched from creation (cgroup.bpf.c) */
	__u32 pad0;
};

/* A sensitive prefix as 8-byte words plus masks (bytes past the prefix length are 0 in the mask), so
 * the match is branch-free word arithmetic the verifier walks once. */
struct gh_prefix {
	__u32 len;
	__u32 pad;
	__u64 w[GH_PREFIX_LEN / 8];
	__u64 m[GH_PREFIX_LEN / 8];
};

/* Arguments kept between sys_enter and sys_exit of one thread, normalised per record family. */
struct gh_inflight {
	__u64 ts;
	__u16 kind;
	__u16 pad0;
	__u32 sysnr;
	__u64 p1, p2, p3; /* user pointers: path, path2/addr, aux */
	__s32 dirfd, dirfd2, fd;
	__u32 flags, mode, owner, group, len;
	__u64 args[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by the loader (--ring-bytes) */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);  /* cgroup v2 id */
	__type(value, __u8); /* 1: watched on request, 2: admitted at creation (cgroup.bpf.c) */
} watched_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);  /* mount namespace inode */
	__type(value, __u8);
} watched_mntns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gh_config);
} gh_config_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GH_PREFIX_MAX);
	__type(key, __u32);
	__type(value, struct gh_prefix);
} prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GH_KIND_SLOTS + 1); /* per kind emitted; last slot = ring-buffer drops */
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH); /* LRU: a thread killed inside a syscall never leaks a slot */
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct gh_inflight);
} inflight SEC(".maps");

struct gh_scratch { __u8 b[SCRATCH_SIZE]; };
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 3); /* 0: syscall hooks, 1: sched hooks, 2: cgroup hooks (they can interleave on one CPU) */
	__type(key, __u32);
	__type(value, struct gh_scratch);
} scratch SEC(".maps");

/* Bound a length for the verifier in a way clang cannot optimise away. */
#define BOUND(v, mask) asm volatile("%0 &= " #mask : "+r"(v))

static __always_inline struct gh_config *config__get(void)
{
	__u32 k = 0;
	return bpf_map_lookup_elem(&gh_config_map, &k);
}

static __always_inline __u32 task__mntns(struct task_struct *t)
{
	return BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum);
}

/* The in-kernel filter: only watched containers (or everything but ourselves in host mode) and only
 * enabled kinds go further. This is what keeps the bulk of syscalls out of user space. */
static __always_inline bool filter__pass(struct gh_config *c, __u16 kind)
{
	if (!c || !((c->kinds >> kind) & 1))
		return false;
	if (c->trace_all)
		return (bpf_get_current_pid_tgid() >> 32) != c->self_tgid;
	__u64 cg = bpf_get_current_cgroup_id();
	if (bpf_map_lookup_elem(&watched_cgroups, &cg))
		return true;
	if (c->mntns_count) {
		__u32 ns = task__mntns((struct task_struct *)bpf_get_current_task());
		if (bpf_map_lookup_elem(&watched_mntns, &ns))
			return true;
	}
	return false;
}

static __always_inline void counter__add(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &slot);
	if (v)
		*v += 1;
}

static __always_inline __u8 *scratch__get(__u32 slot)
{
	struct gh_scratch *s = bpf_map_lookup_elem(&scratch, &slot);
	return s ? s->b : 0;
}

static __always_inline void event__fill(struct gh_event *e, __u16 kind)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ug = bpf_get_current_uid_gid();
	e->ts_ns = bpf_ktime_get_boot_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->pid = (__u32)id;
	e->tgid = id >> 32;
	e->ppid = BPF_CORE_READ(t, real_parent, tgid);
	e->uid = (__u32)ug;
	e->gid = ug >> 32;
	e->mntns = task__mntns(t);
	e->kind = kind;
	e->flags = 0;
	e->ret = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

/* Submit without waking the reader (each wakeup costs microseconds here); the reader polls on a short
 * timer, and we force a wakeup only once enough data is pending. */
static __always_inline void record__submit(struct gh_config *c, __u8 *buf, __u32 len, __u16 op, __u16 kind)
{
	struct gh_frame *f = (struct gh_frame *)buf;
	f->magic = GH_MAGIC;
	f->len = len;
	f->schema = GH_SCHEMA_VERSION;
	f->op = op;
	f->seq = 0;
	__u64 flags = BPF_RB_NO_WAKEUP;
	if (c && bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= c->wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	__u64 n = len;
	if (n >= SCRATCH_SIZE)
		return;
	BOUND(n, 0x3fff);
	if (bpf_ringbuf_output(&events, buf, n, flags))
		counter__add(GH_KIND_SLOTS);
	else
		counter__add(kind);
}

/* Copies a user string to buf+off; returns its length without the NUL. */
static __always_inline __u32 str__user(__u8 *buf, __u32 off, const void *src, __u16 *flags)
{
	if (!src)
		return 0;
	long n = bpf_probe_read_user_str(buf + (off & OFF_MASK), GH_PATH_MAX, src);
	if (n <= 0)
		return 0;
	if (n == GH_PATH_MAX)
		*flags |= GH_F_TRUNCATED;
	return (__u32)(n - 1);
}

static __always_inline __u32 str__kernel(__u8 *buf, __u32 off, const void *src, __u16 *flags)
{
	if (!src)
		return 0;
	long n = bpf_probe_read_kernel_str(buf + (off & OFF_MASK), GH_PATH_MAX, src);
	if (n <= 0)
		return 0;
	if (n == GH_PATH_MAX)
		*flags |= GH_F_TRUNCATED;
	return (__u32)(n - 1);
}

/* The cwd as "leaf/parent/.../top/": a bounded dentry walk up to the task's root, crossing mounts. The
 * engine reverses it (cheaper than assembling it front-to-back here). A global (non-inline) function:
 * the verifier checks it once instead of once per caller state. Returns len | GH_F_* << 16. */
struct gh_cwdbuf { __u8 b[GH_CWD_DEPTH * 128]; };
__noinline __u32 cwd__walk(struct gh_cwdbuf *out)
{
	if (!out)
		return 0;
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct fs_struct *fs = BPF_CORE_READ(t, fs);
	struct dentry *d = BPF_CORE_READ(fs, pwd.dentry);
	struct vfsmount *vm = BPF_CORE_READ(fs, pwd.mnt);
	struct dentry *root_d = BPF_CORE_READ(fs, root.dentry);
	struct vfsmount *root_m = BPF_CORE_READ(fs, root.mnt);
	struct mount *mnt = container_of(vm, struct mount, mnt);
	__u32 len = 0;
	for (int i = 0; i < GH_CWD_DEPTH; i++) {
		if (d == root_d && vm == root_m)
			return len | (GH_F_CWD_REVERSED << 16);
		struct dentry *mnt_root = BPF_CORE_READ(vm, mnt_root);
		if (d == mnt_root) {
			struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
			if (parent == mnt)
				return len | (GH_F_CWD_REVERSED << 16);
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = parent;
			vm = &parent->mnt;
			continue;
		}
		struct dentry *p = BPF_CORE_READ(d, d_parent);
		if (p == d)
			break;
		const unsigned char *name = BPF_CORE_READ(d, d_name.name);
		__u32 o = len;
		if (o > sizeof(out->b) - 128)
			break;
		long n = bpf_probe_read_kernel_str(out->b + o, 127, name);
		if (n <= 1)
			break;
		len += (__u32)n - 1;
		if (len >= sizeof(out->b))
			break;
		out->b[len] = '/';
		len += 1;
		d = p;
	}
	return len | ((GH_F_CWD_REVERSED | GH_F_CWD_PARTIAL) << 16);
}

/* cwd of the current task */
static __always_inline __u32 cwd__put(__u8 *buf, __u32 off, __u16 *flags)
{
	__u32 r = cwd__walk((struct gh_cwdbuf *)(buf + (off & OFF_MASK)));
	*flags |= r >> 16;
	return r & 0xffff;
}

/* fd -> struct sock of the current task, or NULL when fd is not a socket. */
static __always_inline struct sock *fd__sock(int fd)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct file **fds = BPF_CORE_READ(t, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(t, files, fdt, max_fds);
	if (fd < 0 || (unsigned int)fd >= max)
		return 0;
	struct file *f = 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f)
		return 0;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT_) != S_IFSOCK_)
		return 0;
	struct socket *s = BPF_CORE_READ(f, private_data);
	return BPF_CORE_READ(s, sk);
}

static __always_inline __u16 sock__type(struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_type);
}

/* Stash the enter arguments; the record is built at sys_exit when the result is known. */
static __always_inline struct gh_inflight *inflight__new(__u16 kind, __u32 sysnr)
{
	struct gh_config *c = config__get();
	if (!filter__pass(c, kind))
		return 0;
	__u64 id = bpf_get_current_pid_tgid();
	struct gh_inflight zero = {};
	zero.ts = bpf_ktime_get_boot_ns();
	zero.kind = kind;
	zero.sysnr = sysnr;
	zero.fd = -1;
	zero.dirfd = AT_FDCWD_;
	zero.dirfd2 = AT_FDCWD_;
	if (bpf_map_update_elem(&inflight, &id, &zero, BPF_ANY))
		return 0;
	return bpf_map_lookup_elem(&inflight, &id);
}

static __always_inline struct gh_inflight *inflight__take(__u64 *id)
{
	*id = bpf_get_current_pid_tgid();
	return bpf_map_lookup_elem(&inflight, id);
}

/* The start every family's builder shares: the arguments stashed at enter (none when the syscall was filtered
 * there), the config, and the scratch buffer the record is built in. Returns NULL when there is nothing to
 * build; if *in is set the stash must still be dropped (emit__done). */
static __always_inline __u8 *emit__begin(__u64 *id, struct gh_inflight **in, struct gh_config **c)
{
	*in = inflight__take(id);
	if (!*in)
		return 0;
	*c = config__get();
	if (!*c)
		return 0;
	return scratch__get(0);
}

/* Drops the stashed enter arguments of this thread: every builder ends here, emitted or not. */
static __always_inline int emit__done(__u64 id)
{
	bpf_map_delete_elem(&inflight, &id);
	return 0;
}

/* The record builders are big (strings, cwd walk, socket reads); verifying a copy in each of ~50 exit
 * programs took the load past 30 s on a 2-core VM. Each exit program therefore tail-calls one shared
 * builder program per family, verified once. */
#define EMIT_FILE 0
#define EMIT_NET 1
#define EMIT_PRIV 2
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, __u32);
} emitters SEC(".maps");

#define ENTER(name) \
	SEC("tracepoint/syscalls/sys_enter_" #name) \
	int enter_##name(struct trace_event_raw_sys_enter *ctx)
#define EXIT(name) \
	SEC("tracepoint/syscalls/sys_exit_" #name) \
	int exit_##name(struct trace_event_raw_sys_exit *ctx)

#endif

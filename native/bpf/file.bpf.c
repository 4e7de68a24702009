/* File family: opens that write/create/truncate (reads only under sensitive prefixes), unlink, rename,
 * chmod, chown, mkdir, link, symlink, mount, umount, chroot.
 * Why per-syscall tracepoints (syscalls/sys_enter_X + sys_exit_X): they cost nothing for syscalls we do
 * not trace (a raw sys_enter hook would run for every syscall of every task), they exist on every
 * kernel with CONFIG_FTRACE_SYSCALLS, and enter+exit gives both the raw arguments and the result. What
 * they miss: syscalls refused by seccomp never reach them, and io_uring file operations bypass them.
 * Included by glasshouse.bpf.c. */

/* Sensitive-prefix match for read-only opens (absolute paths only, as the process wrote them). Global
 * function: verified once. */
struct gh_pathbuf { __u64 w[GH_PREFIX_LEN / 8]; };
__noinline int prefix__match(struct gh_pathbuf *path, __u32 plen)
{
	if (!path)
		return 0;
	for (__u32 i = 0; i < GH_PREFIX_MAX; i++) {
		__u32 k = i;
		struct gh_prefix *p = bpf_map_lookup_elem(&prefixes, &k);
		if (!p || p->len == 0 || p->len > plen)
			continue;
		__u64 diff = 0;
#pragma unroll
		for (int j = 0; j < GH_PREFIX_LEN / 8; j++)
			diff |= (path->w[j] ^ p->w[j]) & p->m[j];
		if (!diff)
			return 1;
	}
	return 0;
}

static __always_inline int file__emit(long ret)
{
	__u64 id;
	struct gh_inflight *in;
	struct gh_config *c;
	__u8 *buf = emit__begin(&id, &in, &c);
	if (!buf)
		return in ? emit__done(id) : 0;
	struct gh_file *r = (struct gh_file *)buf;
	event__fill(&r->e, in->kind);
	r->e.ts_ns = in->ts;
	r->e.ret = (__s32)ret;
	r->dirfd = in->dirfd;
	r->fd = in->fd;
	r->flags = in->flags;
	r->mode = in->mode;
	r->owner = in->owner;
	r->group = in->group;
	__u32 off = sizeof(*r);
	__u32 n1 = str__user(buf, off, (void *)in->p1, &r->e.flags);
	if (in->kind == GH_KIND_OPEN && !(in->flags & (O_WRONLY_ | O_RDWR_ | O_CREAT_ | O_TRUNC_))) {
		/* a read: only under a sensitive prefix */
		if (!prefix__match((struct gh_pathbuf *)(buf + sizeof(*r)), n1))
			goto out;
		r->e.flags |= GH_F_READ;
	}
	__u8 first = buf[sizeof(*r)];
	r->path_len = n1;
	off += n1;
	__u32 n2 = str__user(buf, off, (void *)in->p2, &r->e.flags);
	r->path2_len = n2;
	off += n2;
	__u32 n3 = str__user(buf, off, (void *)in->p3, &r->e.flags);
	r->aux_len = n3;
	off += n3;
	r->cwd_len = 0;
	/* relative path against the cwd: give the cwd so the engine can resolve it */
	if (n1 && first != '/' && in->dirfd == AT_FDCWD_) {
		__u32 cl = cwd__put(buf, off, &r->e.flags);
		r->cwd_len = cl;
		off += cl;
	}
	record__submit(c, buf, off, GH_OP_FILE, in->kind);
out:
	return emit__done(id);
}

SEC("tracepoint")
int emit_file(struct trace_event_raw_sys_exit *ctx) { return file__emit(ctx->ret); }

#define FILE_EXIT(name) EXIT(name) { bpf_tail_call(ctx, &emitters, EMIT_FILE); return 0; }

static __always_inline int open__enter(struct trace_event_raw_sys_enter *ctx, int dirfd, __u64 path, __u32 flags, __u32 mode)
{
	if (!(flags & (O_WRONLY_ | O_RDWR_ | O_CREAT_ | O_TRUNC_))) {
		/* reads are the bulk of opens: drop them here unless sensitive prefixes are configured */
		struct gh_config *c = config__get();
		if (!c || !c->prefix_count)
			return 0;
	}
	struct gh_inflight *in = inflight__new(GH_KIND_OPEN, ctx->id);
	if (!in)
		return 0;
	in->dirfd = dirfd;
	in->p1 = path;
	in->flags = flags;
	in->mode = mode;
	return 0;
}

ENTER(open) { return open__enter(ctx, AT_FDCWD_, ctx->args[0], ctx->args[1], ctx->args[2]); }
FILE_EXIT(open)
ENTER(creat) { return open__enter(ctx, AT_FDCWD_, ctx->args[0], O_CREAT_ | O_WRONLY_ | O_TRUNC_, ctx->args[1]); }
FILE_EXIT(creat)
ENTER(openat) { return open__enter(ctx, (int)ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[3]); }
FILE_EXIT(openat)
ENTER(openat2)
{
	struct open_how how = {};
	bpf_probe_read_user(&how, sizeof(how), (void *)ctx->args[2]);
	return open__enter(ctx, (int)ctx->args[0], ctx->args[1], (__u32)how.flags, (__u32)how.mode);
}
FILE_EXIT(openat2)

/* path-only syscalls: kind, dirfd, path, mode/flags */
static __always_inline int path__enter(struct trace_event_raw_sys_enter *ctx, __u16 kind, int dirfd, __u64 path, __u64 path2, __u32 mode, __u32 flags)
{
	struct gh_inflight *in = inflight__new(kind, ctx->id);
	if (!in)
		return 0;
	in->dirfd = dirfd;
	in->p1 = path;
	in->p2 = path2;
	in->mode = mode;
	in->flags = flags;
	return 0;
}

ENTER(unlink) { return path__enter(ctx, GH_KIND_UNLINK, AT_FDCWD_, ctx->args[0], 0, 0, 0); }
FILE_EXIT(unlink)
ENTER(unlinkat) { return path__enter(ctx, GH_KIND_UNLINK, (int)ctx->args[0], ctx->args[1], 0, 0, ctx->args[2]); }
FILE_EXIT(unlinkat)
ENTER(rmdir) { return path__enter(ctx, GH_KIND_UNLINK, AT_FDCWD_, ctx->args[0], 0, 0, 0x200 /* AT_REMOVEDIR */); }
FILE_EXIT(rmdir)
ENTER(mkdir) { return path__enter(ctx, GH_KIND_MKDIR, AT_FDCWD_, ctx->args[0], 0, ctx->args[1], 0); }
FILE_EXIT(mkdir)
ENTER(mkdirat) { return path__enter(ctx, GH_KIND_MKDIR, (int)ctx->args[0], ctx->args[1], 0, ctx->args[2], 0); }
FILE_EXIT(mkdirat)
ENTER(chroot) { return path__enter(ctx, GH_KIND_CHROOT, AT_FDCWD_, ctx->args[0], 0, 0, 0); }
FILE_EXIT(chroot)
ENTER(chmod) { return path__enter(ctx, GH_KIND_CHMOD, AT_FDCWD_, ctx->args[0], 0, ctx->args[1], 0); }
FILE_EXIT(chmod)
ENTER(fchmodat) { return path__enter(ctx, GH_KIND_CHMOD, (int)ctx->args[0], ctx->args[1], 0, ctx->args[2], 0); }
FILE_EXIT(fchmodat)
ENTER(fchmodat2) { return path__enter(ctx, GH_KIND_CHMOD, (int)ctx->args[0], ctx->args[1], 0, ctx->args[2], ctx->args[3]); }
FILE_EXIT(fchmodat2)
ENTER(fchmod)
{
	struct gh_inflight *in = inflight__new(GH_KIND_CHMOD, ctx->id);
	if (in) {
		in->fd = (int)ctx->args[0];
		in->mode = ctx->args[1];
	}
	return 0;
}
FILE_EXIT(fchmod)

static __always_inline int chown__enter(struct trace_event_raw_sys_enter *ctx, int dirfd, __u64 path, int fd, __u32 owner, __u32 group, __u32 flags)
{
	struct gh_inflight *in = inflight__new(GH_KIND_CHOWN, ctx->id);
	if (!in)
		return 0;
	in->dirfd = dirfd;
	in->p1 = path;
	in->fd = fd;
	in->owner = owner;
	in->group = group;
	in->flags = flags;
	return 0;
}
ENTER(chown) { return chown__enter(ctx, AT_FDCWD_, ctx->args[0], -1, ctx->args[1], ctx->args[2], 0); }
FILE_EXIT(chown)
ENTER(lchown) { return chown__enter(ctx, AT_FDCWD_, ctx->args[0], -1, ctx->args[1], ctx->args[2], 0x100 /* AT_SYMLINK_NOFOLLOW */); }
FILE_EXIT(lchown)
ENTER(fchown) { return chown__enter(ctx, AT_FDCWD_, 0, (int)ctx->args[0], ctx->args[1], ctx->args[2], 0); }
FILE_EXIT(fchown)
ENTER(fchownat) { return chown__enter(ctx, (int)ctx->args[0], ctx->args[1], -1, ctx->args[2], ctx->args[3], ctx->args[4]); }
FILE_EXIT(fchownat)

/* two-path syscalls: path = old/target, path2 = new/link path */
static __always_inline int path2__enter(struct trace_event_raw_sys_enter *ctx, __u16 kind, int od, __u64 oldp, int nd, __u64 newp, __u32 flags)
{
	struct gh_inflight *in = inflight__new(kind, ctx->id);
	if (!in)
		return 0;
	in->dirfd = od;
	in->p1 = oldp;
	in->dirfd2 = nd;
	in->p2 = newp;
	in->flags = flags;
	return 0;
}
ENTER(rename) { return path2__enter(ctx, GH_KIND_RENAME, AT_FDCWD_, ctx->args[0], AT_FDCWD_, ctx->args[1], 0); }
FILE_EXIT(rename)
ENTER(renameat) { return path2__enter(ctx, GH_KIND_RENAME, (int)ctx->args[0], ctx->args[1], (int)ctx->args[2], ctx->args[3], 0); }
FILE_EXIT(renameat)
ENTER(renameat2) { return path2__enter(ctx, GH_KIND_RENAME, (int)ctx->args[0], ctx->args[1], (int)ctx->args[2], ctx->args[3], ctx->args[4]); }
FILE_EXIT(renameat2)
ENTER(link) { return path2__enter(ctx, GH_KIND_LINK, AT_FDCWD_, ctx->args[0], AT_FDCWD_, ctx->args[1], 0); }
FILE_EXIT(link)
ENTER(linkat) { return path2__enter(ctx, GH_KIND_LINK, (int)ctx->args[0], ctx->args[1], (int)ctx->args[2], ctx->args[3], ctx->args[4]); }
FILE_EXIT(linkat)
/* symlink: the target is any string, not resolved; path = target, path2 = the new link */
ENTER(symlink) { return path2__enter(ctx, GH_KIND_SYMLINK, AT_FDCWD_, ctx->args[0], AT_FDCWD_, ctx->args[1], 0); }
FILE_EXIT(symlink)
ENTER(symlinkat) { return path2__enter(ctx, GH_KIND_SYMLINK, AT_FDCWD_, ctx->args[0], (int)ctx->args[1], ctx->args[2], 0); }
FILE_EXIT(symlinkat)

/* mount(source, target, fstype, flags, data): path = target, path2 = source, aux = fstype. Reported
 * even when refused (ret = -EPERM): an attempt to mount is itself the signal. */
ENTER(mount)
{
	struct gh_inflight *in = inflight__new(GH_KIND_MOUNT, ctx->id);
	if (!in)
		return 0;
	in->p1 = ctx->args[1];
	in->p2 = ctx->args[0];
	in->p3 = ctx->args[2];
	in->flags = ctx->args[3];
	return 0;
}
FILE_EXIT(mount)
/* x86_64 umount2 is named "umount" in the syscall tracepoints */
ENTER(umount) { return path__enter(ctx, GH_KIND_UMOUNT, AT_FDCWD_, ctx->args[0], 0, 0, ctx->args[1]); }
FILE_EXIT(umount)

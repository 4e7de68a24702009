/* Process family: exec, fork/clone, exit — from the sched tracepoints, via tp_btf.
 * Why tp_btf: typed access to task_struct and linux_binprm with CO-RE, no tracefs needed, stable since
 * 5.5, and one hook sees every exec/fork/exit whatever syscall (execve, execveat, clone, clone3, vfork)
 * caused it. Included by glasshouse.bpf.c. */

/* Why sched_process_exec: it fires after the new image is in place, so argv is read from the new mm
 * and the file is the one really executed (memfd included). Failed execs never get here: see below. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	/* a thread other than the leader exec'd: it now has the leader's pid, so its execve stash (keyed by its
	 * old thread id) would never be taken by the syscall exit below */
	__u64 id = bpf_get_current_pid_tgid();
	if ((__u32)old_pid != (__u32)id) {
		__u64 stale = (id & 0xffffffff00000000ull) | (__u32)old_pid;
		bpf_map_delete_elem(&inflight, &stale);
	}
	struct gh_config *c = config__get();
	if (!filter__pass(c, GH_KIND_EXEC))
		return 0;
	__u8 *buf = scratch__get(1);
	if (!buf)
		return 0;
	struct gh_exec *r = (struct gh_exec *)buf;
	event__fill(&r->e, GH_KIND_EXEC);
	__u32 off = sizeof(*r);

	__u32 fl = str__kernel(buf, off, BPF_CORE_READ(bprm, filename), &r->e.flags);
	r->filename_len = fl;
	off += fl;

	/* argv straight from the new process's memory: NUL-separated, bounded to GH_ARGV_MAX. */
	struct mm_struct *mm = BPF_CORE_READ(p, mm);
	unsigned long as = BPF_CORE_READ(mm, arg_start), ae = BPF_CORE_READ(mm, arg_end);
	__u32 an = ae > as ? (__u32)(ae - as) : 0;
	if (an > GH_ARGV_MAX) {
		an = GH_ARGV_MAX;
		r->e.flags |= GH_F_TRUNCATED;
	}
	__u64 an64 = an;
	BOUND(an64, 0x7ff);
	if (bpf_probe_read_user(buf + (off & OFF_MASK), an64, (void *)as))
		an = 0;
	r->argv_len = an;
	r->argc = BPF_CORE_READ(bprm, argc);
	off += an;

	/* fileless exec: the file behind the exec is a memfd ("memfd:<name>"). */
	char head[8] = {};
	bpf_probe_read_kernel_str(head, sizeof(head), BPF_CORE_READ(bprm, file, f_path.dentry, d_name.name));
	if (head[0] == 'm' && head[1] == 'e' && head[2] == 'm' && head[3] == 'f' && head[4] == 'd' && head[5] == ':')
		r->e.flags |= GH_F_MEMFD;

	__u32 cl = cwd__put(buf, off, &r->e.flags);
	r->cwd_len = cl;
	off += cl;
	record__submit(c, buf, off, GH_OP_EXEC, GH_KIND_EXEC);
	return 0;
}

/* Failed execs: an exec that returns an error never reaches sched_process_exec, yet failed attempts (a tool
 * that is not there, a binary that is refused) are what probing looks like. Why the execve/execveat syscall
 * tracepoints: only they see an attempt and its result. Enter keeps the user pointers; exit reports failures
 * only (a success was already reported by sched_process_exec, from the new image), as an exec record with
 * ret < 0 and argv read from the caller's array (up to 16 arguments, GH_ARGV_MAX bytes). */
static __always_inline int exec__enter(struct trace_event_raw_sys_enter *ctx, int dirfd, __u64 path, __u64 argv)
{
	struct gh_inflight *in = inflight__new(GH_KIND_EXEC, ctx->id);
	if (!in)
		return 0;
	in->dirfd = dirfd;
	in->p1 = path;
	in->p2 = argv;
	return 0;
}

static __always_inline int exec__exit(long ret)
{
	__u64 id;
	if (ret >= 0) /* the common case: sched_process_exec reported it, only the stash goes */
		return emit__done(bpf_get_current_pid_tgid());
	struct gh_inflight *in;
	struct gh_config *c;
	__u8 *buf = emit__begin(&id, &in, &c);
	if (!buf)
		return in ? emit__done(id) : 0;
	struct gh_exec *r = (struct gh_exec *)buf;
	event__fill(&r->e, GH_KIND_EXEC);
	r->e.ts_ns = in->ts;
	r->e.ret = (__s32)ret;
	__u32 off = sizeof(*r);
	__u32 fl = str__user(buf, off, (void *)in->p1, &r->e.flags);
	r->filename_len = fl;
	off += fl;
	__u32 start = off, argc = 0;
	for (int i = 0; in->p2 && i < 16; i++) {
		__u64 ap = 0;
		if (bpf_probe_read_user(&ap, sizeof(ap), (void *)(in->p2 + 8 * i)) || !ap)
			break;
		long n = bpf_probe_read_user_str(buf + (off & OFF_MASK), 256, (void *)ap);
		if (n <= 0)
			break;
		off += (__u32)n; /* with its NUL, as in the process's own argument area */
		argc++;
		if (off - start >= GH_ARGV_MAX) {
			r->e.flags |= GH_F_TRUNCATED;
			break;
		}
	}
	r->argv_len = off - start;
	r->argc = argc;
	__u32 cl = cwd__put(buf, off, &r->e.flags);
	r->cwd_len = cl;
	off += cl;
	record__submit(c, buf, off, GH_OP_EXEC, GH_KIND_EXEC);
	return emit__done(id);
}

ENTER(execve) { return exec__enter(ctx, AT_FDCWD_, ctx->args[0], ctx->args[1]); }
EXIT(execve) { return exec__exit(ctx->ret); }
ENTER(execveat) { return exec__enter(ctx, (int)ctx->args[0], ctx->args[1], ctx->args[2]); }
EXIT(execveat) { return exec__exit(ctx->ret); }

/* Why sched_process_fork: one hook for fork, vfork, clone and clone3, with the child's ids. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork, struct task_struct *parent, struct task_struct *child)
{
	struct gh_config *c = config__get();
	if (!filter__pass(c, GH_KIND_FORK))
		return 0;
	__u8 *buf = scratch__get(1);
	if (!buf)
		return 0;
	struct gh_fork *r = (struct gh_fork *)buf;
	event__fill(&r->e, GH_KIND_FORK);
	r->child_pid = BPF_CORE_READ(child, pid);
	r->child_tgid = BPF_CORE_READ(child, tgid);
	if (r->child_pid != r->child_tgid)
		r->e.flags |= GH_F_THREAD;
	record__submit(c, buf, sizeof(*r), GH_OP_FORK, GH_KIND_FORK);
	return 0;
}

/* Why sched_process_exit: it fires in do_exit for every thread; signal->live is already decremented
 * there, so live == 0 marks the last thread, i.e. the process exit, whichever thread that is (the leader may
 * have left first with pthread_exit); read portably, as the group_dead argument only exists on recent
 * kernels. Every other exit is a thread exit (GH_F_THREAD), the counterpart of a thread clone. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_exit, struct task_struct *p)
{
	struct gh_config *c = config__get();
	if (!filter__pass(c, GH_KIND_EXIT))
		return 0;
	bool thread = BPF_CORE_READ(p, signal, live.counter) != 0;
	__u8 *buf = scratch__get(1);
	if (!buf)
		return 0;
	struct gh_exit *r = (struct gh_exit *)buf;
	event__fill(&r->e, GH_KIND_EXIT);
	if (thread)
		r->e.flags |= GH_F_THREAD;
	int code = BPF_CORE_READ(p, exit_code);
	if (!code)
		code = BPF_CORE_READ(p, signal, group_exit_code);
	r->code = (code >> 8) & 0xff;
	r->signal = code & 0x7f;
	record__submit(c, buf, sizeof(*r), GH_OP_EXIT, GH_KIND_EXIT);
	return 0;
}

/* Privilege and escape signals: setuid/setgid family, capset, ptrace, init_module/finit_module, bpf(),
 * unshare/setns, memfd_create, mprotect/mmap making anonymous memory executable, io_uring_setup.
 * Why syscall tracepoints: each of these is a rare syscall, so enter+exit hooks cost nothing in the
 * common path and give the result (a refused setuid is as interesting as a granted one). Modules: the
 * init_module tracepoints do not exist on kernels without module support; the loader skips them and
 * reports the kind unsupported. Included by glasshouse.bpf.c. */

static __always_inline int priv__emit(long ret)
{
	__u64 id;
	struct gh_inflight *in;
	struct gh_config *c;
	__u8 *buf = emit__begin(&id, &in, &c);
	if (!buf)
		return in ? emit__done(id) : 0;
	struct gh_priv *r = (struct gh_priv *)buf;
	event__fill(&r->e, in->kind);
	r->e.ts_ns = in->ts;
	r->e.ret = (__s32)ret;
	r->sysnr = in->sysnr;
	r->pad0 = 0;
	r->args[0] = in->args[0];
	r->args[1] = in->args[1];
	r->args[2] = in->args[2];
	r->args[3] = in->args[3];
	__u32 off = sizeof(*r);
	__u32 n = str__user(buf, off, (void *)in->p1, &r->e.flags);
	r->str_len = n;
	record__submit(c, buf, off + n, GH_OP_PRIV, in->kind);
	return emit__done(id);
}

static __always_inline int priv__enter(struct trace_event_raw_sys_enter *ctx, __u16 kind, __u64 a0, __u64 a1, __u64 a2, __u64 a3, __u64 str)
{
	struct gh_inflight *in = inflight__new(kind, ctx->id);
	if (!in)
		return 0;
	in->args[0] = a0;
	in->args[1] = a1;
	in->args[2] = a2;
	in->args[3] = a3;
	in->p1 = str;
	return 0;
}

#define NOID 0xffffffffull
SEC("tracepoint")
int emit_priv(struct trace_event_raw_sys_exit *ctx) { return priv__emit(ctx->ret); }
#define PRIV_EXIT(name) EXIT(name) { bpf_tail_call(ctx, &emitters, EMIT_PRIV); return 0; }

ENTER(setuid) { return priv__enter(ctx, GH_KIND_SETUID, (__u32)ctx->args[0], NOID, NOID, 0, 0); }
PRIV_EXIT(setuid)
ENTER(setreuid) { return priv__enter(ctx, GH_KIND_SETUID, (__u32)ctx->args[0], (__u32)ctx->args[1], NOID, 0, 0); }
PRIV_EXIT(setreuid)
ENTER(setresuid) { return priv__enter(ctx, GH_KIND_SETUID, (__u32)ctx->args[0], (__u32)ctx->args[1], (__u32)ctx->args[2], 0, 0); }
PRIV_EXIT(setresuid)
ENTER(setfsuid) { return priv__enter(ctx, GH_KIND_SETUID, (__u32)ctx->args[0], NOID, NOID, 0, 0); }
PRIV_EXIT(setfsuid)
ENTER(setgid) { return priv__enter(ctx, GH_KIND_SETGID, (__u32)ctx->args[0], NOID, NOID, 0, 0); }
PRIV_EXIT(setgid)
ENTER(setregid) { return priv__enter(ctx, GH_KIND_SETGID, (__u32)ctx->args[0], (__u32)ctx->args[1], NOID, 0, 0); }
PRIV_EXIT(setregid)
ENTER(setresgid) { return priv__enter(ctx, GH_KIND_SETGID, (__u32)ctx->args[0], (__u32)ctx->args[1], (__u32)ctx->args[2], 0, 0); }
PRIV_EXIT(setresgid)
ENTER(setfsgid) { return priv__enter(ctx, GH_KIND_SETGID, (__u32)ctx->args[0], NOID, NOID, 0, 0); }
PRIV_EXIT(setfsgid)

/* capset(header, data[2]): the requested sets, read at enter (lo word | hi word << 32). */
ENTER(capset)
{
	__u32 d[6] = {};
	bpf_probe_read_user(d, sizeof(d), (void *)ctx->args[1]);
	return priv__enter(ctx, GH_KIND_CAPSET, d[0] | ((__u64)d[3] << 32), d[1] | ((__u64)d[4] << 32),
			   d[2] | ((__u64)d[5] << 32), 0, 0);
}
PRIV_EXIT(capset)
ENTER(ptrace) { return priv__enter(ctx, GH_KIND_PTRACE, ctx->args[0], ctx->args[1], 0, 0, 0); }
PRIV_EXIT(ptrace)
ENTER(init_module) { return priv__enter(ctx, GH_KIND_MODULE, 0, ctx->args[1], 0, 0, 0); }
PRIV_EXIT(init_module)
ENTER(finit_module) { return priv__enter(ctx, GH_KIND_MODULE, ctx->args[2], 0, 0, 0, 0); }
PRIV_EXIT(finit_module)
ENTER(bpf) { return priv__enter(ctx, GH_KIND_BPF, ctx->args[0], 0, 0, 0, 0); }
PRIV_EXIT(bpf)
ENTER(unshare) { return priv__enter(ctx, GH_KIND_UNSHARE, ctx->args[0], 0, 0, 0, 0); }
PRIV_EXIT(unshare)
ENTER(setns) { return priv__enter(ctx, GH_KIND_SETNS, ctx->args[1], ctx->args[0], 0, 0, 0); }
PRIV_EXIT(setns)
ENTER(memfd_create) { return priv__enter(ctx, GH_KIND_MEMFD, ctx->args[1], 0, 0, 0, ctx->args[0]); }
PRIV_EXIT(memfd_create)

/* Only executable anonymous mappings and PROT_EXEC protection changes: loaders map files executable
 * all the time, shellcode needs anonymous memory. mprotect cannot cheaply tell anonymous from file
 * memory here, so every PROT_EXEC mprotect is reported. */
ENTER(mprotect)
{
	if (!(ctx->args[2] & PROT_EXEC_))
		return 0;
	return priv__enter(ctx, GH_KIND_MPROTECT, ctx->args[0], ctx->args[1], ctx->args[2], 0, 0);
}
PRIV_EXIT(mprotect)
ENTER(mmap)
{
	if (!(ctx->args[2] & PROT_EXEC_) || !(ctx->args[3] & MAP_ANONYMOUS_))
		return 0;
	return priv__enter(ctx, GH_KIND_MMAP, ctx->args[0], ctx->args[1], ctx->args[2], ctx->args[3], 0);
}
PRIV_EXIT(mmap)

/* io_uring: reads, writes, opens, connects submitted through a ring never pass the syscall tracepoints
 * above, so an io_uring instance is where this sensor goes blind; report its creation (entries and setup
 * flags from io_uring_params, the ring fd as the result) so it can be flagged. */
ENTER(io_uring_setup)
{
	__u32 flags = 0;
	if (ctx->args[1])
		bpf_probe_read_user(&flags, sizeof(flags), (void *)(ctx->args[1] + 8)); /* io_uring_params.flags */
	return priv__enter(ctx, GH_KIND_IO_URING, ctx->args[0], flags, 0, 0, 0);
}
PRIV_EXIT(io_uring_setup)

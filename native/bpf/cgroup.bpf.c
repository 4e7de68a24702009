/* Container admission: a container is traced from the moment its cgroup exists, not from the moment the
 * engine hears of it (Docker's start event arrives after the entrypoint already ran for tens of ms to a
 * second). Why tp_btf/cgroup_mkdir: the cgroup is created by runc (or crun) before the container's first
 * process joins it, so a cgroup admitted here misses nothing from runc init on; the hook runs only when a
 * cgroup is created, never on the syscall path. Only cgroup v2 cgroups (hierarchy 0: the unified mount on
 * hybrid hosts) whose path is an admit prefix followed by a 64-hex container id are admitted, so the host
 * is never traced by accident (fail closed); the engine then attributes each one and confirms or unwatches
 * it. Included by glasshouse.bpf.c. */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GH_ADMIT_MAX);
	__type(key, __u32);
	__type(value, struct gh_prefix);
} admit_prefixes SEC(".maps");

#define CG_PATH_MAX 256
#define CG_SCRATCH 2 /* scratch slot of the cgroup hooks (never nested in the syscall or sched builders) */

static __always_inline int hexdigit(__u8 ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f');
}

/* The record as built in the scratch: the fixed part, then the path (its string tail). */
struct gh_cgbuf {
	struct gh_cgroup r;
	__u8 path[CG_PATH_MAX];
};

/* The path is <prefix><64 hex>, then its end or a '.' (".scope"): copies the id into the record's container_id
 * and returns 1. Global function: verified once for both hooks. */
__noinline int admit__match(struct gh_cgbuf *cb, __u32 plen)
{
	if (!cb)
		return 0;
	struct gh_cgroup *r = &cb->r;
	__u8 *path = cb->path;
	for (__u32 i = 0; i < GH_ADMIT_MAX; i++) {
		__u32 k = i;
		struct gh_prefix *p = bpf_map_lookup_elem(&admit_prefixes, &k);
		if (!p || p->len == 0 || p->len + 64 > plen)
			continue;
		__u64 diff = 0;
		for (int j = 0; j < GH_PREFIX_LEN / 8; j++)
			diff |= (((__u64 *)path)[j] ^ p->w[j]) & p->m[j];
		if (diff)
			continue;
		__u32 at = p->len & 63;
		int ok = 1;
		for (int j = 0; j < 64; j++) {
			__u8 ch = path[(at + j) & (CG_PATH_MAX - 1)];
			if (!hexdigit(ch)) {
				ok = 0;
				break;
			}
			r->container_id[j & 63] = ch;
		}
		__u8 next = path[(at + 64) & (CG_PATH_MAX - 1)];
		if (ok && (next == 0 || next == '.'))
			return 1;
		__builtin_memset(r->container_id, 0, sizeof(r->container_id));
	}
	return 0;
}

/* Builds the record for cgroup `cg` (path from the tracepoint) in the cgroup scratch; returns it or NULL. */
static __always_inline struct gh_cgbuf *cgroup__record(struct cgroup *cg, const char *path, __u32 *plen)
{
	if (BPF_CORE_READ(cg, root, hierarchy_id) != 0) /* a cgroup v1 hierarchy: ids there mean nothing to the filter */
		return 0;
	__u8 *buf = scratch__get(CG_SCRATCH);
	if (!buf)
		return 0;
	struct gh_cgbuf *cb = (struct gh_cgbuf *)buf;
	struct gh_cgroup *r = &cb->r;
	__builtin_memset(r, 0, sizeof(*r));
	__builtin_memset(cb->path, 0, GH_PREFIX_LEN); /* the prefix compare reads whole words */
	long n = bpf_probe_read_kernel_str(cb->path, CG_PATH_MAX, path);
	if (n <= 1)
		return 0;
	*plen = (__u32)n - 1;
	r->ts_ns = bpf_ktime_get_boot_ns();
	r->cgroup_id = BPF_CORE_READ(cg, kn, id);
	r->path_len = *plen;
	return cb;
}

static __always_inline void cgroup__submit(struct gh_cgroup *r, __u32 plen)
{
	struct gh_frame *f = &r->h;
	__u64 n = sizeof(*r) + plen;
	f->magic = GH_MAGIC;
	f->len = n;
	f->schema = GH_SCHEMA_VERSION;
	f->op = GH_OP_CGROUP;
	f->seq = 0;
	BOUND(n, 0x1ff);
	/* rare and urgent: wake the reader so the engine attributes the container before its first events pile up */
	if (bpf_ringbuf_output(&events, r, n, BPF_RB_FORCE_WAKEUP))
		counter__add(GH_KIND_SLOTS);
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cgroup_mkdir, struct cgroup *cg, const char *path)
{
	struct gh_config *c = config__get();
	if (!c || !c->admit_count || c->trace_all)
		return 0;
	__u32 plen = 0;
	struct gh_cgbuf *cb = cgroup__record(cg, path, &plen);
	if (!cb || !admit__match(cb, plen))
		return 0;
	struct gh_cgroup *r = &cb->r;
	__u8 admitted = 2; /* 1 = watched on the engine's request, 2 = admitted at creation */
	if (bpf_map_update_elem(&watched_cgroups, &r->cgroup_id, &admitted, BPF_NOEXIST))
		return 0;
	r->event = GH_CGROUP_ADMITTED;
	cgroup__submit(r, plen);
	return 0;
}

/* A watched cgroup that goes away leaves the filter here, whoever watched it: no stale ids fill the map. */
SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(cgroup_rmdir, struct cgroup *cg, const char *path)
{
	if (BPF_CORE_READ(cg, root, hierarchy_id) != 0)
		return 0;
	__u64 id = BPF_CORE_READ(cg, kn, id);
	if (!bpf_map_lookup_elem(&watched_cgroups, &id))
		return 0;
	bpf_map_delete_elem(&watched_cgroups, &id);
	__u32 plen = 0;
	struct gh_cgbuf *cb = cgroup__record(cg, path, &plen);
	if (!cb)
		return 0;
	admit__match(cb, plen);
	struct gh_cgroup *r = &cb->r;
	r->event = GH_CGROUP_REMOVED;
	cgroup__submit(r, plen);
	return 0;
}

/* Network family: connect, accept/accept4, bind, listen (IPv4, IPv6, Unix), and DNS queries.
 * Why syscall tracepoints rather than cgroup socket hooks: they give the process context (pid, comm,
 * cwd), the Unix paths, and the result of the call, on every kernel; the cost is only paid by the
 * watched containers. Addresses come from the user's sockaddr (connect/bind) or from the kernel socket
 * (accept/listen, and the local side of connect). Included by glasshouse.bpf.c. */
#include <bpf/bpf_endian.h>

/* Sockets connected to port 53, keyed tgid<<32|fd: resolvers that connect() a UDP socket then write()
 * are caught with one hash lookup per write instead of a socket walk for every write of the container. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} dns_fds SEC(".maps");

static __always_inline void sockaddr__read(struct gh_net *r, __u8 *buf, __u32 *off, __u64 uaddr, __u32 alen, bool local)
{
	__u16 fam = 0;
	if (!uaddr || bpf_probe_read_user(&fam, sizeof(fam), (void *)uaddr))
		return;
	r->family = fam;
	if (fam == AF_INET_) {
		struct sockaddr_in sa = {};
		bpf_probe_read_user(&sa, sizeof(sa), (void *)uaddr);
		__u8 *dst = local ? r->saddr : r->daddr;
		__builtin_memcpy(dst, &sa.sin_addr.s_addr, 4);
		if (local)
			r->sport = bpf_ntohs(sa.sin_port);
		else
			r->dport = bpf_ntohs(sa.sin_port);
	} else if (fam == AF_INET6_) {
		struct sockaddr_in6 sa = {};
		bpf_probe_read_user(&sa, sizeof(sa), (void *)uaddr);
		__u8 *dst = local ? r->saddr : r->daddr;
		__builtin_memcpy(dst, &sa.sin6_addr, 16);
		if (local)
			r->sport = bpf_ntohs(sa.sin6_port);
		else
			r->dport = bpf_ntohs(sa.sin6_port);
	} else if (fam == AF_UNIX_) {
		char c0 = 0;
		bpf_probe_read_user(&c0, 1, (void *)(uaddr + 2));
		__u64 p = uaddr + 2;
		if (c0 == 0 && alen > 3) {
			r->e.flags |= GH_F_ABSTRACT;
			p += 1;
		}
		long n = bpf_probe_read_user_str(buf + (*off & OFF_MASK), 108, (void *)p);
		if (n > 1) {
			r->unix_len = n - 1;
			*off += n - 1;
		}
	}
}

/* Fill addresses and ports from the kernel socket (IPv4/IPv6 only). */
static __always_inline void sock__read(struct gh_net *r, struct sock *sk)
{
	if (!sk)
		return;
	r->type = sock__type(sk);
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!r->family)
		r->family = fam;
	if (fam == AF_INET_) {
		__u32 s = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr), d = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		if (!r->sport)
			__builtin_memcpy(r->saddr, &s, 4);
		if (!r->dport)
			__builtin_memcpy(r->daddr, &d, 4);
	} else if (fam == AF_INET6_) {
		if (!r->sport)
			BPF_CORE_READ_INTO(&r->saddr, sk, __sk_common.skc_v6_rcv_saddr);
		if (!r->dport)
			BPF_CORE_READ_INTO(&r->daddr, sk, __sk_common.skc_v6_daddr);
	}
	if (!r->sport)
		r->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!r->dport)
		r->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

static __always_inline int net__emit(long ret)
{
	__u64 id;
	struct gh_inflight *in;
	struct gh_config *c;
	__u8 *buf = emit__begin(&id, &in, &c);
	if (!buf)
		return in ? emit__done(id) : 0;
	struct gh_net *r = (struct gh_net *)buf;
	__builtin_memset(&r->family, 0, sizeof(*r) - __builtin_offsetof(struct gh_net, family));
	event__fill(&r->e, in->kind);
	r->e.ts_ns = in->ts;
	r->e.ret = (__s32)ret;
	r->fd = in->fd;
	__u32 off = sizeof(*r);
	switch (in->kind) {
	case GH_KIND_CONNECT:
		sockaddr__read(r, buf, &off, in->p1, in->len, false);
		sock__read(r, fd__sock(in->fd));
		if (r->dport == 53) {
			__u64 key = (id & 0xffffffff00000000ull) | (__u32)in->fd;
			__u8 one = 1;
			bpf_map_update_elem(&dns_fds, &key, &one, BPF_ANY);
		}
		break;
	case GH_KIND_BIND:
		sockaddr__read(r, buf, &off, in->p1, in->len, true);
		sock__read(r, fd__sock(in->fd));
		break;
	case GH_KIND_ACCEPT:
		/* the new connection's socket holds both ends; the listening fd is in r->fd */
		if (ret >= 0)
			sock__read(r, fd__sock((int)ret));
		break;
	case GH_KIND_LISTEN:
		sock__read(r, fd__sock(in->fd));
		break;
	}
	record__submit(c, buf, off, GH_OP_NET, in->kind);
	return emit__done(id);
}

SEC("tracepoint")
int emit_net(struct trace_event_raw_sys_exit *ctx) { return net__emit(ctx->ret); }
#define NET_EXIT(name) EXIT(name) { bpf_tail_call(ctx, &emitters, EMIT_NET); return 0; }

static __always_inline int net__enter(struct trace_event_raw_sys_enter *ctx, __u16 kind, __u64 addr, __u32 alen)
{
	struct gh_inflight *in = inflight__new(kind, ctx->id);
	if (!in)
		return 0;
	in->fd = (int)ctx->args[0];
	in->p1 = addr;
	in->len = alen;
	return 0;
}

ENTER(connect) { return net__enter(ctx, GH_KIND_CONNECT, ctx->args[1], ctx->args[2]); }
NET_EXIT(connect)
ENTER(bind) { return net__enter(ctx, GH_KIND_BIND, ctx->args[1], ctx->args[2]); }
NET_EXIT(bind)
ENTER(listen) { return net__enter(ctx, GH_KIND_LISTEN, 0, 0); }
NET_EXIT(listen)
ENTER(accept) { return net__enter(ctx, GH_KIND_ACCEPT, 0, 0); }
NET_EXIT(accept)
ENTER(accept4) { return net__enter(ctx, GH_KIND_ACCEPT, 0, 0); }
NET_EXIT(accept4)

/* DNS: a message sent to port 53, taken at send time (no result needed). The destination is the
 * sendto/sendmsg address, or the connected peer of the socket (resolvers usually connect() a UDP socket
 * and then send()). The raw message goes out; the engine parses the question. */
static __always_inline int dns__emit(int fd, __u64 uaddr, __u64 data, __u64 dlen)
{
	struct gh_config *c = config__get();
	if (!filter__pass(c, GH_KIND_DNS))
		return 0;
	__u16 fam = 0, port = 0;
	__u8 daddr[16] = {};
	struct sock *sk = 0;
	if (uaddr) {
		struct sockaddr_in6 sa = {};
		bpf_probe_read_user(&sa, sizeof(sa), (void *)uaddr);
		fam = sa.sin6_family;
		port = bpf_ntohs(sa.sin6_port);
		if (fam == AF_INET_)
			__builtin_memcpy(daddr, (__u8 *)&sa + 4, 4);
		else
			__builtin_memcpy(daddr, &sa.sin6_addr, 16);
	} else {
		sk = fd__sock(fd);
		if (!sk)
			return 0;
		fam = BPF_CORE_READ(sk, __sk_common.skc_family);
		port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		if (fam == AF_INET_) {
			__u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);
			__builtin_memcpy(daddr, &d, 4);
		} else {
			BPF_CORE_READ_INTO(&daddr, sk, __sk_common.skc_v6_daddr);
		}
	}
	if (port != 53 || (fam != AF_INET_ && fam != AF_INET6_))
		return 0;
	if (!sk)
		sk = fd__sock(fd);
	__u8 *buf = scratch__get(0);
	if (!buf)
		return 0;
	struct gh_dns *r = (struct gh_dns *)buf;
	event__fill(&r->e, GH_KIND_DNS);
	r->family = fam;
	r->dport = port;
	r->fd = fd;
	__builtin_memcpy(r->daddr, daddr, 16);
	r->pad0 = 0;
	r->pad1 = 0;
	/* DNS over TCP carries a 2-byte length first */
	if (sk && sock__type(sk) == 1 /* SOCK_STREAM */ && dlen > 2) {
		data += 2;
		dlen -= 2;
	}
	__u32 n = dlen > GH_DNS_MAX ? GH_DNS_MAX : (__u32)dlen;
	if (dlen > GH_DNS_MAX)
		r->e.flags |= GH_F_TRUNCATED;
	__u64 n64 = n;
	BOUND(n64, 0x1ff);
	if (bpf_probe_read_user(buf + sizeof(*r), n64, (void *)data))
		n = 0;
	r->payload_len = n;
	record__submit(c, buf, sizeof(*r) + n, GH_OP_DNS, GH_KIND_DNS);
	return 0;
}

/* write() on a socket connected to port 53 (busybox and musl resolvers); verified against the socket. */
ENTER(write)
{
	__u64 key = (bpf_get_current_pid_tgid() & 0xffffffff00000000ull) | (__u32)ctx->args[0];
	if (!bpf_map_lookup_elem(&dns_fds, &key))
		return 0;
	return dns__emit((int)ctx->args[0], 0, ctx->args[1], ctx->args[2]);
}

ENTER(sendto) { return dns__emit((int)ctx->args[0], ctx->args[4], ctx->args[1], ctx->args[2]); }

ENTER(sendmsg)
{
	struct user_msghdr m = {};
	struct iovec iov = {};
	if (bpf_probe_read_user(&m, sizeof(m), (void *)ctx->args[1]) || !m.msg_iov)
		return 0;
	bpf_probe_read_user(&iov, sizeof(iov), m.msg_iov);
	return dns__emit((int)ctx->args[0], (__u64)m.msg_name, (__u64)iov.iov_base, iov.iov_len);
}

/* glibc's resolver sends the A and AAAA questions in one sendmmsg: report the first. */
ENTER(sendmmsg)
{
	struct user_msghdr m = {};
	struct iovec iov = {};
	if (bpf_probe_read_user(&m, sizeof(m), (void *)ctx->args[1]) || !m.msg_iov)
		return 0;
	bpf_probe_read_user(&iov, sizeof(iov), m.msg_iov);
	return dns__emit((int)ctx->args[0], (__u64)m.msg_name, (__u64)iov.iov_base, iov.iov_len);
}

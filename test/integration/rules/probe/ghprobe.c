/* ghprobe: acts out, on command, the behaviours busybox cannot (fileless exec, W+X memory, bpf(), capset,
 * ptrace attach, setuid(0), unix-socket connects), so the rule tests drive the real helper with real syscalls.
 * Built static in the integration test's setup (no libc in the test image); never committed as a binary. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int report(const char *what, long rc)
{
	printf("%s: %ld%s%s\n", what, rc, rc < 0 ? " " : "", rc < 0 ? strerror(errno) : "");
	return rc < 0 ? 1 : 0;
}

/* memfd_create, copy a program into it, execveat(AT_EMPTY_PATH): the kernel names the file "memfd:<name>". */
static int memfd_exec(const char *src, char **argv)
{
	int fd = (int)syscall(SYS_memfd_create, "payload", 0);
	if (fd < 0)
		return report("memfd_create", fd);
	int in = open(src, O_RDONLY);
	if (in < 0)
		return report("open", in);
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return report("write", -1);
	close(in);
	extern char **environ;
	syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
	return report("execveat", -1);
}

static int map_memory(int prot, int protect_after)
{
	void *p = mmap(NULL, 4096, protect_after ? PROT_READ | PROT_WRITE : prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return report("mmap", -1);
	if (protect_after)
		return report("mprotect", mprotect(p, 4096, prot));
	return report("mmap", 0);
}

static int bpf_map_create(void)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 4;
	a.max_entries = 1;
	return report("bpf(BPF_MAP_CREATE)", syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a)));
}

/* Drops CAP_NET_RAW from the effective and permitted sets: a real capset that changes capabilities. */
static int cap_drop(int only_read)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return report("capget", -1);
	if (only_read)
		return report("capget", 0);
	d[0].effective &= ~(1u << CAP_NET_RAW);
	d[0].permitted &= ~(1u << CAP_NET_RAW);
	return report("capset", syscall(SYS_capset, &h, d));
}

/* Forks a sleeping child and attaches to it (or the child asks to be traced: PTRACE_TRACEME). */
static int trace_child(int attach)
{
	pid_t child = fork();
	if (child == 0) {
		if (!attach)
			ptrace(PTRACE_TRACEME, 0, 0, 0);
		pause();
		_exit(0);
	}
	usleep(100000);
	int rc = 0;
	if (attach) {
		rc = report("ptrace(PTRACE_ATTACH)", ptrace(PTRACE_ATTACH, child, 0, 0));
		waitpid(child, NULL, 0);
		ptrace(PTRACE_DETACH, child, 0, 0);
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return rc;
}

static int connect_inet(const char *ip, int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	struct timeval tv = {1, 0};
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	report("connect", connect(s, (struct sockaddr *)&a, sizeof(a)));
	close(s);
	return 0;
}

static int connect_unix(const char *path)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strncpy(a.sun_path, path, sizeof(a.sun_path) - 1);
	report("connect(unix)", connect(s, (struct sockaddr *)&a, sizeof(a)));
	close(s);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	if (!strcmp(cmd, "memfd"))
		return report("memfd_create", syscall(SYS_memfd_create, "scratch", 0));
	if (!strcmp(cmd, "memfd-exec") && argc > 3)
		return memfd_exec(argv[2], argv + 3);
	if (!strcmp(cmd, "mmap-wx"))
		return map_memory(PROT_READ | PROT_WRITE | PROT_EXEC, 0);
	if (!strcmp(cmd, "mprotect-wx"))
		return map_memory(PROT_READ | PROT_WRITE | PROT_EXEC, 1);
	if (!strcmp(cmd, "mprotect-rx"))
		return map_memory(PROT_READ | PROT_EXEC, 1);
	if (!strcmp(cmd, "bpf"))
		return bpf_map_create();
	if (!strcmp(cmd, "capset"))
		return cap_drop(0);
	if (!strcmp(cmd, "capget"))
		return cap_drop(1);
	if (!strcmp(cmd, "ptrace-attach"))
		return trace_child(1);
	if (!strcmp(cmd, "ptrace-traceme"))
		return trace_child(0);
	if (!strcmp(cmd, "setuid") && argc > 2)
		return report("setuid", setuid((uid_t)atoi(argv[2])));
	if (!strcmp(cmd, "connect") && argc > 3)
		return connect_inet(argv[2], atoi(argv[3]));
	if (!strcmp(cmd, "connect-unix") && argc > 2)
		return connect_unix(argv[2]);
	if (!strcmp(cmd, "io_uring")) {
		unsigned char params[120] = {0}; /* struct io_uring_params, zeroed: the kernel fills it in */
		return report("io_uring_setup", syscall(SYS_io_uring_setup, 4, params));
	}
	fprintf(stderr, "usage: ghprobe memfd | memfd-exec FILE ARGV0 [ARG...] | mmap-wx | mprotect-wx | mprotect-rx | bpf |"
	                " capset | capget | ptrace-attach | ptrace-traceme | setuid UID | connect IP PORT | connect-unix PATH |"
	                " io_uring\n");
	return 2;
}

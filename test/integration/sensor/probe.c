/* A static test probe copied into busybox containers to perform what busybox cannot: exec of a memfd,
 * an executable anonymous mapping, a bare setuid, a mount attempt, a thread that writes a file and exits,
 * an io_uring ring.
 * Built by the sensor integration tests. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;

static void *writer(void *arg)
{
	(void)arg;
	int fd = open("/tmp/from-thread", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "memfd")) {
		int src = open("/bin/busybox", O_RDONLY);
		struct stat st;
		fstat(src, &st);
		int fd = memfd_create("gh-payload", MFD_CLOEXEC);
		off_t off = 0;
		while (off < st.st_size)
			if (sendfile(fd, src, &off, st.st_size - off) <= 0)
				return 3;
		char *args[] = {"true", NULL};
		fexecve(fd, args, environ);
		return 4;
	}
	if (!strcmp(argv[1], "mmapx")) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return p == MAP_FAILED ? 5 : 0;
	}
	if (!strcmp(argv[1], "setuid"))
		return setuid(65534) == 0 ? 0 : 6;
	if (!strcmp(argv[1], "thread")) {
		pthread_t t;
		if (pthread_create(&t, NULL, writer, NULL))
			return 8;
		pthread_join(t, NULL);
		return 0;
	}
	if (!strcmp(argv[1], "io_uring")) {
		unsigned char params[120] = {0}; /* struct io_uring_params: the kernel fills it in */
		return syscall(SYS_io_uring_setup, 8, params) >= 0 ? 0 : 9;
	}
	if (!strcmp(argv[1], "mount"))
		return mount("none", "/tmp", "tmpfs", 0, NULL) == 0 ? 0 : 7;
	return 2;
}

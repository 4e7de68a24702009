/* Benchmark workloads (static, copied into a busybox container): prints "cpu_us wall_us ops" for
 *   openclose N  - open(O_WRONLY|O_CREAT|O_TRUNC)+close: every operation is a captured event
 *   getppid N    - an untraced syscall, the cheapest there is (the worst case for a fixed per-syscall cost)
 *   pread N      - an untraced syscall doing typical work: pread of 4 KiB from a file in the page cache
 *   forkexec N   - fork + exec /bin/true + wait
 *   opens SECONDS - open+close as fast as possible for SECONDS (throughput driver)
 *   setuids SECONDS RATE - setuid(0) (a traced syscall) paced at RATE/s, 0 = as fast as possible
 *   setresuids SECONDS RATE - setresuid(-1,-1,-1): traced like setuid but a no-op for the kernel (~0.3 us
 *                 against ~2.5 us for setuid(0), which commits new credentials), so producers outrun the consumer */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000ll + t.tv_nsec / 1000;
}

static long long cpu_us(void)
{
	struct rusage a, b;
	getrusage(RUSAGE_SELF, &a);
	getrusage(RUSAGE_CHILDREN, &b);
	return (a.ru_utime.tv_sec + a.ru_stime.tv_sec + b.ru_utime.tv_sec + b.ru_stime.tv_sec) * 1000000ll +
	       a.ru_utime.tv_usec + a.ru_stime.tv_usec + b.ru_utime.tv_usec + b.ru_stime.tv_usec;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	long n = atol(argv[2]);
	long long w0 = now_us(), c0 = cpu_us();
	long ops = 0;
	if (!strcmp(argv[1], "openclose")) {
		for (long i = 0; i < n; i++) {
			int fd = open("/tmp/bench-file", O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd >= 0)
				close(fd);
		}
		ops = n;
	} else if (!strcmp(argv[1], "getppid")) {
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
		ops = n;
	} else if (!strcmp(argv[1], "pread")) {
		static char buf[4096];
		int fd = open("/tmp/bench-read", O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf))
			return 1;
		w0 = now_us(), c0 = cpu_us(); /* the setup's open-for-write is an event: keep it out of the figure */
		for (long i = 0; i < n; i++)
			if (pread(fd, buf, sizeof(buf), 0) != sizeof(buf))
				return 1;
		close(fd);
		ops = n;
	} else if (!strcmp(argv[1], "forkexec")) {
		for (long i = 0; i < n; i++) {
			pid_t p = fork();
			if (p == 0) {
				execl("/bin/true", "true", (char *)NULL);
				_exit(127);
			}
			waitpid(p, NULL, 0);
		}
		ops = n;
	} else if (!strcmp(argv[1], "opens")) {
		long long end = w0 + n * 1000000ll;
		while (now_us() < end) {
			for (int i = 0; i < 1000; i++) {
				int fd = open("/tmp/bench-file", O_WRONLY | O_CREAT | O_TRUNC, 0644);
				if (fd >= 0)
					close(fd);
			}
			ops += 1000;
		}
	} else if (!strcmp(argv[1], "setuids") || !strcmp(argv[1], "setresuids")) {
		int noop = !strcmp(argv[1], "setresuids");
		long rate = argc > 3 ? atol(argv[3]) : 0;
		long long end = w0 + n * 1000000ll;
		for (long long t = now_us(); t < end; t = now_us()) {
			if (rate && ops >= (t - w0) * rate / 1000000) {
				struct timespec ts = {0, 20000};
				nanosleep(&ts, NULL);
				continue;
			}
			if (noop)
				for (int i = 0; i < 100; i++)
					syscall(SYS_setresuid, -1, -1, -1);
			else
				for (int i = 0; i < 100; i++)
					syscall(SYS_setuid, 0);
			ops += 100;
		}
	} else {
		return 2;
	}
	printf("%lld %lld %ld\n", cpu_us() - c0, now_us() - w0, ops);
	return 0;
}

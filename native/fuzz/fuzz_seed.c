/* libFuzzer harness: the record builder that reads /proc (seed__one → GH_OP_SEED) and the cgroup-line parser
 * (proc__cgroup_path), fed crafted /proc files. Input: up to six parts, each [len u16 LE][bytes]: stat, status,
 * cmdline, exe link target, cwd link target, cgroup. stubs.c checks the SEED frame (sizes of its parts, argc).
 * Build: make -C native fuzz. */
#define _GNU_SOURCE /* nftw in stubs.c */
#include "../src/watch.c"
#include "stubs.c"

#define PID 500
static char dir_[400];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fake_host();
	atexit(fake_host_remove);
	snprintf(dir_, sizeof(dir_), "%s/%d", fake_proc_, PID);
	mkdirs(dir_);
	return 0;
}

static void part(const char *name, const unsigned char *d, size_t n, bool link_)
{
	char p[500], t[4200];
	snprintf(p, sizeof(p), "%s/%s", dir_, name);
	unlink(p);
	if (!link_) {
		put(p, (const char *)d, n);
		return;
	}
	/* a link target is a C string; an empty one cannot be made (readlink then fails, as for a kernel thread) */
	size_t l = strnlen((const char *)d, n < sizeof(t) - 1 ? n : sizeof(t) - 1);
	memcpy(t, d, l);
	t[l] = 0;
	if (l)
		CHECK(symlink(t, p) == 0 || errno == ENAMETOOLONG, "symlink %s: %s", p, strerror(errno));
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char *names[6] = {"stat", "status", "cmdline", "exe", "cwd", "cgroup"};
	size_t i = 0;
	for (int k = 0; k < 6; k++) {
		size_t n = 0;
		if (i + 2 <= size) {
			n = data[i] | (size_t)data[i + 1] << 8;
			i += 2;
		}
		if (n > size - i)
			n = size - i;
		part(names[k], data + i, n, k == 3 || k == 4);
		i += n;
	}
	unsigned long before = seeds_;
	seed__one(PID, 1, 7);
	CHECK(seeds_ <= before + 1, "more than one seed for one process");
	char path[256];
	if (proc__cgroup_path(PID, path, sizeof(path)) == 0)
		CHECK(strlen(path) < sizeof(path), "cgroup path");
	return 0;
}

/* libFuzzer harness: the helper's control input (ctl__drain → ctl__handle: WATCH/UNWATCH/KINDS/PREFIXES/HOST/ADMIT)
 * interleaved with the kernel's cgroup records (cgroup__on_record), against a fake /proc and cgroup v2 tree.
 * Input: a flags byte (bit 0: cgroup v2 host, else pure v1 / mount namespaces; bit 1: started with --host), then
 * segments [tag][len u16 LE][bytes]: an even tag appends the bytes to the control stream (read() as the helper
 * does, into its 64 KiB buffer) and drains it; an odd tag hands them to cgroup__on_record as one ring record.
 * stubs.c checks every frame sent and every map write. Build: make -C native fuzz. */
#define _GNU_SOURCE /* nftw in stubs.c */
#include "../src/watch.c"
#include "stubs.c"

static unsigned char ctl_buf[GH_CTL_BUF] __attribute__((aligned(8)));

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fake_host();
	atexit(fake_host_remove);
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static __u64 rec[GH_MAX_FRAME / 8];
	if (size < 1)
		return 0;
	memset(watches, 0, sizeof(watches));
	maps__reset();
	g.watched = g.mntns_count = 0;
	g.trace_all = false;
	g.host_allowed = data[0] & 2;
	g.kinds = ~0ull;
	if (data[0] & 1)
		snprintf(g.cg2_root, sizeof(g.cg2_root), "%s", fake_cg_);
	else
		g.cg2_root[0] = 0;
	size_t have = 0, i = 1;
	while (i + 3 <= size) {
		unsigned tag = data[i];
		size_t n = data[i + 1] | (size_t)data[i + 2] << 8;
		i += 3;
		if (n > size - i)
			n = size - i;
		if (tag & 1) {
			size_t l = n < sizeof(rec) ? n : sizeof(rec);
			memcpy(rec, data + i, l);
			/* on_event (main.c): the record's own len, bounded by what the ring delivered */
			__u32 fl = l >= sizeof(struct gh_frame) ? ((struct gh_frame *)rec)->len : 0;
			cgroup__on_record((const struct gh_cgroup *)rec, fl <= l ? fl : l);
		} else {
			size_t room = sizeof(ctl_buf) - have, l = n < room ? n : room;
			memcpy(ctl_buf + have, data + i, l);
			have += l;
			size_t pos = ctl__drain(ctl_buf, have);
			CHECK(pos <= have, "drained %zu of %zu", pos, have);
			memmove(ctl_buf, ctl_buf + pos, have - pos);
			have -= pos;
			CHECK(have < sizeof(ctl_buf), "the control buffer is full and nothing drains it");
		}
		i += n;
		int used = 0;
		for (int k = 0; k < MAX_WATCH; k++)
			used += watches[k].used;
		CHECK((int)g.watched == used, "g.watched %u, %d slots used", g.watched, used);
		CHECK(!g.trace_all || g.host_allowed, "host mode on without --host");
	}
	return 0;
}

/* Shared declarations of the helper's user-space parts: output queue, control, watch/seed, stats. */
#ifndef GH_HELPER_H
#define GH_HELPER_H
#include <stdbool.h>
#include <stddef.h>
#include "wire.h"

struct glasshouse_bpf;

struct gh_state {
	struct glasshouse_bpf *skel;
	int out_fd;
	const char *proc_root;   /* /proc of the host pid namespace */
	char cg2_root[256];      /* cgroup v2 mount (hybrid: .../unified), "" when none */
	__u64 unsupported;       /* kinds whose hooks could not attach */
	__u64 kinds;
	__u32 ring_bytes;
	__s64 boot_to_realtime_ns;
	__u64 queue_drops;
	__u64 frames_out;
	__u64 bytes_out;
	__u32 watched;
	__u32 mntns_count;
	bool trace_all;
	bool host_allowed; /* --host on the command line: only then may a client turn host mode on */
};

extern struct gh_state g;

/* output.c: a bounded queue in front of a non-blocking fd; the ring-buffer reader never blocks. */
void out__init(int fd, size_t bytes);
/* Queue a complete frame (header included); events may be dropped (counted), control frames not. */
bool out__frame(void *frame, __u32 len, bool droppable);
void out__flush(void);
size_t out__pending(void);
void frame__init(struct gh_frame *f, __u16 op, __u32 len);
void log__send(int level, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* watch.c */
int cgroup__detect(const char *root, char *out, size_t n);
void ctl__handle(const struct gh_frame *f);
/* The control input buffer: a frame claiming more than this is not one. */
#define GH_CTL_BUF 65536
/* Handles the complete control frames at the start of buf[0, have); a byte that starts no plausible header is
 * skipped until the next magic, and the bytes skipped are named in one GH_LOG warning per call. Returns the bytes
 * consumed (the rest is the start of an incomplete frame). */
size_t ctl__drain(const unsigned char *buf, size_t have);
void cgroup__on_record(const struct gh_cgroup *r, size_t len);
void config__push(void);
int seed__container(__u64 cgid, __u32 mntns, const char *cg_path);

double now__boot_ns(void);
#endif

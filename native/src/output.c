/* Framed output: one contiguous queue drained with non-blocking writes, so a slow engine costs queue
 * drops (counted in gh_stats.queue_drops), never a stalled ring-buffer reader. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "helper.h"

static unsigned char *q;
static size_t q_cap, q_head, q_tail; /* pending bytes are q[q_head, q_tail) */
static __u32 seq;
#define CONTROL_RESERVE (64 * 1024) /* room kept for hello/stats/watched/log frames */

void out__init(int fd, size_t bytes)
{
	g.out_fd = fd;
	q_cap = bytes;
	q = malloc(q_cap);
	if (!q) {
		fprintf(stderr, "glasshouse-helper: cannot allocate %zu bytes of output queue\n", bytes);
		exit(1);
	}
}

size_t out__pending(void) { return q_tail - q_head; }

void frame__init(struct gh_frame *f, __u16 op, __u32 len)
{
	f->magic = GH_MAGIC;
	f->len = len;
	f->schema = GH_SCHEMA_VERSION;
	f->op = op;
	f->seq = 0;
}

bool out__frame(void *frame, __u32 len, bool droppable)
{
	if (q_head == q_tail)
		q_head = q_tail = 0;
	if (q_tail + len > q_cap && q_head > 0) { /* compact */
		memmove(q, q + q_head, q_tail - q_head);
		q_tail -= q_head;
		q_head = 0;
	}
	size_t limit = droppable ? q_cap - CONTROL_RESERVE : q_cap;
	if (q_tail + len > limit) {
		out__flush();
		if (q_head == q_tail)
			q_head = q_tail = 0;
		if (q_tail + len > limit) {
			g.queue_drops++;
			seq++; /* the seq jump tells the engine frames are missing here */
			return false;
		}
	}
	/* the seq is set in the queue copy: ring-buffer pages are mapped read-only */
	memcpy(q + q_tail, frame, len);
	((struct gh_frame *)(q + q_tail))->seq = seq++;
	q_tail += len;
	g.frames_out++;
	g.bytes_out += len;
	return true;
}

void out__flush(void)
{
	while (q_head < q_tail) {
		ssize_t n = write(g.out_fd, q + q_head, q_tail - q_head);
		if (n > 0) {
			q_head += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 && errno == EPIPE) {
			/* the engine is gone: nothing left to do */
			exit(0);
		}
		return;
	}
	q_head = q_tail = 0;
}

void log__send(int level, int code, const char *fmt, ...)
{
	struct {
		struct gh_log l;
		char msg[512];
	} m;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(m.msg, sizeof(m.msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n >= (int)sizeof(m.msg))
		n = sizeof(m.msg) - 1;
	fprintf(stderr, "glasshouse-helper: %s\n", m.msg);
	memset(&m.l, 0, sizeof(m.l));
	m.l.level = level;
	m.l.code = code;
	m.l.msg_len = n;
	frame__init(&m.l.h, GH_OP_LOG, sizeof(m.l) + n);
	out__frame(&m, sizeof(m.l) + n, false);
}

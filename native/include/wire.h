/* Glasshouse helper wire format: the only contract between the C helper and the TypeScript engine.
 *
 * A stream is a sequence of frames. Each frame is a 16-byte gh_frame header followed by a fixed record
 * struct (named by the op code) and then, for records that carry strings, the string bytes in the order
 * of the record's *_len fields (not NUL-terminated). All integers are little-endian (the helper runs on
 * the host; x86_64 and arm64 are both LE).
 *
 * Rules (see native/README.md "Schema bump rules"):
 *  - append-only: never reorder, resize or reuse a field or an op code; a changed record gets a new op;
 *  - every change bumps GH_SCHEMA_VERSION;
 *  - build/wire-check.test.ts compiles a probe of this file and fails CI if the TypeScript mirror in
 *    electron/common/schema/wire.ts disagrees on any size, offset, op code or kind number.
 *
 * This header is included by the BPF programs (vmlinux.h types), by the loader (stdint.h) and by the
 * drift probe, so it only uses the __u* names (from vmlinux.h or linux/types.h). */
#ifndef GLASSHOUSE_WIRE_H
#define GLASSHOUSE_WIRE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define GH_SCHEMA_VERSION 4
/* "GHS1" read as a little-endian u32: the resynchronisation anchor of every frame. */
#define GH_MAGIC 0x31534847u
/* No valid frame is larger; a header claiming more is corrupt. */
#define GH_MAX_FRAME 16384

/* ---- op codes: helper -> engine ---- */
#define GH_OP_HELLO   1  /* first frame of every helper run */
#define GH_OP_STATS   2  /* once a second */
#define GH_OP_WATCHED 3  /* answer to GH_CTL_WATCH / GH_CTL_UNWATCH */
#define GH_OP_SEED    4  /* a process that existed before it was watched (from /proc) */
#define GH_OP_LOG     5  /* a sentence from the helper (level + code) */
#define GH_OP_BYE     6  /* last frame of a run (schema 2): the stream ends here, the helper exits after detaching */
#define GH_OP_CGROUP  7  /* (schema 4) a container cgroup was created and admitted, or a watched one was removed */
#define GH_OP_EXEC    16
#define GH_OP_FORK    17
#define GH_OP_EXIT    18
#define GH_OP_FILE    19 /* open unlink rename chmod chown mkdir link symlink mount umount chroot */
#define GH_OP_NET     20 /* connect accept bind listen */
#define GH_OP_DNS     21 /* a datagram sent to port 53: raw DNS payload, parsed by the engine */
#define GH_OP_PRIV    22 /* setuid setgid capset ptrace module bpf unshare setns memfd mprotect mmap */

/* ---- op codes: engine -> helper (control, on the helper's stdin or socket) ---- */
#define GH_CTL_WATCH    64
#define GH_CTL_UNWATCH  65
#define GH_CTL_KINDS    66
#define GH_CTL_PREFIXES 67
#define GH_CTL_HOST     68
#define GH_CTL_ADMIT    69 /* (schema 4) cgroup path prefixes whose new container cgroups are traced from creation */

/* ---- event kinds: the index of each name in EVENT_KINDS (electron/common/model/event.ts) ---- */
#define GH_KIND_EXEC     0
#define GH_KIND_FORK     1
#define GH_KIND_EXIT     2
#define GH_KIND_OPEN     3
#define GH_KIND_UNLINK   4
#define GH_KIND_RENAME   5
#define GH_KIND_CHMOD    6
#define GH_KIND_CHOWN    7
#define GH_KIND_MKDIR    8
#define GH_KIND_LINK     9
#define GH_KIND_SYMLINK  10
#define GH_KIND_MOUNT    11
#define GH_KIND_UMOUNT   12
#define GH_KIND_CONNECT  13
#define GH_KIND_ACCEPT   14
#define GH_KIND_BIND     15
#define GH_KIND_LISTEN   16
#define GH_KIND_DNS      17
#define GH_KIND_SETUID   18
#define GH_KIND_SETGID   19
#define GH_KIND_CAPSET   20
#define GH_KIND_PTRACE   21
#define GH_KIND_MODULE   22
#define GH_KIND_BPF      23
#define GH_KIND_UNSHARE  24
#define GH_KIND_SETNS    25
#define GH_KIND_CHROOT   26
#define GH_KIND_MEMFD    27
#define GH_KIND_MPROTECT 28
#define GH_KIND_MMAP     29
#define GH_KIND_IO_URING 30 /* io_uring_setup: an instance whose operations bypass the syscall hooks */
#define GH_KIND_COUNT    31
#define GH_KIND_SLOTS    32 /* per-kind counter arrays are this long */

/* gh_event.flags */
#define GH_F_TRUNCATED   0x1 /* a string or argv was cut at its bound */
#define GH_F_MEMFD       0x2 /* exec of a memfd (fileless) */
#define GH_F_THREAD      0x4 /* fork created a thread / exit of a thread */
#define GH_F_CWD_REVERSED 0x8 /* cwd is "leaf/.../top/" (kernel dentry walk); the engine reverses it */
#define GH_F_CWD_PARTIAL 0x10 /* the dentry walk hit its depth bound */
#define GH_F_ABSTRACT    0x20 /* unix socket path is in the abstract namespace (shown with a leading @) */
#define GH_F_READ        0x40 /* open for reading, reported because it matched a sensitive prefix */

/* gh_log.level */
#define GH_LOG_INFO  0
#define GH_LOG_WARN  1
#define GH_LOG_ERROR 2

/* gh_watched.status: 0 = watched, else a negative errno (-ENOENT: no cgroup for that container) */

struct gh_frame {
	__u32 magic;  /* GH_MAGIC */
	__u32 len;    /* whole frame in bytes, header included */
	__u16 schema; /* GH_SCHEMA_VERSION of the writer */
	__u16 op;     /* GH_OP_* / GH_CTL_* */
	__u32 seq;    /* per-stream frame counter set by the writer; a jump means frames were dropped */
};

/* Common part of every kernel event (and of a seed). */
struct gh_event {
	__u64 ts_ns;     /* CLOCK_BOOTTIME ns; add gh_hello.boot_to_realtime_ns for wall time */
	__u64 cgroup_id; /* cgroup v2 inode id of the task */
	__u32 pid;       /* kernel pid = thread id */
	__u32 tgid;      /* kernel tgid = process id */
	__u32 ppid;      /* tgid of real_parent */
	__u32 uid;
	__u32 gid;
	__u32 mntns;     /* mount namespace inode number */
	__u16 kind;      /* GH_KIND_* */
	__u16 flags;     /* GH_F_* */
	__s32 ret;       /* syscall result (or 0 for sched events) */
	char comm[16];
};

struct gh_hello {
	struct gh_frame h;
	__s64 boot_to_realtime_ns; /* CLOCK_REALTIME - CLOCK_BOOTTIME at start */
	__u64 unsupported_kinds;   /* bit per GH_KIND_*: hook could not attach on this kernel */
	__u64 enabled_kinds;
	__u32 helper_pid;          /* in the helper's pid namespace (host pid with --pid=host) */
	__u32 ring_bytes;
	char version[32];
	char kernel[64];           /* uname release */
};

struct gh_stats {
	struct gh_frame h;
	__u64 ts_ns;                 /* CLOCK_BOOTTIME */
	__s64 boot_to_realtime_ns;   /* re-sent so wall-clock steps are followed */
	__u64 events[GH_KIND_SLOTS]; /* emitted by the kernel since start, per kind */
	__u64 ring_drops;            /* kernel could not reserve ring-buffer space */
	__u64 queue_drops;           /* helper output queue full (engine too slow) */
	__u64 cpu_user_us;           /* helper process CPU time */
	__u64 cpu_sys_us;
	__u64 rss_kb;
	__u64 unsupported_kinds;
	__u64 frames_out;
	__u64 bytes_out;
	__u32 watched;               /* watched cgroups + mount namespaces */
	__u32 ring_bytes;
};

struct gh_watched {
	struct gh_frame h;
	char container_id[64];
	__u64 cgroup_id; /* 0 when not found */
	__u32 mntns;     /* 0 when not used */
	__s32 status;    /* 0 or -errno */
	__u32 pid;       /* the pid the engine gave (container init) */
	__u32 watching;  /* 1 after WATCH, 0 after UNWATCH */
};

/* A process that already ran when the watch began. Strings: exe, argv (NUL-separated), cwd. */
struct gh_seed {
	struct gh_frame h;
	struct gh_event e;  /* kind = GH_KIND_EXEC, ret = 0 */
	__u64 start_ns;     /* CLOCK_BOOTTIME start time from /proc/<pid>/stat */
	__u16 exe_len;
	__u16 argv_len;
	__u16 cwd_len;
	__u16 argc;
};

/* The helper is done: nothing follows. It is sent before the kernel detaches the hooks (seconds), so the
 * engine need not wait for the process or the container to exit. */
struct gh_bye {
	struct gh_frame h;
	__u32 reason; /* GH_BYE_* */
	__u32 pad0;
};
#define GH_BYE_EOF    0 /* the control channel (stdin or socket) closed */
#define GH_BYE_SIGNAL 1 /* SIGTERM or SIGINT */

/* A container's cgroup, seen by the kernel when it was created (cgroup_mkdir) or removed (cgroup_rmdir).
 * ADMITTED: its path is <an admit prefix><64-hex id>[.suffix]; the kernel put it in the watch filter at once,
 * so everything from runc init on is traced; the engine attributes and confirms or unwatches it. REMOVED: a
 * watched cgroup went away (the kernel dropped it from the filter). Strings: path (cgroup v2, from its root). */
struct gh_cgroup {
	struct gh_frame h;
	__u64 ts_ns;
	__u64 cgroup_id;
	char container_id[64]; /* the 64-hex id from the path; all zero when the path does not name one */
	__u32 event;           /* GH_CGROUP_* */
	__u16 path_len;
	__u16 pad0;
};
#define GH_CGROUP_ADMITTED 1
#define GH_CGROUP_REMOVED  2

/* Strings: msg. */
struct gh_log {
	struct gh_frame h;
	__s32 level;
	__s32 code;  /* errno-like detail, 0 if none */
	__u16 msg_len;
	__u16 pad0;
	__u32 pad1;
};

/* Strings: filename, argv (NUL-separated), cwd. */
struct gh_exec {
	struct gh_frame h;
	struct gh_event e;
	__u16 filename_len;
	__u16 argv_len;
	__u16 cwd_len;
	__u16 argc;
};

struct gh_fork {
	struct gh_frame h;
	struct gh_event e; /* the parent */
	__u32 child_pid;
	__u32 child_tgid;
};

struct gh_exit {
	struct gh_frame h;
	struct gh_event e;
	__s32 code;   /* exit status when not signalled */
	__s32 signal; /* terminating signal, 0 if none */
};

/* Strings: path, path2 (rename/link/symlink new path, mount source), aux (mount fstype), cwd (only when
 * path is relative to the cwd). fd/dirfd are raw arguments (-100 = AT_FDCWD). */
struct gh_file {
	struct gh_frame h;
	struct gh_event e;
	__s32 dirfd;
	__s32 fd;     /* fchmod/fchown: the fd; -1 otherwise */
	__u32 flags;  /* open flags, mount flags, umount flags */
	__u32 mode;   /* open/mkdir/chmod mode */
	__u32 owner;  /* chown */
	__u32 group;
	__u16 path_len;
	__u16 path2_len;
	__u16 aux_len;
	__u16 cwd_len;
};

/* Strings: unix path. Addresses are in network byte order, ports in host order. */
struct gh_net {
	struct gh_frame h;
	struct gh_event e;
	__u16 family;    /* AF_INET 2, AF_INET6 10, AF_UNIX 1 */
	__u16 type;      /* SOCK_STREAM 1, SOCK_DGRAM 2 (from the socket), 0 if unknown */
	__u16 sport;
	__u16 dport;
	__s32 fd;
	__u16 unix_len;
	__u16 pad0;
	__u8 saddr[16];
	__u8 daddr[16];
};

/* Strings: payload (the DNS message as sent, bounded). */
struct gh_dns {
	struct gh_frame h;
	struct gh_event e;
	__u16 family;
	__u16 dport;
	__s32 fd;
	__u8 daddr[16];
	__u16 payload_len;
	__u16 pad0;
	__u32 pad1;
};

/* Strings: str (memfd name, module name). args[] per kind:
 *   setuid/setgid family: ids (up to 3; unused = 0xffffffff), syscall number in sysnr
 *   capset: effective, permitted, inheritable (low 32 bits each word pair: lo | hi<<32)
 *   ptrace: request, target pid      bpf: cmd      unshare/setns: flags (setns: fd, nstype)
 *   memfd: flags                      mprotect/mmap: addr, len, prot, flags  module: flags */
struct gh_priv {
	struct gh_frame h;
	struct gh_event e;
	__u32 sysnr;   /* x86_64/arm64 syscall number from the tracepoint */
	__u16 str_len;
	__u16 pad0;
	__u64 args[4];
};

/* ---- control records (engine -> helper) ---- */
struct gh_ctl_watch { /* GH_CTL_WATCH and GH_CTL_UNWATCH */
	struct gh_frame h;
	char container_id[64];
	__u32 pid;  /* container init pid in the host pid namespace, 0 if unknown */
	__u32 pad0;
};

struct gh_ctl_kinds {
	struct gh_frame h;
	__u64 mask; /* bit per GH_KIND_* */
};

#define GH_PREFIX_MAX 8
#define GH_PREFIX_LEN 64
struct gh_ctl_prefixes {
	struct gh_frame h;
	__u32 count;
	__u32 pad0;
	char prefix[GH_PREFIX_MAX][GH_PREFIX_LEN]; /* NUL-terminated */
};

struct gh_ctl_host {
	struct gh_frame h;
	__u32 on;
	__u32 pad0;
};

/* Prefixes of container cgroup paths (cgroup v2, from its root), e.g. "/docker/" (cgroupfs driver) or
 * "/system.slice/docker-" (systemd driver). count 0 turns admission off. */
#define GH_ADMIT_MAX 4
struct gh_ctl_admit {
	struct gh_frame h;
	__u32 count;
	__u32 pad0;
	char prefix[GH_ADMIT_MAX][GH_PREFIX_LEN]; /* NUL-terminated */
};

/* Bounds of the variable parts (kernel side). */
#define GH_PATH_MAX 256
#define GH_ARGV_MAX 1024
#define GH_CWD_DEPTH 16
#define GH_DNS_MAX 256

#endif

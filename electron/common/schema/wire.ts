// TypeScript mirror of native/include/wire.h: constants, op codes, kinds and the byte layout of every
// record. The decoder reads offsets from LAYOUT, and build/wire-check.test.ts compares LAYOUT with the
// compiled C structs, so a drift between the two fails CI instead of corrupting a recording.
import { EVENT_KINDS, KIND_CODE } from '../model/event';

export const SCHEMA_VERSION = 4;
export const MAGIC = 0x31534847; // "GHS1" little-endian
export const MAX_FRAME = 16384;
export const FRAME_HEADER_BYTES = 16;
export const PREFIX_MAX = 8;
export const PREFIX_LEN = 64;
export const ADMIT_MAX = 4;

/** Op codes, named as in wire.h without the GH_ prefix (OP_* helper→engine, CTL_* engine→helper). */
export const OP = {
  OP_HELLO: 1,
  OP_STATS: 2,
  OP_WATCHED: 3,
  OP_SEED: 4,
  OP_LOG: 5,
  OP_BYE: 6,
  OP_CGROUP: 7,
  OP_EXEC: 16,
  OP_FORK: 17,
  OP_EXIT: 18,
  OP_FILE: 19,
  OP_NET: 20,
  OP_DNS: 21,
  OP_PRIV: 22,
  CTL_WATCH: 64,
  CTL_UNWATCH: 65,
  CTL_KINDS: 66,
  CTL_PREFIXES: 67,
  CTL_HOST: 68,
  CTL_ADMIT: 69,
} as const;

/** GH_KIND_<NAME> = KIND_CODE (model/event.ts: the index in EVENT_KINDS; the drift check proves it). */
export { KIND_CODE };
export const KIND_COUNT = EVENT_KINDS.length; // GH_KIND_COUNT (the drift check compares)
export const KIND_SLOTS = 32;

export const FLAG = {
  F_TRUNCATED: 0x1,
  F_MEMFD: 0x2,
  F_THREAD: 0x4,
  F_CWD_REVERSED: 0x8,
  F_CWD_PARTIAL: 0x10,
  F_ABSTRACT: 0x20,
  F_READ: 0x40,
} as const;

export const LOG_LEVEL = { LOG_INFO: 0, LOG_WARN: 1, LOG_ERROR: 2 } as const;

/** gh_bye.reason */
export const BYE_REASON = { BYE_EOF: 0, BYE_SIGNAL: 1 } as const;

/** gh_cgroup.event */
export const CGROUP_EVENT = { CGROUP_ADMITTED: 1, CGROUP_REMOVED: 2 } as const;

export interface StructLayout {
  size: number;
  /** Byte offset of each field from the start of the struct (arrays: offset of element 0). */
  fields: Record<string, number>;
}

/** Every struct of wire.h; record structs start with gh_frame at 0 (and gh_event at 16 for events). */
export const LAYOUT = {
  gh_frame: { size: 16, fields: { magic: 0, len: 4, schema: 8, op: 10, seq: 12 } },
  gh_event: {
    size: 64,
    fields: { ts_ns: 0, cgroup_id: 8, pid: 16, tgid: 20, ppid: 24, uid: 28, gid: 32, mntns: 36, kind: 40, flags: 42, ret: 44, comm: 48 },
  },
  gh_hello: {
    size: 144,
    fields: { h: 0, boot_to_realtime_ns: 16, unsupported_kinds: 24, enabled_kinds: 32, helper_pid: 40, ring_bytes: 44, version: 48, kernel: 80 },
  },
  gh_stats: {
    size: 360,
    fields: {
      h: 0, ts_ns: 16, boot_to_realtime_ns: 24, events: 32, ring_drops: 288, queue_drops: 296, cpu_user_us: 304, cpu_sys_us: 312,
      rss_kb: 320, unsupported_kinds: 328, frames_out: 336, bytes_out: 344, watched: 352, ring_bytes: 356,
    },
  },
  gh_watched: { size: 104, fields: { h: 0, container_id: 16, cgroup_id: 80, mntns: 88, status: 92, pid: 96, watching: 100 } },
  gh_seed: { size: 96, fields: { h: 0, e: 16, start_ns: 80, exe_len: 88, argv_len: 90, cwd_len: 92, argc: 94 } },
  gh_bye: { size: 24, fields: { h: 0, reason: 16 } },
  gh_cgroup: { size: 104, fields: { h: 0, ts_ns: 16, cgroup_id: 24, container_id: 32, event: 96, path_len: 100 } },
  gh_log: { size: 32, fields: { h: 0, level: 16, code: 20, msg_len: 24 } },
  gh_exec: { size: 88, fields: { h: 0, e: 16, filename_len: 80, argv_len: 82, cwd_len: 84, argc: 86 } },
  gh_fork: { size: 88, fields: { h: 0, e: 16, child_pid: 80, child_tgid: 84 } },
  gh_exit: { size: 88, fields: { h: 0, e: 16, code: 80, signal: 84 } },
  gh_file: {
    size: 112,
    fields: { h: 0, e: 16, dirfd: 80, fd: 84, flags: 88, mode: 92, owner: 96, group: 100, path_len: 104, path2_len: 106, aux_len: 108, cwd_len: 110 },
  },
  gh_net: {
    size: 128,
    fields: { h: 0, e: 16, family: 80, type: 82, sport: 84, dport: 86, fd: 88, unix_len: 92, saddr: 96, daddr: 112 },
  },
  gh_dns: { size: 112, fields: { h: 0, e: 16, family: 80, dport: 82, fd: 84, daddr: 88, payload_len: 104 } },
  gh_priv: { size: 120, fields: { h: 0, e: 16, sysnr: 80, str_len: 84, args: 88 } },
  gh_ctl_watch: { size: 88, fields: { h: 0, container_id: 16, pid: 80 } },
  gh_ctl_kinds: { size: 24, fields: { h: 0, mask: 16 } },
  gh_ctl_prefixes: { size: 536, fields: { h: 0, count: 16, prefix: 24 } },
  gh_ctl_host: { size: 24, fields: { h: 0, on: 16 } },
  gh_ctl_admit: { size: 280, fields: { h: 0, count: 16, prefix: 24 } },
} as const satisfies Record<string, StructLayout>;

export type StructName = keyof typeof LAYOUT;

/** The fixed part of each helper→engine op: a frame shorter than this is corrupt. */
export const OP_STRUCT: Readonly<Record<number, StructName>> = {
  [OP.OP_HELLO]: 'gh_hello',
  [OP.OP_STATS]: 'gh_stats',
  [OP.OP_WATCHED]: 'gh_watched',
  [OP.OP_SEED]: 'gh_seed',
  [OP.OP_LOG]: 'gh_log',
  [OP.OP_BYE]: 'gh_bye',
  [OP.OP_CGROUP]: 'gh_cgroup',
  [OP.OP_EXEC]: 'gh_exec',
  [OP.OP_FORK]: 'gh_fork',
  [OP.OP_EXIT]: 'gh_exit',
  [OP.OP_FILE]: 'gh_file',
  [OP.OP_NET]: 'gh_net',
  [OP.OP_DNS]: 'gh_dns',
  [OP.OP_PRIV]: 'gh_priv',
  [OP.CTL_WATCH]: 'gh_ctl_watch',
  [OP.CTL_UNWATCH]: 'gh_ctl_watch',
  [OP.CTL_KINDS]: 'gh_ctl_kinds',
  [OP.CTL_PREFIXES]: 'gh_ctl_prefixes',
  [OP.CTL_HOST]: 'gh_ctl_host',
  [OP.CTL_ADMIT]: 'gh_ctl_admit',
};

/** Scalar constants checked against their #define. */
export const CONSTANTS = {
  GH_SCHEMA_VERSION: SCHEMA_VERSION,
  GH_MAGIC: MAGIC,
  GH_MAX_FRAME: MAX_FRAME,
  GH_KIND_COUNT: KIND_COUNT,
  GH_KIND_SLOTS: KIND_SLOTS,
  GH_PREFIX_MAX: PREFIX_MAX,
  GH_PREFIX_LEN: PREFIX_LEN,
  GH_ADMIT_MAX: ADMIT_MAX,
} as const;

/** x86_64 syscall numbers of the set-id family (gh_priv.sysnr), for naming the call. */
export const SETID_SYSCALLS: Readonly<Record<number, string>> = {
  105: 'setuid', 106: 'setgid', 113: 'setreuid', 114: 'setregid', 117: 'setresuid', 119: 'setresgid',
  122: 'setfsuid', 123: 'setfsgid',
  // arm64 (generic table)
  146: 'setuid', 144: 'setgid', 145: 'setreuid', 143: 'setregid', 147: 'setresuid', 149: 'setresgid',
  151: 'setfsuid', 152: 'setfsgid',
};

// SPDX-License-Identifier: GPL-2.0
/* The one BPF object of the helper (one skeleton, one load): the hook families live in their own files
 * and share the maps and builders of common.bpf.h. CO-RE: built against vmlinux.h, relocated at load. */
#include "common.bpf.h"
#include "process.bpf.c"
#include "file.bpf.c"
#include "net.bpf.c"
#include "priv.bpf.c"
#include "cgroup.bpf.c"

char LICENSE[] SEC("license") = "GPL"; /* bpf_probe_read_* and ring buffer helpers need GPL */

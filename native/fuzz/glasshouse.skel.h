/* Stand-in for the generated libbpf skeleton in the fuzz harnesses: only the maps watch.c uses, no BPF object.
 * A map watch.c starts to use fails the fuzz build here until it is added. */
#ifndef GH_FUZZ_SKEL_H
#define GH_FUZZ_SKEL_H
struct bpf_map;
struct glasshouse_bpf {
	struct {
		struct bpf_map *gh_config_map, *watched_cgroups, *watched_mntns, *prefixes, *admit_prefixes;
	} maps;
};
#endif

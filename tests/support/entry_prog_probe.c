// Each program of programs/xdp_entry_kinds.o (argv[1]) into entry 0 of a fresh devmap (ifindex 1) and cpumap (qsize
// 192): one line per try, `MAP PROG 0` or `MAP PROG -errno`; then into the object's prog_arrays jmp0..2, each from a
// different program on (`jmpN PROG 0|-errno`). Built by tests/maps/entry_prog_kernel.test.ts (gcc -lbpf).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	static const char *names[] = { "plain", "on_devmap", "on_cpumap" };
	struct bpf_object *o;
	int dm, cm, i;

	if (argc < 2)
		return 2;
	o = bpf_object__open_file(argv[1], NULL);
	if (!o || bpf_object__load(o))
		return 1;
	dm = bpf_map_create(BPF_MAP_TYPE_DEVMAP, "dm", 4, 8, 4, NULL);
	cm = bpf_map_create(BPF_MAP_TYPE_CPUMAP, "cm", 4, 8, 4, NULL);
	if (dm < 0 || cm < 0)
		return 1;
	for (i = 0; i < 3; i++) {
		__u32 key = 0, fd = bpf_program__fd(bpf_object__find_program_by_name(o, names[i]));
		__u32 dv[2] = { 1, fd }, cv[2] = { 192, fd };

		printf("devmap %s %d\n", names[i], bpf_map_update_elem(dm, &key, dv, 0) ? -errno : 0);
		printf("cpumap %s %d\n", names[i], bpf_map_update_elem(cm, &key, cv, 0) ? -errno : 0);
	}
	for (i = 0; i < 3; i++) {
		char name[8];
		int j, pa;

		snprintf(name, sizeof(name), "jmp%d", i);
		pa = bpf_map__fd(bpf_object__find_map_by_name(o, name));
		for (j = 0; j < 3; j++) {
			const char *p = names[(i + j) % 3];
			__u32 key = j, fd = bpf_program__fd(bpf_object__find_program_by_name(o, p));

			printf("%s %s %d\n", name, p, bpf_map_update_elem(pa, &key, &fd, 0) ? -errno : 0);
		}
	}
	bpf_object__close(o);
	return 0;
}

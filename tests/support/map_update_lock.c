// BPF_MAP_UPDATE_ELEM with BPF_F_LOCK on a pinned map (bpftool has no such update): argv[1] the pin, argv[2]
// the key and argv[3] the value in hex. Prints 0 or -errno. Built by tests/maps/array.test.ts with gcc -lbpf.
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t unhex(const char *s, unsigned char *out, size_t max)
{
	size_t n = 0;

	for (; s[0] && s[1] && n < max; s += 2) {
		char b[3] = { s[0], s[1], 0 };
		out[n++] = (unsigned char)strtoul(b, NULL, 16);
	}
	return n;
}

int main(int argc, char **argv)
{
	unsigned char key[64], value[4096];
	int fd;

	if (argc != 4)
		return 2;
	unhex(argv[2], key, sizeof(key));
	unhex(argv[3], value, sizeof(value));
	fd = bpf_obj_get(argv[1]);
	if (fd < 0) {
		printf("%d\n", -errno);
		return 1;
	}
	printf("%d\n", bpf_map_update_elem(fd, key, value, BPF_F_LOCK) ? -errno : 0);
	return 0;
}

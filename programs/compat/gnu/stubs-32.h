/* Empty stand-in for glibc's gnu/stubs-32.h (package libc6-dev-i386 / gcc-multilib).
 * <linux/icmp.h> pulls in <sys/socket.h>, and for `-target bpf` glibc's gnu/stubs.h sees no
 * __x86_64__ and asks for the 32-bit stubs. They only list unimplemented libc functions, which a BPF
 * program never calls, so an empty file gives the same object. programs/build.sh puts this directory
 * on the include path. */

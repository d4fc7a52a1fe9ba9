// bpf_xdp_flow_lookup's result read without a NULL check (KF_RET_NULL): refused by the kernel's verifier
// and by wxdp's.
// cflags: -DNULLDEREF
#include "xdp_flow_lookup_deref.c"

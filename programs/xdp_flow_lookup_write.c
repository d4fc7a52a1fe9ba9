// A store through bpf_xdp_flow_lookup's result: PTR_TO_BTF_ID is read-only (check_ptr_to_btf_access: XDP's
// btf_struct_access callback allows nf_conn's mark only): "only read is supported", here as in the kernel.
// cflags: -DWRITE
#include "xdp_flow_lookup_fields.c"

// cflags: -DWQ_CALLBACK
#include "xdp_wq.c"

// Accept: a compare of a pointer already known to be past data_end is decided.
// After `if r4 >= r3` jumps, r4 (data + 14) has the range AT_PKT_END (mark_pkt_end: at or past the
// end). is_pkt_ptr_branch_taken then decides `if r4 < r3` (false) and `if r3 <= r4` (true) there, so
// the reads behind them — past any proven range — are dead code the kernel never walks. The copy in
// r5 made before the first compare is not marked (mark_pkt_end changes that register only), so its
// compare is walked both ways and its fall-through has 14 bytes.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "verifier.h"

SEC("xdp")
__naked int pkt_end_mark_decides(void)
{
	asm volatile(
	ASM_PKT_PTRS(14)
	"r5 = r4;"
	"if r4 >= r3 goto 1f;"
	"r0 = 2;"
	"exit;"
"1:"
	"if r4 < r3 goto 2f;"
	"if r3 <= r4 goto 3f;"
"2:"
	"r0 = *(u64 *)(r2 + 64);"
	"exit;"
"3:"
	"if r5 > r3 goto 4f;"
	"r0 = *(u8 *)(r2 + 13);"
	"exit;"
"4:"
	"r0 = 1;"
	"exit;"
	:: __xdp_data, __xdp_data_end
	: __clobber_all);
}

LICENSE;

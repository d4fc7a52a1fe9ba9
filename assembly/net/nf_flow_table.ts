// The flowtable (nf_flow_table): not built yet; the conntrack's hook for an entry's end is here so
// nf_conntrack.ts need not change when it is.
//
// Reads: nothing. Sets: nothing.

/** A conntrack entry with an offloaded flow is going: its flow goes too. */
export function flow_offload_ct_gone(ct: u32): void {}

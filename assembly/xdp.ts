// XDP helpers that work on the xdp_buff in CTX_BASE.

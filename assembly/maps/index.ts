// Maps: created in the arena, used by programs through the bpf_map_* helper exports and by TypeScript
// through the map_* exports.

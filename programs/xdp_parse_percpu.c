// xdp_parse_percpu: xdp_parse.c's parser and policy with per-CPU maps: `parsed_tuple` and `verdicts`
// are PERCPU_ARRAYs and the verdict is counted with a plain add, so two CPUs never write the same cache
// line (xdp_parse's one shared ARRAY value, written for every frame, holds the kernel itself to about
// 0.25x on two CPUs). The program `bench workers` scales the parser with.
#define PARSE_PERCPU
#include "xdp_parse.c"

// wxdp's native addon: 2 MiB pages for a WebAssembly memory, as a DPDK host gives its packet memory
// hugepages. V8 never asks for them, so under THP `madvise` (Debian's default) wasm memory sits on 4 KiB
// pages and a random read of a big table (a 1M-route FIB's 64 MiB direct table) misses the TLB as well
// as the cache. Node cannot call madvise itself; this addon does, on the memory's ArrayBuffer or
// SharedArrayBuffer:
//
//   advise(buffer, maxBytes)  madvise(MADV_HUGEPAGE) on [data, data + maxBytes rounded up to 2 MiB),
//                             clamped to the anonymous mappings around it (V8's reservation):
//
//     ---p guard (2 GiB) | rw-p memory now (byteLength) | ---p rest of the reservation (to 8 GiB+)
//                        ^ data                          ^ grows here by mprotect, keeping VM_HUGEPAGE
//
//                             Pages faulted in later (growth, first touch) come as 2 MiB pages.
//   collapse(buffer)          madvise(MADV_COLLAPSE) (Linux >= 6.1) on each 2 MiB-aligned chunk of
//                             [data, data + byteLength) that has a resident page (mincore): what was
//                             populated on 4 KiB pages before advise, or across a grow's boundary.
//   address(buffer)           where the buffer lies (for /proc/self/smaps), advised or not.
//
// Nothing throws: each call returns an object whose `error` is an errno name (EINVAL, ENOMEM, ...) or
// null, so the data path's control code can report it and go on.

#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#define HUGE_2M ((uintptr_t)2 << 20)

static const char *errno_name(int e) {
  switch (e) {
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case EAGAIN: return "EAGAIN";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EBUSY: return "EBUSY";
    case EFAULT: return "EFAULT";
    case ENOSYS: return "ENOSYS";
    case ENOENT: return "ENOENT";
    default: return "EIO";
  }
}

// The buffer's data pointer and byte length, from an ArrayBuffer or a SharedArrayBuffer (Node-API 1 has no
// getter for the latter; a TypedArray over it answers for both).
static int buffer_of(napi_env env, napi_value v, void **data, size_t *len) {
  bool is_ab = false;
  if (napi_is_arraybuffer(env, v, &is_ab) == napi_ok && is_ab) {
    return napi_get_arraybuffer_info(env, v, data, len) == napi_ok ? 0 : -1;
  }
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return -1;
  napi_typedarray_type type;
  size_t n, off;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &n, data, &ab, &off) != napi_ok || type != napi_uint8_array) return -1;
  *len = n;
  return 0;
}

// The call's arguments (`want` of them) with the first one's bytes; -1 when they are not there.
static int args_of(napi_env env, napi_callback_info info, size_t want, napi_value *argv, void **data, size_t *len) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < want) return -1;
  return buffer_of(env, argv[0], data, len);
}

// The end of the run of anonymous mappings (no file, inode 0) that holds `addr`, contiguous from the one
// holding it; 0 when `addr` is not in an anonymous mapping.
static uintptr_t anon_run_end(uintptr_t addr) {
  FILE *f = fopen("/proc/self/maps", "re");
  if (!f) return 0;
  char line[512];
  uintptr_t end = 0;
  while (fgets(line, sizeof line, f)) {
    uintptr_t a, b;
    unsigned long long inode;
    char perms[8];
    int path_at = 0;
    if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s %*s %*s %llu %n", &a, &b, perms, &inode, &path_at) < 4) continue;
    bool anon = inode == 0 && (path_at == 0 || line[path_at] == '\n' || line[path_at] == '\0');
    if (end == 0) {
      if (addr >= a && addr < b && anon) end = b;
    } else if (a == end && anon) {
      end = b;
    } else if (a >= end) {
      break;
    }
  }
  fclose(f);
  return end;
}

static napi_value result(napi_env env, const char *error, double start, double end, double count) {
  napi_value o, v;
  napi_create_object(env, &o);
  if (error) napi_create_string_utf8(env, error, NAPI_AUTO_LENGTH, &v);
  else napi_get_null(env, &v);
  napi_set_named_property(env, o, "error", v);
  napi_create_double(env, start, &v);
  napi_set_named_property(env, o, "start", v);
  napi_create_double(env, end, &v);
  napi_set_named_property(env, o, "end", v);
  napi_create_double(env, count, &v);
  napi_set_named_property(env, o, "chunks", v);
  return o;
}

// advise(buffer, maxBytes): { error, start, end, chunks: 2 MiB chunks advised }
static napi_value advise(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  void *data;
  size_t len;
  double max_bytes = 0;
  if (args_of(env, info, 2, argv, &data, &len) != 0 || napi_get_value_double(env, argv[1], &max_bytes) != napi_ok) {
    return result(env, "EINVAL", 0, 0, 0);
  }
  uintptr_t start = (uintptr_t)data;
  // a page-aligned start (a whole memory's buffer, not a view into one) and a finite size: anything else is
  // refused rather than cast (a NaN or negative double into uintptr_t is undefined behaviour)
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0 || start % (uintptr_t)page != 0 || !(max_bytes >= 0) || max_bytes > 281474976710656.0) {
    return result(env, "EINVAL", (double)start, (double)start, 0);
  }
  if (max_bytes < (double)len) max_bytes = (double)len;
  // up to the memory's maximum, not rounded up past it: a 2 MiB chunk the reservation does not hold whole can
  // never be a huge page, and rounding up could reach a neighbouring mapping that is not this memory's
  uintptr_t want = start + (((uintptr_t)max_bytes + (uintptr_t)page - 1) & ~((uintptr_t)page - 1));
  uintptr_t run = anon_run_end(start);
  if (run == 0) return result(env, "ENOENT", (double)start, (double)start, 0);
  uintptr_t end = want < run ? want : run;
  if (end <= start) return result(env, NULL, (double)start, (double)start, 0);
  if (madvise((void *)start, end - start, MADV_HUGEPAGE) != 0) return result(env, errno_name(errno), (double)start, (double)end, 0);
  uintptr_t first = (start + HUGE_2M - 1) & ~(HUGE_2M - 1);
  uintptr_t last = end & ~(HUGE_2M - 1);
  return result(env, NULL, (double)start, (double)end, last > first ? (double)((last - first) / HUGE_2M) : 0);
}

// collapse(buffer): { error (the last chunk's failure), start, end, chunks: resident 2 MiB chunks now on
// a huge page (those that already were included: MADV_COLLAPSE answers 0 for them at once) }
static napi_value collapse(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *data;
  size_t len;
  if (args_of(env, info, 1, argv, &data, &len) != 0) return result(env, "EINVAL", 0, 0, 0);
  uintptr_t lo = ((uintptr_t)data + HUGE_2M - 1) & ~(HUGE_2M - 1);
  uintptr_t hi = ((uintptr_t)data + len) & ~(HUGE_2M - 1);
  const char *error = NULL;
  double done = 0;
  unsigned char vec[HUGE_2M / 4096];
  long page = sysconf(_SC_PAGESIZE);
  size_t pages = page > 0 ? HUGE_2M / (size_t)page : 0;
  for (uintptr_t c = lo; c < hi; c += HUGE_2M) {
    bool resident = pages == 0 || pages > sizeof vec;
    if (!resident && mincore((void *)c, HUGE_2M, vec) == 0) {
      for (size_t i = 0; i < pages && !resident; i++) resident = vec[i] & 1;
    }
    if (!resident) continue;
    if (madvise((void *)c, HUGE_2M, MADV_COLLAPSE) == 0) done++;
    else error = errno_name(errno);
  }
  return result(env, error, (double)lo, (double)(hi > lo ? hi : lo), done);
}

// address(buffer): { error, start, end: the buffer's bytes, chunks 0 } — where a memory that was not
// advised lies, for reading its mappings in /proc/self/smaps.
static napi_value address(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *data;
  size_t len;
  if (args_of(env, info, 1, argv, &data, &len) != 0) return result(env, "EINVAL", 0, 0, 0);
  return result(env, NULL, (double)(uintptr_t)data, (double)((uintptr_t)data + len), 0);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"advise", NULL, advise, NULL, NULL, NULL, napi_enumerable, NULL},
    {"collapse", NULL, collapse, NULL, NULL, NULL, napi_enumerable, NULL},
    {"address", NULL, address, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, 3, props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

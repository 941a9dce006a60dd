/*
 * wasm_flight.h - write wasm-flight guests in C: one header, no libc.
 *
 * Implements the guest side of ABI 1.2 (proto-docs/abi-v1.md): the Arrow C Data Interface
 * structs on wasm32 (sizes pinned below), the status codes, the required exports
 * (wf_abi_version, wf_alloc, wf_free, wf_last_error, wf_release), a catalog macro, validity
 * bitmap and offset helpers and an output builder. Build a module with Debian's clang + lld:
 *
 *   clang --target=wasm32 -O2 -nostdlib -ffreestanding -I DIR_OF_THIS_HEADER \
 *         -Wl,--no-entry -Wl,--strip-all -o my_udf.wasm my_udf.c
 *
 * Include it in exactly one .c file (it defines the exports). Memory: wf_alloc bumps a pointer
 * from __heap_base and grows the memory when needed; the blocks a function allocates for its
 * output (wf_out_*, wf_scratch) are all given back by wf_release, once the host has copied the
 * output. The blocks the host allocates for its input are reused by it across batches; a freed
 * block is reused only when it is the last one allocated, so memory grows with the largest
 * batch seen (each session has its own instance, discarded at its end).
 */
#ifndef WASM_FLIGHT_H
#define WASM_FLIGHT_H

#include <stdint.h> /* compiler-provided with -ffreestanding; no libc needed */

#if !defined(__wasm32__)
#error "wasm_flight.h is for wasm32 guests: compile with clang --target=wasm32"
#endif

/* ---- ABI version and status codes (abi-v1.md sections 2 and 3) ---------------------------- */

#define WF_ABI_VERSION ((1u << 16) | 2u) /* 1.2 */

enum wf_status {
  WF_OK = 0,                /* success */
  WF_ERR_INVALID_INPUT = 1, /* the function rejects its input: INVALID_ARGUMENT */
  WF_ERR_EXECUTION = 2,     /* the function failed while running: INTERNAL "guest error" */
  WF_ERR_OUT_OF_MEMORY = 3, /* the guest could not allocate: RESOURCE_EXHAUSTED */
  WF_MORE = 256             /* table / finish only: more output follows */
};

/* ---- Arrow C Data Interface, wasm32 layout (abi-v1.md section 5) --------------------------- */

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  const char *format;
  const char *name;
  const char *metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema **children;
  struct ArrowSchema *dictionary;
  void (*release)(struct ArrowSchema *);
  void *private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void **buffers;
  struct ArrowArray **children;
  struct ArrowArray *dictionary;
  void (*release)(struct ArrowArray *);
  void *private_data;
};

#define WF__OFFSET(T, f, n) \
  _Static_assert(__builtin_offsetof(T, f) == (n), #T "." #f " must be at offset " #n)
_Static_assert(sizeof(struct ArrowSchema) == 48, "ArrowSchema is 48 bytes on wasm32");
_Static_assert(_Alignof(struct ArrowSchema) == 8, "ArrowSchema is 8-byte aligned");
WF__OFFSET(struct ArrowSchema, format, 0);
WF__OFFSET(struct ArrowSchema, name, 4);
WF__OFFSET(struct ArrowSchema, metadata, 8);
WF__OFFSET(struct ArrowSchema, flags, 16);
WF__OFFSET(struct ArrowSchema, n_children, 24);
WF__OFFSET(struct ArrowSchema, children, 32);
WF__OFFSET(struct ArrowSchema, dictionary, 36);
WF__OFFSET(struct ArrowSchema, release, 40);
WF__OFFSET(struct ArrowSchema, private_data, 44);
_Static_assert(sizeof(struct ArrowArray) == 64, "ArrowArray is 64 bytes on wasm32");
_Static_assert(_Alignof(struct ArrowArray) == 8, "ArrowArray is 8-byte aligned");
WF__OFFSET(struct ArrowArray, length, 0);
WF__OFFSET(struct ArrowArray, null_count, 8);
WF__OFFSET(struct ArrowArray, offset, 16);
WF__OFFSET(struct ArrowArray, n_buffers, 24);
WF__OFFSET(struct ArrowArray, n_children, 32);
WF__OFFSET(struct ArrowArray, buffers, 40);
WF__OFFSET(struct ArrowArray, children, 44);
WF__OFFSET(struct ArrowArray, dictionary, 48);
WF__OFFSET(struct ArrowArray, release, 52);
WF__OFFSET(struct ArrowArray, private_data, 56);

/* ---- Exports and the catalog (abi-v1.md sections 3, 4 and 6) ------------------------------- */

/* Marks a function as the module export `name`. */
#define WF_EXPORT(name) __attribute__((export_name(name), visibility("default")))

/* The signatures of the entry points (section 6). */
#define WF_MAP_ARGS                                                                      \
  const struct ArrowSchema *in_schema, const struct ArrowArray *in_array,                \
      struct ArrowSchema *out_schema, struct ArrowArray *out_array

/* Catalog entries: JSON object literals, joined with "," inside WF_CATALOG. */
#define WF_ENTRY(name, kind) \
  "{\"name\":\"" #name "\",\"kind\":\"" kind "\",\"export\":\"wf_fn_" #name "\"}"
#define WF_MAP_ENTRY(name) WF_ENTRY(name, "map")
#define WF_FILTER_ENTRY(name) WF_ENTRY(name, "filter")
/* A map with a fixed output schema: output_json is the "output" array, e.g.
   "[{\"name\":\"y\",\"format\":\"l\",\"nullable\":true}]". */
#define WF_MAP_ENTRY_OUTPUT(name, output_json)                                                \
  "{\"name\":\"" #name "\",\"kind\":\"map\",\"export\":\"wf_fn_" #name "\",\"output\":" \
  output_json "}"

/* Defines the wf_catalog export from entries: WF_CATALOG(WF_MAP_ENTRY(f) "," WF_MAP_ENTRY(g)) */
#define WF_CATALOG(entries)                                                     \
  static const char wf__catalog[] = "{\"functions\":[" entries "]}";           \
  WF_EXPORT("wf_catalog") uint64_t wf_catalog(void) {                          \
    return ((uint64_t)(sizeof wf__catalog - 1) << 32) | (uint32_t)wf__catalog; \
  }

/* Defines the export wf_fn_<name> of a map or filter implemented by
   int32_t impl(const struct ArrowSchema*, const struct ArrowArray*, struct ArrowSchema*,
                struct ArrowArray*): clears the last error first. */
#define WF_MAP(name, impl)                                                    \
  WF_EXPORT("wf_fn_" #name) int32_t wf_fn_##name(WF_MAP_ARGS) {              \
    wf__call_begin();                                                         \
    return impl(in_schema, in_array, out_schema, out_array);                  \
  }
#define WF_FILTER(name, impl) WF_MAP(name, impl)

/* ---- Bytes, strings, bits (no libc) --------------------------------------------------------- */

typedef __SIZE_TYPE__ size_t;

/* The compiler may turn loops into calls to these: a module has no imports, so define them. */
__attribute__((no_builtin("memcpy"))) void *memcpy(void *dst, const void *src, size_t n) {
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *s = (const unsigned char *)src;
  while (n--) *d++ = *s++;
  return dst;
}
__attribute__((no_builtin("memset"))) void *memset(void *dst, int c, size_t n) {
  unsigned char *d = (unsigned char *)dst;
  while (n--) *d++ = (unsigned char)c;
  return dst;
}
__attribute__((no_builtin("memmove"))) void *memmove(void *dst, const void *src, size_t n) {
  unsigned char *d = (unsigned char *)dst;
  const unsigned char *s = (const unsigned char *)src;
  if (d < s) {
    while (n--) *d++ = *s++;
  } else {
    while (n--) d[n] = s[n];
  }
  return dst;
}

static inline int wf_str_eq(const char *a, const char *b) {
  if (a == 0 || b == 0) return a == b;
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

/* Bitmaps are LSB-first, bit set = valid (section 5.2). */
static inline int wf_bit_get(const uint8_t *bits, int64_t i) {
  return (bits[i >> 3] >> (i & 7)) & 1;
}
static inline void wf_bit_set(uint8_t *bits, int64_t i, int value) {
  if (value) {
    bits[i >> 3] |= (uint8_t)(1u << (i & 7));
  } else {
    bits[i >> 3] &= (uint8_t) ~(1u << (i & 7));
  }
}
static inline int64_t wf_bitmap_bytes(int64_t bits) { return (bits + 7) >> 3; }

/* ---- Reading input ---------------------------------------------------------------------------- */

/* Column i of a batch (a struct array, section 5.1), or 0 when there is none. */
static inline const struct ArrowArray *wf_column(const struct ArrowArray *batch, int64_t i) {
  return i >= 0 && i < batch->n_children ? batch->children[i] : 0;
}
static inline const struct ArrowSchema *wf_field(const struct ArrowSchema *batch, int64_t i) {
  return i >= 0 && i < batch->n_children ? batch->children[i] : 0;
}
/* Slot i (0-based from the array's offset) is valid: not null. */
static inline int wf_is_valid(const struct ArrowArray *a, int64_t i) {
  const uint8_t *validity = (const uint8_t *)a->buffers[0];
  return validity == 0 || wf_bit_get(validity, a->offset + i);
}
/* The values of a fixed-width column, from slot 0 (offset applied). */
#define WF_VALUES(type, array) ((const type *)(array)->buffers[1] + (array)->offset)
/* utf8 / binary: the length+1 offsets (offset applied) and the data. */
static inline const int32_t *wf_offsets(const struct ArrowArray *a) {
  return (const int32_t *)a->buffers[1] + a->offset;
}
static inline const uint8_t *wf_data(const struct ArrowArray *a) {
  return (const uint8_t *)a->buffers[2];
}

/* ---- Errors ----------------------------------------------------------------------------------- */

static char wf__message[512];
static uint32_t wf__message_len;

/* Appends text to the message of the current error. */
static inline void wf_error_append(const char *text) {
  while (text && *text && wf__message_len < sizeof wf__message) {
    wf__message[wf__message_len++] = *text++;
  }
}
static inline void wf_error_append_int(int64_t v) {
  char digits[24];
  int n = 0;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  do digits[n++] = (char)('0' + u % 10); while ((u /= 10) != 0);
  if (v < 0) digits[n++] = '-';
  while (n > 0 && wf__message_len < sizeof wf__message) wf__message[wf__message_len++] = digits[--n];
}
/* Starts a new error message; returns `status`, so `return wf_error(WF_ERR_..., "text");`. */
static inline int32_t wf_error(int32_t status, const char *text) {
  wf__message_len = 0;
  wf_error_append(text);
  return status;
}

WF_EXPORT("wf_last_error") uint64_t wf_last_error(void) {
  return wf__message_len == 0 ? 0
                              : ((uint64_t)wf__message_len << 32) | (uint32_t)wf__message;
}

/* ---- Memory: a bump allocator over the linear memory --------------------------------------- */

extern unsigned char __heap_base;
static uintptr_t wf__top;        /* first free byte */
static uintptr_t wf__call_mark;  /* wf__top when the current call began */

/* Allocates size bytes aligned to align (a power of two); 0 when memory cannot grow. */
static inline void *wf_alloc_raw(uint32_t size, uint32_t align) {
  if (wf__top == 0) wf__top = (uintptr_t)&__heap_base;
  if (align < 8) align = 8;
  uintptr_t start = (wf__top + align - 1) & ~(uintptr_t)(align - 1);
  if (start < wf__top || start + size < start) return 0;
  uintptr_t end = start + size;
  uintptr_t limit = __builtin_wasm_memory_size(0) * 65536u;
  if (end > limit) {
    uintptr_t pages = (end - limit + 65535u) / 65536u;
    if (__builtin_wasm_memory_grow(0, pages) == (uintptr_t)-1) return 0;
  }
  wf__top = end;
  return (void *)start;
}

WF_EXPORT("wf_alloc") uint8_t *wf_alloc(uint32_t size, uint32_t align) {
  return (uint8_t *)wf_alloc_raw(size, align);
}

WF_EXPORT("wf_free") void wf_free(uint8_t *ptr, uint32_t size, uint32_t align) {
  (void)align;
  if ((uintptr_t)ptr + size == wf__top) wf__top = (uintptr_t)ptr; /* else kept until the end */
}

WF_EXPORT("wf_abi_version") uint32_t wf_abi_version(void) { return WF_ABI_VERSION; }

static inline void wf__call_begin(void) {
  wf__message_len = 0;
  if (wf__top == 0) wf__top = (uintptr_t)&__heap_base;
  wf__call_mark = wf__top;
}

/* Scratch memory for the current call, given back by wf_release (or the next call). */
static inline void *wf_scratch(uint32_t size) { return wf_alloc_raw(size, 8); }

/* ---- Writing output (section 5.4) ----------------------------------------------------------- */

static void wf__released_schema(struct ArrowSchema *s) { s->release = 0; }
static void wf__released_array(struct ArrowArray *a) { a->release = 0; }

/* Everything the output of the current call allocated is given back at once. */
WF_EXPORT("wf_release") void wf_release(struct ArrowSchema *schema, struct ArrowArray *array) {
  schema->release = 0;
  array->release = 0;
  if (wf__call_mark != 0 && wf__call_mark <= wf__top) wf__top = wf__call_mark;
}

/* Starts the output batch in the host's slots: `columns` columns of `rows` rows, to be set
   with wf_out_column. Returns WF_OK or WF_ERR_OUT_OF_MEMORY. */
static inline int32_t wf_out_batch(struct ArrowSchema *s, struct ArrowArray *a, int64_t rows,
                                   int64_t columns) {
  struct ArrowSchema **schemas = (struct ArrowSchema **)wf_scratch(4 * (uint32_t)columns);
  struct ArrowArray **arrays = (struct ArrowArray **)wf_scratch(4 * (uint32_t)columns);
  struct ArrowSchema *child_s = (struct ArrowSchema *)wf_scratch(48 * (uint32_t)columns);
  struct ArrowArray *child_a = (struct ArrowArray *)wf_scratch(64 * (uint32_t)columns);
  const void **buffers = (const void **)wf_scratch(4);
  if (!schemas || !arrays || !child_s || !child_a || !buffers) {
    return wf_error(WF_ERR_OUT_OF_MEMORY, "out of memory for the output batch");
  }
  memset(child_s, 0, 48 * (size_t)columns);
  memset(child_a, 0, 64 * (size_t)columns);
  for (int64_t i = 0; i < columns; i++) {
    schemas[i] = &child_s[i];
    arrays[i] = &child_a[i];
  }
  buffers[0] = 0;
  *s = (struct ArrowSchema){.format = "+s", .n_children = columns, .children = schemas,
                            .release = wf__released_schema};
  *a = (struct ArrowArray){.length = rows, .n_buffers = 1, .n_children = columns,
                           .buffers = buffers, .children = arrays,
                           .release = wf__released_array};
  return WF_OK;
}

/* Sets output column i: a type without children (C Data `format`), its name, nullability,
   length, null_count (-1 = unknown) and n_buffers buffers in C Data order (validity first;
   a validity of 0 means no nulls). Buffers may point anywhere in memory, the input included. */
static inline int32_t wf_out_column(struct ArrowSchema *s, struct ArrowArray *a, int64_t i,
                                    const char *format, const char *name, int nullable,
                                    int64_t length, int64_t null_count, int64_t n_buffers,
                                    const void *b0, const void *b1, const void *b2) {
  if (i < 0 || i >= a->n_children || n_buffers < 1 || n_buffers > 3) {
    return wf_error(WF_ERR_EXECUTION, "wf_out_column: column index or n_buffers out of range");
  }
  const void **buffers = (const void **)wf_scratch(4 * (uint32_t)n_buffers);
  if (!buffers) return wf_error(WF_ERR_OUT_OF_MEMORY, "out of memory for the output buffers");
  const void *given[3] = {b0, b1, b2};
  for (int64_t b = 0; b < n_buffers; b++) buffers[b] = given[b];
  struct ArrowSchema *field = s->children[i];
  struct ArrowArray *column = a->children[i];
  field->format = format;
  field->name = name;
  field->flags = nullable ? ARROW_FLAG_NULLABLE : 0;
  field->release = wf__released_schema;
  column->length = length;
  column->null_count = null_count;
  column->n_buffers = n_buffers;
  column->buffers = buffers;
  column->release = wf__released_array;
  return WF_OK;
}

#endif /* WASM_FLIGHT_H */

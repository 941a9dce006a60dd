/* positive (a filter): keeps the rows whose int64 column 0 is valid and above zero. */
#include "wasm_flight.h"

static int32_t positive(WF_MAP_ARGS) {
  const struct ArrowSchema *field = wf_field(in_schema, 0);
  const struct ArrowArray *column = wf_column(in_array, 0);
  if (!column || !wf_str_eq(field->format, "l")) {
    return wf_error(WF_ERR_INVALID_INPUT, "positive needs an int64 column 0");
  }
  int64_t rows = in_array->length;
  uint8_t *keep = (uint8_t *)wf_scratch((uint32_t)wf_bitmap_bytes(rows));
  if (!keep) return wf_error(WF_ERR_OUT_OF_MEMORY, "positive: out of memory");
  const int64_t *values = WF_VALUES(int64_t, column);
  for (int64_t i = 0; i < rows; i++) wf_bit_set(keep, i, wf_is_valid(column, i) && values[i] > 0);
  /* The selection: one boolean column of as many rows, without nulls (section 6.3). */
  int32_t status = wf_out_batch(out_schema, out_array, rows, 1);
  if (status != WF_OK) return status;
  return wf_out_column(out_schema, out_array, 0, "b", "keep", 0, rows, 0, 2, 0, keep, 0);
}

WF_FILTER(positive, positive)
WF_CATALOG(WF_FILTER_ENTRY(positive))

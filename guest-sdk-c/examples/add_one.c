/* add_one: adds 1 to the int64 column 0, keeping its name and its nulls. */
#include "wasm_flight.h"

static int32_t add_one(WF_MAP_ARGS) {
  const struct ArrowSchema *field = wf_field(in_schema, 0);
  const struct ArrowArray *column = wf_column(in_array, 0);
  if (!column) return wf_error(WF_ERR_INVALID_INPUT, "add_one needs a column");
  if (!wf_str_eq(field->format, "l")) {
    wf_error(WF_ERR_INVALID_INPUT, "column 0 ('");
    wf_error_append(field->name);
    wf_error_append("') has format '");
    wf_error_append(field->format);
    wf_error_append("', expected int64 ('l')");
    return WF_ERR_INVALID_INPUT;
  }
  int64_t rows = in_array->length;
  int64_t *out = (int64_t *)wf_scratch(8 * (uint32_t)rows);
  if (!out) return wf_error(WF_ERR_OUT_OF_MEMORY, "add_one: out of memory");
  const int64_t *in = WF_VALUES(int64_t, column);
  for (int64_t i = 0; i < rows; i++) out[i] = (int64_t)((uint64_t)in[i] + 1); /* wraps */
  int32_t status = wf_out_batch(out_schema, out_array, rows, 1);
  if (status != WF_OK) return status;
  /* The input's validity bitmap is passed through as it is (input offsets are 0). */
  return wf_out_column(out_schema, out_array, 0, "l", field->name,
                       (field->flags & ARROW_FLAG_NULLABLE) != 0, rows, column->null_count, 2,
                       column->buffers[0], out, 0);
}

WF_MAP(add_one, add_one)
WF_CATALOG(WF_MAP_ENTRY(add_one))

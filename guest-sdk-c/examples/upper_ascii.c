/* upper_ascii: the utf8 column 0 with a-z upper-cased (other bytes unchanged), nulls kept. */
#include "wasm_flight.h"

static int32_t upper_ascii(WF_MAP_ARGS) {
  const struct ArrowSchema *field = wf_field(in_schema, 0);
  const struct ArrowArray *column = wf_column(in_array, 0);
  if (!column || !wf_str_eq(field->format, "u")) {
    return wf_error(WF_ERR_INVALID_INPUT, "upper_ascii needs a utf8 column 0");
  }
  int64_t rows = in_array->length;
  const int32_t *offsets = wf_offsets(column);
  const uint8_t *data = wf_data(column);
  int32_t bytes = offsets[rows] - offsets[0];
  uint8_t *out = (uint8_t *)wf_scratch((uint32_t)bytes);
  if (!out) return wf_error(WF_ERR_OUT_OF_MEMORY, "upper_ascii: out of memory");
  for (int32_t i = 0; i < bytes; i++) {
    uint8_t c = data[offsets[0] + i];
    out[i] = c >= 'a' && c <= 'z' ? (uint8_t)(c - 32) : c;
  }
  int32_t status = wf_out_batch(out_schema, out_array, rows, 1);
  if (status != WF_OK) return status;
  /* Same validity and offsets as the input; the data starts where the input's offset 0 points,
     so the output data buffer is shifted back by offsets[0]. */
  return wf_out_column(out_schema, out_array, 0, "u", field->name,
                       (field->flags & ARROW_FLAG_NULLABLE) != 0, rows, column->null_count, 3,
                       column->buffers[0], offsets, out - offsets[0]);
}

WF_MAP(upper_ascii, upper_ascii)
WF_CATALOG(WF_MAP_ENTRY(upper_ascii))

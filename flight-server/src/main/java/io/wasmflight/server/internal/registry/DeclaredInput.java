package io.wasmflight.server.internal.registry;

import io.wasmflight.server.WasmFlightException;
import io.wasmflight.server.internal.abi.CDataFormat;
import java.util.List;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The check of a client's input against a function's declared input (abi-v1.md section 4, key
 * {@code input}): the same columns in order, with the same names and types, not dictionary-encoded,
 * and no null in a column declared non-nullable. The first mismatch is a bad request naming it.
 */
final class DeclaredInput {
  private DeclaredInput() {}

  static void check(String fn, Schema declared, Schema actual) {
    List<Field> want = declared.getFields();
    List<Field> got = actual.getFields();
    for (int i = 0; i < Math.max(want.size(), got.size()); i++) {
      if (i >= got.size()) {
        throw mismatch(
            fn, declared, "the input is missing column " + i + " " + describe(want.get(i)));
      }
      Field g = got.get(i);
      if (i >= want.size()) {
        throw mismatch(
            fn, declared, "the input has an extra column " + i + " '" + g.getName() + "'");
      }
      Field w = want.get(i);
      if (!w.getName().equals(g.getName())) {
        boolean elsewhere = want.stream().anyMatch(x -> x.getName().equals(g.getName()));
        throw mismatch(
            fn,
            declared,
            "input column "
                + i
                + " is '"
                + g.getName()
                + "', declared "
                + describe(w)
                + (elsewhere ? " (the columns are in another order)" : ""));
      }
      if (!w.getType().equals(g.getType()) || g.getDictionary() != null) {
        throw mismatch(
            fn,
            declared,
            "input column "
                + i
                + " '"
                + g.getName()
                + "' is of type "
                + (g.getDictionary() != null ? "dictionary of " : "")
                + g.getType()
                + ", declared "
                + describe(w));
      }
    }
  }

  static void checkNulls(String fn, Schema declared, List<? extends ValueVector> columns) {
    List<Field> want = declared.getFields();
    for (int i = 0; i < want.size() && i < columns.size(); i++) {
      int nulls = columns.get(i).getNullCount();
      if (!want.get(i).isNullable() && nulls > 0) {
        throw new WasmFlightException.BadRequest(
            "the input does not match the declared input of function '"
                + fn
                + "': input column "
                + i
                + " '"
                + want.get(i).getName()
                + "' has "
                + nulls
                + " null(s); the function declares it non-nullable");
      }
    }
  }

  private static String describe(Field f) {
    return "'"
        + f.getName()
        + "' "
        + f.getType()
        + " (format '"
        + CDataFormat.of(f.getType()).format()
        + "'"
        + (f.isNullable() ? "" : ", not null")
        + ")";
  }

  private static WasmFlightException mismatch(String fn, Schema declared, String detail) {
    return new WasmFlightException.BadRequest(
        "the input does not match the declared input of function '"
            + fn
            + "': "
            + detail
            + "; declared input: ["
            + String.join(", ", declared.getFields().stream().map(DeclaredInput::describe).toList())
            + "]");
  }
}

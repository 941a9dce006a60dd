package io.wasmflight.server.internal.registry;

import io.wasmflight.server.WasmFlightException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A function as the arrow-udf remote protocol sees it (RisingWave's and Databend's remote UDFs,
 * proto-docs/engines.md): a scalar function (kind {@code map}, one output column) or a table
 * function (kind {@code table} whose output is the {@code row_index} column then one value), with a
 * declared input and output. Input columns are matched by position and type — the engines send
 * unnamed columns — and a string or binary column may come in any of its three Arrow layouts.
 */
public final class UdfSignature {
  /** Databend's schema metadata key: how many leading fields of the schema are the arguments. */
  public static final String INPUT_COUNT_METADATA = "x-databend-udf-input-count";

  private final String name;
  private final FunctionSpec function;

  private UdfSignature(String name, FunctionSpec function) {
    this.name = name;
    this.function = function;
  }

  /** Whether {@code f} can be called under the arrow-udf protocol (no exception is thrown). */
  public static boolean callable(FunctionSpec f) {
    return whyNot(f) == null;
  }

  /**
   * The signature of {@code f}, called {@code name} by the engine.
   *
   * @throws WasmFlightException.BadRequest when {@code f} cannot be called under the protocol
   */
  public static UdfSignature of(String name, FunctionSpec f) {
    String why = whyNot(f);
    if (why != null) {
      throw new WasmFlightException.BadRequest(
          "function '" + name + "' cannot be called as a remote UDF: " + why);
    }
    return new UdfSignature(name, f);
  }

  private static String whyNot(FunctionSpec f) {
    if (f.kind() != FunctionSpec.Kind.MAP && f.kind() != FunctionSpec.Kind.TABLE) {
      return "it is of kind '"
          + f.kind().wireName()
          + "'; only 'map' (a scalar function) and 'table' (a table function) are";
    }
    if (f.input() == null) {
      return "its catalog declares no 'input' (abi-v1.md section 4): the engines check the "
          + "argument types before calling";
    }
    if (f.output() == null) {
      return "its catalog declares no 'output' (abi-v1.md section 4): the engines check the "
          + "return type before calling";
    }
    List<Field> out = f.output().getFields();
    if (f.kind() == FunctionSpec.Kind.MAP && out.size() != 1) {
      return "a scalar function returns one column, its declared output has " + out.size();
    }
    if (f.kind() == FunctionSpec.Kind.TABLE) {
      if (f.rowIndex() == null) {
        return "a table function needs the 'row_index' column (the input row of each output "
            + "row)";
      }
      if (out.size() != 2 || !out.get(0).getName().equals(f.rowIndex())) {
        return "a table function's declared output is the row_index column '"
            + f.rowIndex()
            + "' then one value column";
      }
    }
    return null;
  }

  public FunctionSpec function() {
    return function;
  }

  /**
   * The schema the engines read from {@code GetFlightInfo}: the input fields followed by the output
   * fields, with {@value #INPUT_COUNT_METADATA} (Databend) giving the number of inputs.
   */
  public Schema flightSchema() {
    List<Field> fields = new ArrayList<>(function.input().getFields());
    fields.addAll(function.output().getFields());
    return new Schema(
        fields,
        Map.of(INPUT_COUNT_METADATA, Integer.toString(function.input().getFields().size())));
  }

  /** The number of input fields (arrow-udf's {@code total_records} convention). */
  public int inputCount() {
    return function.input().getFields().size();
  }

  /**
   * Checks a client's input by position and type against the declared input; the first mismatch is
   * a bad request naming it. Column names are ignored (the engines send empty names).
   */
  public void checkInput(Schema actual) {
    List<Field> want = function.input().getFields();
    List<Field> got = actual.getFields();
    if (want.size() != got.size()) {
      throw mismatch("it has " + got.size() + " column(s), the function takes " + want.size());
    }
    for (int i = 0; i < want.size(); i++) {
      Field g = got.get(i);
      if (g.getDictionary() != null) {
        throw mismatch("argument " + i + " is dictionary-encoded");
      }
      if (!compatible(want.get(i).getType(), g.getType())) {
        throw mismatch(
            "argument " + i + " is of type " + g.getType() + ", declared " + want.get(i).getType());
      }
    }
  }

  private WasmFlightException.BadRequest mismatch(String what) {
    return new WasmFlightException.BadRequest(
        "the input does not match the declared input of function '"
            + name
            + "' "
            + describe(function.input())
            + ": "
            + what);
  }

  private static String describe(Schema s) {
    StringBuilder b = new StringBuilder("(");
    for (Field f : s.getFields()) {
      if (b.length() > 1) {
        b.append(", ");
      }
      b.append(f.getType());
    }
    return b.append(')').toString();
  }

  /**
   * Whether a column of type {@code actual} can be handed to a function declaring {@code declared}:
   * the same type, or the same string or binary values in another Arrow layout (utf8, large_utf8,
   * utf8_view; binary, large_binary, binary_view), which the host converts.
   */
  public static boolean compatible(ArrowType declared, ArrowType actual) {
    if (declared.equals(actual)) {
      return true;
    }
    return (isString(declared) && isString(actual)) || (isBinary(declared) && isBinary(actual));
  }

  static boolean isString(ArrowType t) {
    return t instanceof ArrowType.Utf8
        || t instanceof ArrowType.LargeUtf8
        || t instanceof ArrowType.Utf8View;
  }

  static boolean isBinary(ArrowType t) {
    return t instanceof ArrowType.Binary
        || t instanceof ArrowType.LargeBinary
        || t instanceof ArrowType.BinaryView;
  }
}

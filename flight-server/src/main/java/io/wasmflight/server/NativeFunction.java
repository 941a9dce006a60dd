package io.wasmflight.server;

import java.util.List;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A map function written in Java and run inside the server without a sandbox. Registered with
 * {@link WasmFlightServer#registerNative}; reached with DoExchange like a Wasm function. Used for
 * the benchmark's "native" and "echo" ceilings; not available over the Flight registration API.
 */
public interface NativeFunction {
  /** The output schema for an input schema (called once per session). */
  Schema outputSchema(Schema input);

  /**
   * Computes one output batch. {@code out} has {@link #outputSchema}; the function fills it
   * (allocating its vectors as needed) and sets its row count to {@code in}'s.
   */
  void apply(VectorSchemaRoot in, VectorSchemaRoot out);

  /** Hands the input buffers back unchanged (no copy, no compute): the transport ceiling. */
  NativeFunction ECHO =
      new NativeFunction() {
        @Override
        public Schema outputSchema(Schema input) {
          return input;
        }

        @Override
        public void apply(VectorSchemaRoot in, VectorSchemaRoot out) {
          List<FieldVector> from = in.getFieldVectors();
          for (int i = 0; i < from.size(); i++) {
            from.get(i).makeTransferPair(out.getVector(i)).transfer();
          }
          out.setRowCount(in.getRowCount());
        }
      };
}

package io.wasmflight.server.internal;

import io.wasmflight.server.NativeFunction;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/** A {@link NativeFunction} run in the server, writing into one output root per session. */
final class NativeStep implements BatchStep {
  private final NativeFunction function;
  private final BufferAllocator allocator;
  private VectorSchemaRoot out;

  NativeStep(NativeFunction function, BufferAllocator allocator) {
    this.function = function;
    this.allocator = allocator;
  }

  @Override
  public VectorSchemaRoot apply(VectorSchemaRoot in) {
    if (out == null) {
      out = VectorSchemaRoot.create(function.outputSchema(in.getSchema()), allocator);
    }
    function.apply(in, out);
    return out;
  }

  @Override
  public Schema emptyStreamSchema(Schema input) {
    return input == null ? new Schema(java.util.List.of()) : function.outputSchema(input);
  }

  @Override
  public void close() {
    if (out != null) {
      out.close();
    }
  }
}

package io.wasmflight.server.internal.exchange;

import io.wasmflight.server.NativeFunction;
import io.wasmflight.server.NativeKernel;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;

/** A {@link NativeFunction} as a kernel: it fills one output root per session, per batch. */
final class NativeMap implements NativeKernel {
  private final NativeFunction function;
  private final BufferAllocator allocator;
  private VectorSchemaRoot out;

  NativeMap(NativeFunction function, BufferAllocator allocator) {
    this.function = function;
    this.allocator = allocator;
  }

  @Override
  public void apply(VectorSchemaRoot in, Output output) {
    if (out == null) {
      out = VectorSchemaRoot.create(function.outputSchema(in.getSchema()), allocator);
    }
    function.apply(in, out);
    output.emit(out);
  }

  @Override
  public Schema outputSchema(Schema input) {
    return function.outputSchema(input);
  }

  @Override
  public void close() {
    if (out != null) {
      out.close();
    }
  }
}

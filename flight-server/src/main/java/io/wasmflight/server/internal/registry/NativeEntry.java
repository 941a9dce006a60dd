package io.wasmflight.server.internal.registry;

import io.wasmflight.server.NativeFunction;
import io.wasmflight.server.NativeKernel;

/**
 * A Java function registered in the server under {@code module/function}: a map, or a function of
 * any kind. Exactly one of the two is set; the exchange layer opens a session's step from it.
 */
public record NativeEntry(NativeFunction map, NativeKernel.Factory kernel) {
  public NativeEntry {
    if ((map == null) == (kernel == null)) {
      throw new IllegalArgumentException("exactly one of map and kernel must be given");
    }
  }

  static NativeEntry ofMap(NativeFunction f) {
    return new NativeEntry(f, null);
  }

  static NativeEntry ofKernel(NativeKernel.Factory f) {
    return new NativeEntry(null, f);
  }
}

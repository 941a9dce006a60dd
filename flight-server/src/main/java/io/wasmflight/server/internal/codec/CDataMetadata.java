package io.wasmflight.server.internal.codec;

import io.wasmflight.server.internal.guest.FlatMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The C Data binary encoding of {@code ArrowSchema.metadata}: little-endian int32 number of pairs,
 * then per pair int32 key length, key bytes, int32 value length, value bytes (UTF-8).
 */
final class CDataMetadata {
  /** Most bytes of metadata the host reads from one ArrowSchema. */
  static final int MAX_BYTES = 1 << 20;

  private CDataMetadata() {}

  /** The encoding of a map, or null for an empty or absent map (pointer 0). */
  static byte[] encode(Map<String, String> metadata) {
    if (metadata == null || metadata.isEmpty()) {
      return null;
    }
    byte[][] kv = new byte[metadata.size() * 2][];
    int size = 4;
    int i = 0;
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      kv[i] = e.getKey().getBytes(StandardCharsets.UTF_8);
      kv[i + 1] = (e.getValue() == null ? "" : e.getValue()).getBytes(StandardCharsets.UTF_8);
      size += 8 + kv[i].length + kv[i + 1].length;
      i += 2;
    }
    ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(metadata.size());
    for (byte[] bytes : kv) {
      b.putInt(bytes.length);
      b.put(bytes);
    }
    return b.array();
  }

  /**
   * The raw encoding at {@code ptr}: the bytes {@link #decode} read. Call after {@code decode}
   * succeeded on the same memory; null for a null pointer.
   */
  static byte[] raw(FlatMemory m, int ptr) {
    if (ptr == 0) {
      return null;
    }
    long at = Integer.toUnsignedLong(ptr);
    int n = m.readInt((int) at);
    long size = 4;
    for (int i = 0; i < n; i++) {
      size += 4L + m.readInt((int) (at + size));
      size += 4L + m.readInt((int) (at + size));
    }
    return Arrays.copyOfRange(m.array(), (int) at, (int) (at + size));
  }

  /**
   * Decodes guest metadata at {@code ptr} (0 = none), bounds-checked against memory and {@link
   * #MAX_BYTES}.
   *
   * @throws IllegalArgumentException naming the problem
   */
  static Map<String, String> decode(FlatMemory m, int ptr) {
    if (ptr == 0) {
      return null;
    }
    long at = Integer.toUnsignedLong(ptr);
    long end = Math.min(at + MAX_BYTES, m.size());
    int n = readInt(m, at, end, "pair count");
    if (n < 0) {
      throw new IllegalArgumentException("metadata pair count " + n + " is negative");
    }
    if (n == 0) {
      return null;
    }
    at += 4;
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      int klen = readInt(m, at, end, "key length of pair " + i);
      String key = string(m, at + 4, klen, end, "key of pair " + i);
      at += 4L + klen;
      int vlen = readInt(m, at, end, "value length of pair " + i);
      String value = string(m, at + 4, vlen, end, "value of pair " + i);
      at += 4L + vlen;
      if (out.put(key, value) != null) {
        throw new IllegalArgumentException("metadata has key '" + key + "' twice");
      }
    }
    return Collections.unmodifiableMap(out);
  }

  private static int readInt(FlatMemory m, long at, long end, String what) {
    if (at + 4 > end) {
      throw new IllegalArgumentException(
          "metadata "
              + what
              + " at "
              + at
              + " lies outside guest memory or past "
              + MAX_BYTES
              + " bytes");
    }
    return m.readInt((int) at);
  }

  private static String string(FlatMemory m, long at, int len, long end, String what) {
    if (len < 0 || at + len > end) {
      throw new IllegalArgumentException(
          "metadata "
              + what
              + " ("
              + len
              + " bytes) lies outside guest memory or past "
              + MAX_BYTES
              + " bytes");
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(m.array(), (int) at, len))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("metadata " + what + " is not valid UTF-8");
    }
  }
}

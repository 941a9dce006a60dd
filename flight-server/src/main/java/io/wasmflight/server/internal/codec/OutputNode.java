package io.wasmflight.server.internal.codec;

import io.wasmflight.server.internal.abi.CDataFormat;
import io.wasmflight.server.internal.abi.CDataFormat.Buf;
import java.util.List;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.types.pojo.Field;

/**
 * One array of the output tree: a column, a child or a dictionary's values. Built once from the
 * first batch's schema; holds what validation measured in the current batch and the Arrow buffers
 * the copy reuses across batches.
 */
final class OutputNode {
  final CDataFormat format;
  final Field field;
  final String path;
  final OutputNode[] children;
  final OutputNode dictionary;
  final long dictionaryId;
  final Buf[] bufs;

  /** Reader-owned Arrow buffers, reused across batches. */
  final ArrowBuf[] owned;

  List<ArrowBuf> ownedVariadic;
  // Per batch, from validation.
  int array;
  long start; // physical first slot (offset included)
  long length; // slots taken
  long nulls; // nulls among them
  final int[] ptr;
  long first; // offsets (binary, list): first and last offset of the range
  long last;
  int nVariadic;
  int[] variadicPtr = new int[0];
  long[] variadicSize = new long[0];
  long runBase; // run-end encoded: logical first slot, subtracted from the run ends
  FieldVector vector;

  OutputNode(
      CDataFormat format,
      Field field,
      String path,
      OutputNode[] children,
      OutputNode dictionary,
      long dictionaryId) {
    this.format = format;
    this.field = field;
    this.path = path;
    this.children = children;
    this.dictionary = dictionary;
    this.dictionaryId = dictionaryId;
    this.bufs = format.buffers();
    this.owned = new ArrowBuf[bufs.length];
    this.ptr = new int[bufs.length];
  }

  /** Drops the reader's references to a subtree's buffers (the vectors keep theirs). */
  void detach() {
    closeOwned();
    for (OutputNode c : children) {
      c.detach();
    }
  }

  /** Closes the buffers of this subtree, dictionaries included. */
  void release() {
    closeOwned();
    for (OutputNode c : children) {
      c.release();
    }
    if (dictionary != null) {
      dictionary.release();
    }
  }

  /** Closes the buffers one node holds (not its children's). */
  private void closeOwned() {
    for (int b = 0; b < owned.length; b++) {
      if (owned[b] != null) {
        owned[b].close();
        owned[b] = null;
      }
    }
    if (ownedVariadic != null) {
      for (ArrowBuf b : ownedVariadic) {
        if (b != null) {
          b.close();
        }
      }
      ownedVariadic = null;
    }
  }
}

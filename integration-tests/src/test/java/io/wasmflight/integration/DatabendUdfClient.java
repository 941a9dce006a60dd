package io.wasmflight.integration;

import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flight.FlightCallHeaders;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.HeaderCallOption;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.util.TransferPair;

/**
 * Databend's remote UDF client, re-implemented from {@code
 * src/query/expression/src/utils/udf_client.rs} (UDFFlightClient):
 *
 * <ul>
 *   <li>every request carries the headers {@code x-databend-tenant} and {@code
 *       x-databend-query-id};
 *   <li>{@code check_schema}: GetFlightInfo(path [name]); all fields but the last are the
 *       arguments, the last is the return type; types are compared as Databend types, that is with
 *       nullability (a nullable Arrow field is {@code Nullable(T)});
 *   <li>{@code do_exchange}: the input block sliced into batches of {@code batch_rows} rows, sent
 *       on one DoExchange with the descriptor on the first message only; no output batch at all is
 *       the error "Get empty data from UDF Server"; the output batches are concatenated.
 * </ul>
 */
final class DatabendUdfClient {
  /** A Databend data type as the check compares it: the Arrow type and its nullability. */
  record Type(org.apache.arrow.vector.types.pojo.ArrowType arrow, boolean nullable) {
    static Type of(Field f) {
      return new Type(f.getType(), f.isNullable());
    }
  }

  private final FlightClient flight;
  private final BufferAllocator allocator;
  private final int batchRows;
  private final HeaderCallOption headers;

  DatabendUdfClient(TestServer server, int batchRows, String tenant, String queryId) {
    this.flight = server.client();
    this.allocator = server.allocator;
    this.batchRows = batchRows;
    FlightCallHeaders h = new FlightCallHeaders();
    h.insert("x-databend-tenant", tenant);
    h.insert("x-databend-query-id", queryId);
    this.headers = new HeaderCallOption(h);
  }

  /** {@code check_schema}: throws Databend's message when the signature does not match. */
  void checkSchema(String name, List<Type> args, Type returns) {
    FlightInfo info = flight.getInfo(FlightDescriptor.path(name), headers);
    List<Field> fields = info.getSchema().getFields();
    if (fields.isEmpty()) {
      throw new IllegalStateException("UDF Server should return at least one column");
    }
    List<Type> actualArgs = fields.subList(0, fields.size() - 1).stream().map(Type::of).toList();
    Type actualReturn = Type.of(fields.get(fields.size() - 1));
    if (!actualArgs.equals(args)) {
      throw new IllegalStateException("UDF arg types mismatch, actual arg types: " + actualArgs);
    }
    if (!actualReturn.equals(returns)) {
      throw new IllegalStateException(
          "UDF return type mismatch, actual return type: " + actualReturn);
    }
  }

  /** {@code do_exchange}: returns the concatenated output rows (each row its column values). */
  List<List<Object>> doExchange(String name, VectorSchemaRoot block) throws Exception {
    List<List<Object>> rows = new ArrayList<>();
    int batches = 0;
    FlightClient.ExchangeReaderWriter rw = flight.doExchange(FlightDescriptor.path(name), headers);
    try (VectorSchemaRoot slice = VectorSchemaRoot.create(block.getSchema(), allocator)) {
      rw.getWriter().start(slice);
      for (int start = 0; start < block.getRowCount(); start += batchRows) {
        int n = Math.min(batchRows, block.getRowCount() - start);
        slice.clear();
        for (int c = 0; c < block.getFieldVectors().size(); c++) {
          FieldVector from = block.getVector(c);
          TransferPair t = from.makeTransferPair(slice.getVector(c));
          t.splitAndTransfer(start, n);
        }
        slice.setRowCount(n);
        rw.getWriter().putNext();
      }
      rw.getWriter().completed();
      while (rw.getReader().next()) {
        VectorSchemaRoot out = rw.getReader().getRoot();
        batches++;
        for (int r = 0; r < out.getRowCount(); r++) {
          List<Object> row = new ArrayList<>();
          for (FieldVector v : out.getFieldVectors()) {
            Object o = v.getObject(r);
            row.add(o instanceof org.apache.arrow.vector.util.Text t ? t.toString() : o);
          }
          rows.add(row);
        }
      }
    } finally {
      rw.close();
    }
    if (batches == 0) {
      throw new IllegalStateException("Get empty data from UDF Server");
    }
    return rows;
  }

  static Field field(org.apache.arrow.vector.types.pojo.ArrowType t, boolean nullable) {
    return new Field("", new FieldType(nullable, t, null), null);
  }
}

package io.wasmflight.integration;

import io.grpc.Status;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.flight.Action;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightDescriptor;
import org.apache.arrow.flight.FlightInfo;
import org.apache.arrow.flight.FlightRuntimeException;
import org.apache.arrow.flight.Result;
import org.apache.arrow.flight.impl.Flight;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * RisingWave's remote UDF client, re-implemented from arrow-udf's {@code arrow-udf-flight}
 * (src/lib.rs) and RisingWave's {@code src/expr/impl/src/udf/external.rs}, step by step:
 *
 * <ul>
 *   <li>{@code protocol_version}: DoAction "protocol_version", the first byte of the first result
 *       (RisingWave treats 1 as legacy);
 *   <li>{@code get(name)}: GetFlightInfo(path [name]); the descriptor's path[0] is the name, {@code
 *       total_records} the number of argument fields, the schema's fields split there into
 *       arguments and returns;
 *   <li>{@code CREATE FUNCTION}'s check: argument and return types compared by data type only
 *       (names ignored) against unnamed nullable fields built from the SQL types; a table
 *       function's returns are {@code row int32} then the value;
 *   <li>{@code call(name, batch)}: DoExchange(path [name]) with the descriptor on <em>every</em>
 *       FlightData (schema message and the one batch), then every output batch concatenated;
 *   <li>{@code call_table_function}: the same exchange, the output batches as they come.
 * </ul>
 *
 * The messages are built and decoded by hand over the raw gRPC stub ({@link RawFlight}), as
 * arrow-rs's encoder and decoder do, so nothing of Arrow Java's Flight client stands in between.
 */
final class ArrowUdfClient implements AutoCloseable {
  /** A function as {@code Client::get} returns it. */
  record Function(String name, Schema args, Schema returns) {}

  /** What the RisingWave side of a call sees: a failed status, or the output batches' rows. */
  record Output(Status status, Schema schema, List<List<Object>> rows, List<Integer> batchRows) {
    boolean ok() {
      return status.isOk();
    }
  }

  private final FlightClient flight;
  private final RawFlight raw;
  private final BufferAllocator allocator;

  ArrowUdfClient(TestServer server) {
    this.flight = server.client();
    this.raw = new RawFlight(server.port());
    this.allocator = server.allocator;
  }

  int protocolVersion() {
    Iterator<Result> results = flight.doAction(new Action("protocol_version"));
    byte[] body = results.next().getBody();
    while (results.hasNext()) {
      results.next();
    }
    return body.length == 0 ? 1 : body[0];
  }

  Function get(String name) {
    FlightInfo info = flight.getInfo(FlightDescriptor.path(name));
    String got = info.getDescriptor().getPath().get(0);
    long inputNum = info.getRecords();
    List<Field> fields = info.getSchema().getFields();
    if (inputNum < 0 || inputNum > fields.size()) {
      throw new IllegalStateException("invalid input_number: " + inputNum);
    }
    return new Function(
        got,
        new Schema(fields.subList(0, (int) inputNum)),
        new Schema(fields.subList((int) inputNum, fields.size())));
  }

  /**
   * RisingWave's {@code CREATE FUNCTION name(args) RETURNS ret AS 'name' USING LINK ...} check:
   * throws the message RisingWave would show when the types do not match.
   */
  void createFunction(String name, List<ArrowType> args, ArrowType returns, boolean table) {
    Function f = get(name);
    List<ArrowType> wantReturns =
        table ? List.of(new ArrowType.Int(32, true), returns) : List.of(returns);
    if (!types(f.args()).equals(args)) {
      throw new IllegalStateException(
          "argument type mismatch, expect: " + args + ", actual: " + types(f.args()));
    }
    if (!types(f.returns()).equals(wantReturns)) {
      throw new IllegalStateException(
          "return type mismatch, expect: " + wantReturns + ", actual: " + types(f.returns()));
    }
  }

  private static List<ArrowType> types(Schema s) {
    return s.getFields().stream().map(Field::getType).toList();
  }

  /** The unnamed, nullable argument fields RisingWave builds from the SQL types. */
  static Schema argSchema(List<ArrowType> args) {
    return new Schema(args.stream().map(t -> Field.nullable("", t)).toList());
  }

  /**
   * One call: the input batch in {@code input} (RisingWave sends one batch per call), the
   * descriptor on every message.
   */
  Output call(String name, VectorSchemaRoot input) throws Exception {
    Flight.FlightDescriptor d = RawFlight.path(name);
    List<Flight.FlightData> messages =
        List.of(
            RawFlight.schema(d, input.getSchema()),
            RawFlight.batch(input).toBuilder().setFlightDescriptor(d).build());
    RawFlight.Outcome outcome = raw.exchange(messages);
    return decode(outcome);
  }

  /** Decodes the server's messages the way arrow-rs's FlightRecordBatchStream does. */
  private Output decode(RawFlight.Outcome outcome) throws java.io.IOException {
    Schema schema = null;
    List<List<Object>> rows = new ArrayList<>();
    List<Integer> batchRows = new ArrayList<>();
    for (Flight.FlightData m : outcome.received()) {
      if (m.getDataHeader().isEmpty()) {
        continue; // app_metadata only
      }
      Message message = Message.getRootAsMessage(m.getDataHeader().asReadOnlyByteBuffer());
      if (message.headerType() == MessageHeader.Schema) {
        schema = MessageSerializer.deserializeSchema(message);
      } else if (message.headerType() == MessageHeader.RecordBatch) {
        RecordBatch header = (RecordBatch) message.header(new RecordBatch());
        byte[] body = m.getDataBody().toByteArray();
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator)) {
          ArrowBuf buf = allocator.buffer(Math.max(body.length, 1));
          buf.setBytes(0, ByteBuffer.wrap(body));
          // deserializeRecordBatch takes the body over: closing the batch releases it.
          try (ArrowRecordBatch batch = MessageSerializer.deserializeRecordBatch(header, buf)) {
            new VectorLoader(root).load(batch);
          }
          batchRows.add(root.getRowCount());
          for (int r = 0; r < root.getRowCount(); r++) {
            List<Object> row = new ArrayList<>();
            for (FieldVector v : root.getFieldVectors()) {
              Object o = v.getObject(r);
              row.add(
                  o == null
                      ? null
                      : o instanceof org.apache.arrow.vector.util.Text t ? t.toString() : o);
            }
            rows.add(row);
          }
        }
      } else {
        throw new IllegalStateException("unexpected message type " + message.headerType());
      }
    }
    return new Output(outcome.status(), schema, rows, batchRows);
  }

  /** {@code Client::list}: ListFlights with the given criteria, one function per FlightInfo. */
  List<Function> list(byte[] criteria) {
    List<Function> out = new ArrayList<>();
    for (FlightInfo info : flight.listFlights(new org.apache.arrow.flight.Criteria(criteria))) {
      String name = info.getDescriptor().getPath().get(0);
      int n = (int) info.getRecords();
      List<Field> fields = info.getSchema().getFields();
      out.add(
          new Function(
              name,
              new Schema(fields.subList(0, n)),
              new Schema(fields.subList(n, fields.size()))));
    }
    return out;
  }

  /** A FlightRuntimeException's message, for the checks of refused calls. */
  static String message(FlightRuntimeException e) {
    return e.status().code() + " " + e.getMessage();
  }

  @Override
  public void close() {
    raw.close();
  }
}

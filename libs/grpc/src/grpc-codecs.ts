import { loadSync, PackageDefinition } from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/proto-loader';
import { artifacts, CairnError, health, PROTO_LOADER_OPTIONS, registry, tracking } from '@cairn/contracts';

/**
 * How Cairn's gRPC messages are (de)serialised, set up once per server and
 * client from proto-loader's package definition:
 *  - messages are encoded with the generated (ts-proto) code: servers'
 *    responses and clients' requests;
 *  - clients decode responses where the caller awaits them (ReceivedMessage);
 *  - servers decode requests with proto-loader.
 */

type Method = MethodDefinition<unknown, unknown>;

/** What a generated (ts-proto) message exports for encoding. */
interface GeneratedCodec {
  encode(message: never): { finish(): Uint8Array };
  fromPartial(object: never): unknown;
}

/** The generated modules, by protobuf package. */
const GENERATED: ReadonlyMap<string, Readonly<Record<string, unknown>>> = new Map(
  [tracking, artifacts, registry, health].map((module) => [module.protobufPackage, module as Readonly<Record<string, unknown>>]),
);

function isGeneratedCodec(value: unknown): value is GeneratedCodec {
  const v = value as Partial<GeneratedCodec> | undefined;
  return typeof v?.encode === 'function' && typeof v.fromPartial === 'function';
}

/** The generated codec of a method's request or response type (a message of the service's own package). */
function generatedCodec(method: Method, side: 'request' | 'response'): GeneratedCodec {
  const pkg = method.path.slice(1, method.path.lastIndexOf('.'));
  const type = side === 'request' ? method.requestType : method.responseType;
  const name = (type.type as { name?: string }).name ?? '';
  const codec = GENERATED.get(pkg)?.[name];
  if (!isGeneratedCodec(codec)) throw new Error(`no generated codec for ${pkg}.${name} (${side} of ${method.path})`);
  return codec;
}

/**
 * A serialiser with the generated code, in place of proto-loader's
 * `original`. proto-loader serialises as `fromObject` (a full copy as
 * protobuf.js message objects) and then protobuf.js' encoder, which allocates
 * an operation object per field; the generated `encode` writes the fields
 * straight into a byte buffer, in about half the time and with a fraction of
 * the garbage. `fromPartial` first gives the encoder what `fromObject` gave
 * protobuf.js: absent and null fields as their defaults (optional ones stay
 * unset), so the receiver decodes what it always did. A value the generated
 * code refuses (a fraction or NaN in an int64 field) goes through `original`,
 * which coerces it as it always did, instead of failing the call.
 */
function generatedSerialize(codec: GeneratedCodec, original: (value: unknown) => Buffer): (value: unknown) => Buffer {
  return (value) => {
    let bytes: Uint8Array;
    try {
      bytes = codec.encode(codec.fromPartial(value as never) as never).finish();
    } catch {
      return original(value);
    }
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

/** proto-loader's definition of the files, with `adapt` applied to every method of every service. */
function packageDefinition(protoFiles: readonly string[], adapt: (method: Method) => void): PackageDefinition {
  const definition = loadSync([...protoFiles], PROTO_LOADER_OPTIONS);
  for (const entry of Object.values(definition)) {
    if ('format' in entry) continue; // a message or enum type, not a service
    for (const method of Object.values(entry) as Method[]) adapt(method);
  }
  return definition;
}

/**
 * The package definition a gRPC server serves: responses (the large messages
 * of search pages) encoded by generatedSerialize. Requests are decoded by
 * proto-loader: handlers are written against its objects (defaults filled
 * in, absent message fields null).
 */
export function serverPackageDefinition(protoFiles: readonly string[]): PackageDefinition {
  return packageDefinition(protoFiles, (method) => {
    method.responseSerialize = generatedSerialize(generatedCodec(method, 'response'), method.responseSerialize);
  });
}

/**
 * A response as it came off the wire; the caller decodes it when it awaits
 * the call (receivedResponse), with proto-loader's decoding, so the objects
 * and their key order are what they always were. grpc-js keeps a unary call's
 * response in the call's listener closure, and the calls (like the HTTP
 * requests) stayed reachable through young-generation collections until the
 * next full one: measured in the gateway, every decoded search page survived
 * its scavenges and each scavenge copied the pages of all calls since the
 * previous one (about 3 MB, several ms of pause). Decoded by the caller, the
 * objects die young and grpc-js holds only the bytes.
 */
export class ReceivedMessage {
  constructor(
    private readonly bytes: Buffer,
    private readonly deserialize: (bytes: Buffer) => unknown,
  ) {}

  decode<T>(): T {
    try {
      return this.deserialize(this.bytes) as T;
    } catch (err) {
      // What grpc-js answered when it decoded the response itself.
      throw CairnError.internal(`Response message parsing error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/**
 * A request on its way out (see outgoingRequest): serialised once, and
 * emptied by that, so that what the call keeps until its answer (grpc-js'
 * and Nest's closures hold the argument) is this shell and the bytes, not the
 * message: a log-batch's 1000 metric objects then die young instead of
 * being copied by every scavenge while the call is in flight.
 */
export class OutgoingRequest {
  private message: unknown;
  private sent = false;

  constructor(message: unknown) {
    this.message = message;
  }

  /** The message, once (a second serialisation would send an empty one). */
  take(): unknown {
    if (this.sent) throw new Error('gRPC request serialised twice');
    this.sent = true;
    const message = this.message;
    this.message = undefined;
    return message;
  }
}

/** The argument to hand a client of clientPackageDefinition in place of `message` (typed as the message). */
export function outgoingRequest<T>(message: T): T {
  return new OutgoingRequest(message) as unknown as T;
}

/**
 * The package definition of a gRPC client: requests encoded by
 * generatedSerialize (a log-batch's 1000 metrics cost the gateway about 1 MB
 * of garbage through proto-loader, 0.1 MB through the generated code), an
 * OutgoingRequest's message taken out of it; responses arrive as
 * ReceivedMessage (decode with receivedResponse).
 */
export function clientPackageDefinition(protoFiles: readonly string[]): PackageDefinition {
  return packageDefinition(protoFiles, (method) => {
    const serialize = generatedSerialize(generatedCodec(method, 'request'), method.requestSerialize);
    method.requestSerialize = (value: unknown): Buffer => serialize(value instanceof OutgoingRequest ? value.take() : value);
    const deserialize = method.responseDeserialize;
    method.responseDeserialize = (bytes: Buffer): ReceivedMessage => new ReceivedMessage(bytes, deserialize);
  });
}

/** The decoded response of a call through a client of clientPackageDefinition (grpcClientOptions). */
export function receivedResponse<T>(received: unknown): T {
  if (!(received instanceof ReceivedMessage)) throw CairnError.internal('gRPC client not built with grpcClientOptions');
  return received.decode<T>();
}

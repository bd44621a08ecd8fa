import * as path from 'node:path';
import { loadSync, PackageDefinition } from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/proto-loader';
import { CairnError, GRPC_PACKAGES, HEALTH_PACKAGE, PROTO_LOADER_OPTIONS, PROTO_ROOT, toMetricColumns } from '@cairn/contracts';
import { clientPackageDefinition, OutgoingRequest, outgoingRequest, ReceivedMessage, receivedResponse, serverPackageDefinition } from './grpc-codecs';

const FILES = [...GRPC_PACKAGES.tracking.files, ...GRPC_PACKAGES.artifacts.files, ...GRPC_PACKAGES.registry.files, ...HEALTH_PACKAGE.files].map(
  (f) => path.join(PROTO_ROOT, f),
);

function method(definition: PackageDefinition, service: string, name: string): MethodDefinition<unknown, unknown> {
  return (definition[service] as Record<string, MethodDefinition<unknown, unknown>>)[name]!;
}

describe('serverPackageDefinition', () => {
  const reference = loadSync(FILES, PROTO_LOADER_OPTIONS);
  const served = serverPackageDefinition(FILES);

  /** What the client decodes (and the gateway writes as JSON) from each side's response bytes. */
  function decodedBoth(service: string, name: string, response: unknown): [string, string] {
    const before = method(reference, service, name);
    const after = method(served, service, name);
    const decode = (bytes: Buffer): string => JSON.stringify(before.responseDeserialize(bytes));
    return [decode(before.responseSerialize(response)), decode(after.responseSerialize(response))];
  }

  it('encodes responses the way proto-loader did: nulls and absent fields as defaults, optional ones unset', () => {
    const version = {
      name: 'm',
      version: '3',
      creation_timestamp: 1_700_000_000_123,
      last_updated_timestamp: undefined,
      user_id: null,
      current_stage: 'None',
      description: null,
      source: 's3://b/m/3',
      run_id: 'r1',
      status: 'READY',
      tags: [{ key: 'k', value: '' }],
      aliases: [],
    };
    const response = {
      registered_model: { name: 'm', creation_timestamp: 1, last_updated_timestamp: 2, description: '', tags: null, latest_versions: [version], aliases: [{ alias: 'a', version: '3' }] },
    };
    const [before, after] = decodedBoth('cairn.registry.v1.RegistryService', 'GetRegisteredModel', response);
    expect(after).toBe(before);
    expect(JSON.parse(after)).toMatchObject({ registered_model: { description: '', tags: [] } });
    const [emptyBefore, emptyAfter] = decodedBoth('cairn.registry.v1.RegistryService', 'GetRegisteredModel', { registered_model: { name: 'empty' } });
    expect(emptyAfter).toBe(emptyBefore);
    expect(JSON.parse(emptyAfter)).toMatchObject({ registered_model: { name: 'empty', tags: [] } });
  });

  it('keeps doubles (NaN, infinities, -0), large int64 values and maps', () => {
    const run = {
      info: { run_id: 'r', run_uuid: 'r', experiment_id: '0', status: 'RUNNING', start_time: 2 ** 53 - 1, end_time: 0, lifecycle_stage: 'active' },
      data: {
        metrics: [
          { key: 'nan', value: NaN, timestamp: 1, step: -5 },
          { key: 'inf', value: -Infinity, timestamp: 1, step: 0 },
          { key: 'zero', value: -0, timestamp: 0, step: 0 },
        ],
        params: [],
        tags: [{ key: 't', value: 'ü✓' }],
      },
    };
    const [before, after] = decodedBoth('cairn.tracking.v1.TrackingService', 'GetRun', { run });
    expect(after).toBe(before);
    const multipart = { upload_id: 'u', credentials: [{ part_number: 1, url: 'http://x', headers: { 'x-a': '1', b: '' } }] };
    const [mBefore, mAfter] = decodedBoth('cairn.artifacts.v1.ArtifactsService', 'CreateMultipartUpload', multipart);
    expect(mAfter).toBe(mBefore);
  });

  it('encodes the health service (an enum by name) and empty responses', () => {
    const [before, after] = decodedBoth('grpc.health.v1.Health', 'Check', { status: 'SERVING' });
    expect(after).toBe(before);
    expect(JSON.parse(after)).toEqual({ status: 'SERVING' });
    expect(method(served, 'cairn.registry.v1.RegistryService', 'DeleteRegisteredModel').responseSerialize({}).length).toBe(0);
  });

  it('leaves request decoding to proto-loader', () => {
    const before = method(reference, 'cairn.registry.v1.RegistryService', 'SearchRegisteredModels');
    const after = method(served, 'cairn.registry.v1.RegistryService', 'SearchRegisteredModels');
    const request = { filter: "name = 'a'", max_results: 5, order_by: ['name'] };
    expect(after.requestSerialize(request)).toEqual(before.requestSerialize(request));
    expect(after.requestDeserialize(before.requestSerialize({}))).toEqual(before.requestDeserialize(before.requestSerialize({})));
  });
});

describe('clientPackageDefinition', () => {
  const reference = loadSync(FILES, PROTO_LOADER_OPTIONS);
  const client = clientPackageDefinition(FILES);
  const service = 'cairn.registry.v1.RegistryService';

  it('hands responses over undecoded; receivedResponse decodes them as proto-loader did', () => {
    const before = method(reference, service, 'GetRegisteredModel');
    const after = method(client, service, 'GetRegisteredModel');
    const bytes = before.responseSerialize({ registered_model: { name: 'm', creation_timestamp: 5, tags: [{ key: 'k', value: 'v' }] } });
    const received = after.responseDeserialize(bytes);
    expect(received).toBeInstanceOf(ReceivedMessage);
    const decoded = receivedResponse<unknown>(received);
    expect(JSON.stringify(decoded)).toBe(JSON.stringify(before.responseDeserialize(bytes)));
  });

  it('reports undecodable bytes as grpc-js did, and refuses values of other clients', () => {
    const after = method(client, service, 'GetRegisteredModel');
    const received = after.responseDeserialize(Buffer.from([0x0a, 0x05, 0x01]));
    expect(() => receivedResponse(received)).toThrow(CairnError);
    expect(() => receivedResponse(received)).toThrow(/^Response message parsing error: /);
    expect(() => receivedResponse({ registered_model: {} })).toThrow(CairnError);
  });

  it('encodes requests so that the server decodes what proto-loader encoded', () => {
    const decodedBoth = (svc: string, name: string, request: unknown): [unknown, unknown] => {
      const before = method(reference, svc, name);
      const after = method(client, svc, name);
      return [before.requestDeserialize(before.requestSerialize(request)), before.requestDeserialize(after.requestSerialize(request))];
    };
    const cases: [string, string, unknown][] = [
      [service, 'GetRegisteredModel', { name: 'm' }],
      [service, 'SearchModelVersions', { filter: "tags.a = 'b'", max_results: 5, order_by: ['name', 'version_number DESC'], page_token: undefined }],
      [
        'cairn.tracking.v1.TrackingService',
        'LogBatch',
        {
          run_id: 'r',
          metrics: toMetricColumns([
            { key: 'nan', value: NaN, timestamp: 2 ** 53 - 1, step: -5, model_id: undefined },
            { key: 'ü✓', value: -Infinity, timestamp: 0, step: -(2 ** 53 - 1), model_id: 'm-1', dataset_name: 'd', dataset_digest: 'x' },
          ]),
          params: [{ key: 'p', value: '' }],
          tags: [],
        },
      ],
      ['cairn.tracking.v1.TrackingService', 'UpdateRun', { run_id: 'r', status: 'FINISHED', end_time: 7, run_name: '' }],
      ['grpc.health.v1.Health', 'Check', { service: '' }],
    ];
    for (const [svc, name, request] of cases) {
      const [before, after] = decodedBoth(svc, name, request);
      expect(after).toEqual(before);
    }
  });

  it('serialises an outgoingRequest as its message, once, and lets go of the message', () => {
    const serialize = method(client, 'cairn.tracking.v1.TrackingService', 'LogBatch').requestSerialize;
    const message = { run_id: 'r', metrics: toMetricColumns([{ key: 'k', value: 1, timestamp: 2, step: 3 }]), params: [], tags: [] };
    const outgoing = outgoingRequest(message);
    expect(outgoing).toBeInstanceOf(OutgoingRequest);
    expect(serialize(outgoing)).toEqual(serialize(message));
    expect(JSON.stringify(outgoing)).toBe('{"sent":true}');
    expect(() => serialize(outgoing)).toThrow('gRPC request serialised twice');
  });

  it('coerces what the generated code refuses as proto-loader does (a fraction in an int64), instead of failing', () => {
    const request = { run_id: 'r', status: 'FINISHED', end_time: 7.9, run_name: '' };
    const before = method(reference, 'cairn.tracking.v1.TrackingService', 'UpdateRun');
    const after = method(client, 'cairn.tracking.v1.TrackingService', 'UpdateRun');
    expect(after.requestSerialize(request)).toEqual(before.requestSerialize(request));
    expect(before.requestDeserialize(after.requestSerialize(request))).toMatchObject({ end_time: 7 });
  });
});

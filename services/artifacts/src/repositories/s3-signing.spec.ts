import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { AWS_CHUNK_BYTES, AwsChunkedEncoder, awsChunkedLength, signV4 } from './s3-signing';

async function encode(data: Buffer, pieceSize: number): Promise<Buffer> {
  const pieces = [];
  for (let at = 0; at < data.length; at += pieceSize) pieces.push(data.subarray(at, at + pieceSize));
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(pieces).pipe(new AwsChunkedEncoder(data.length)) as AsyncIterable<Buffer | string>) out.push(Buffer.from(chunk));
  return Buffer.concat(out);
}

describe('signV4', () => {
  it("matches AWS's documented example (GET Object with a Range header)", () => {
    const headers = signV4({
      method: 'GET',
      path: '/test.txt',
      headers: { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9' },
      payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      accessKey: 'AKIAIOSFODNN7EXAMPLE',
      secretKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      region: 'us-east-1',
      date: new Date('2013-05-24T00:00:00Z'),
    });
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });
});

describe('AwsChunkedEncoder', () => {
  it.each([0, 1, AWS_CHUNK_BYTES, AWS_CHUNK_BYTES + 1, 3 * AWS_CHUNK_BYTES - 7])(
    'frames %i bytes in fixed chunks with a CRC32 trailer, of the announced length',
    async (size) => {
      const data = randomBytes(size);
      const encoded = await encode(data, 100_000);
      expect(encoded.length).toBe(awsChunkedLength(size));
      // Decode it back.
      const decoded: Buffer[] = [];
      let at = 0;
      for (;;) {
        const eol = encoded.indexOf('\r\n', at);
        const length = parseInt(encoded.subarray(at, eol).toString(), 16);
        at = eol + 2;
        if (length === 0) break;
        expect(length === AWS_CHUNK_BYTES || decoded.reduce((n, b) => n + b.length, 0) + length === size).toBe(true);
        decoded.push(encoded.subarray(at, at + length));
        at += length + 2;
      }
      expect(Buffer.concat(decoded).equals(data)).toBe(true);
      const checksum = Buffer.alloc(4);
      checksum.writeUInt32BE(crc32(data) >>> 0);
      expect(encoded.subarray(at).toString()).toBe(`x-amz-checksum-crc32:${checksum.toString('base64')}\r\n\r\n`);
    },
  );

  it.each([
    ['shorter', 10, 5],
    ['longer', 10, 11],
  ])('fails a body %s than declared', async (_what, declared, actual) => {
    const encoder = new AwsChunkedEncoder(declared);
    const read = (async () => {
      for await (const _ of Readable.from([randomBytes(actual)]).pipe(encoder) as AsyncIterable<Buffer>) void _;
    })();
    await expect(read).rejects.toThrow(/declared 10 bytes/);
  });
});

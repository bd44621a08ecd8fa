import { parseListObjectsV2, rfc3986 } from './s3-list';

describe('parseListObjectsV2', () => {
  it('reads keys raw when the server did not URL-encode them (versitygw)', () => {
    const xml =
      '<ListBucketResult><Contents><Key>p/a b+c%41.txt</Key><Size>3</Size></Contents>' +
      '<Contents><Key>p/x&amp;y&#34;.txt</Key><Size>10</Size></Contents>' +
      '<CommonPrefixes><Prefix>p/dir/</Prefix></CommonPrefixes><IsTruncated>false</IsTruncated><EncodingType></EncodingType></ListBucketResult>';
    expect(parseListObjectsV2(xml)).toEqual({
      keys: [
        { key: 'p/a b+c%41.txt', size: 3 },
        { key: 'p/x&y".txt', size: 10 },
      ],
      prefixes: ['p/dir/'],
      nextToken: undefined,
    });
  });

  it('decodes keys when the server says EncodingType url (AWS, MinIO)', () => {
    const xml =
      '<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>p/a+b%2Bc%25.txt</Key><Size>1</Size></Contents>' +
      '<CommonPrefixes><Prefix>p/d%C3%A9j%C3%A0/</Prefix></CommonPrefixes>' +
      '<IsTruncated>true</IsTruncated><NextContinuationToken>tok/+=</NextContinuationToken></ListBucketResult>';
    expect(parseListObjectsV2(xml)).toEqual({
      keys: [{ key: 'p/a b+c%.txt', size: 1 }],
      prefixes: ['p/déjà/'],
      nextToken: 'tok/+=',
    });
  });

  it('encodes query values as SigV4 wants', () => {
    expect(rfc3986("a b/c+d*'()!~")).toBe('a%20b%2Fc%2Bd%2A%27%28%29%21~');
  });
});

import { artifactContentType, attachmentDisposition, jsonFileInfo, parseRangeHeader } from './artifacts.dto';

describe('parseRangeHeader', () => {
  it('reads one byte range in its three forms', () => {
    expect(parseRangeHeader('bytes=0-99')).toEqual({ start: 0, end: 99 });
    expect(parseRangeHeader('bytes=100-')).toEqual({ start: 100 });
    expect(parseRangeHeader('bytes=-500')).toEqual({ suffix_length: 500 });
    expect(parseRangeHeader(' Bytes = 5 - 6 ')).toEqual({ start: 5, end: 6 });
  });

  it('ignores what it cannot serve as one range (the whole file is sent)', () => {
    for (const header of [undefined, '', 'bytes=', 'bytes=-', 'bytes=0-1,5-6', 'items=0-1', 'bytes=9-3', 'bytes=a-b', `bytes=0-${'9'.repeat(30)}`]) {
      expect(parseRangeHeader(header)).toBeUndefined();
    }
  });
});

describe('served files', () => {
  it('uses MLflow content types', () => {
    expect(artifactContentType('MLmodel')).toBe('text/plain');
    expect(artifactContentType('conda.yaml')).toBe('text/plain');
    expect(artifactContentType('model.pkl')).toBe('application/octet-stream');
    expect(artifactContentType('plot.PNG')).toBe('image/png');
  });

  it('always serves as an attachment, with a safe ASCII name', () => {
    expect(attachmentDisposition('model.pkl')).toBe('attachment; filename="model.pkl"');
    expect(attachmentDisposition('déjà vu.txt')).toBe(`attachment; filename="d_j_ vu.txt"; filename*=UTF-8''d%C3%A9j%C3%A0%20vu.txt`);
    expect(attachmentDisposition('a"b.txt')).toContain('filename="a_b.txt"');
  });

  it('lists directories without a size', () => {
    expect(jsonFileInfo({ path: 'd', is_dir: true }, 'sub')).toEqual({ path: 'sub/d', is_dir: true });
    expect(jsonFileInfo({ path: 'f', is_dir: false, file_size: 3 }, '')).toEqual({ path: 'f', is_dir: false, file_size: 3 });
  });
});

import { jsonBody, jsonPage } from './json-body';

describe('jsonBody', () => {
  it('joins the elements with commas between head and tail, as UTF-8', () => {
    expect(jsonBody('{"runs":[', ['{"name":"ü✓"}', '1', '"😀"'], '],"x":"é"}')).toEqual(Buffer.from('{"runs":[{"name":"ü✓"},1,"😀"],"x":"é"}'));
    expect(jsonBody('{"runs":[', [], ']}')).toEqual(Buffer.from('{"runs":[]}'));
    expect(jsonBody('[', ['"a"'], ']')).toEqual(Buffer.from('["a"]'));
  });
});

describe('jsonPage', () => {
  it('is MLflow page body, the token only when there is one', () => {
    expect(JSON.parse(jsonPage('runs', ['{"a":1}', '{"a":2}'], 'tok"en').toString())).toEqual({ runs: [{ a: 1 }, { a: 2 }], next_page_token: 'tok"en' });
    expect(jsonPage('model_versions', [], '').toString()).toBe('{"model_versions":[]}');
    expect(jsonPage('metrics', ['1']).toString()).toBe('{"metrics":[1]}');
  });
});

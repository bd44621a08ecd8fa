import { MATCH_COUNTS_TTL_MS, MatchCounts } from './match-counts';

describe('MatchCounts', () => {
  const statement = (value: string) => ({ sql: 'SELECT k0, k1 FROM counts WHERE v = $1', params: [value], n: 2 });

  it('counts once per statement and parameters, then reuses the counts until they are MATCH_COUNTS_TTL_MS old', async () => {
    let now = 1_000;
    const counts = new MatchCounts(() => now);
    const run = jest.fn(async (_sql: string, params: unknown[]) => [{ k0: '12', k1: params[0] === 'a' ? 3 : 4 }]);
    expect(await counts.get(statement('a'), run)).toEqual([12, 3]); // bigint counts arrive as strings
    expect(await counts.get(statement('b'), run)).toEqual([12, 4]);
    expect(run).toHaveBeenCalledTimes(2);
    now += MATCH_COUNTS_TTL_MS - 1;
    expect(await counts.get(statement('a'), run)).toEqual([12, 3]);
    expect(run).toHaveBeenCalledTimes(2);
    now += 1;
    expect(await counts.get(statement('a'), run)).toEqual([12, 3]);
    expect(run).toHaveBeenCalledTimes(3);
  });

  it('keeps a bounded number of statements', async () => {
    const counts = new MatchCounts(() => 0);
    const run = jest.fn(async () => [{ k0: 1, k1: 2 }]);
    for (let i = 0; i <= 1000; i++) await counts.get(statement(String(i)), run);
    await counts.get(statement('0'), run); // forgotten when the 1001st came
    expect(run).toHaveBeenCalledTimes(1002);
  });
});

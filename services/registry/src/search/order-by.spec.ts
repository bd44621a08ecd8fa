import { CairnError } from '@cairn/contracts';
import { parseModelOrderBy, parseVersionOrderBy } from './order-by';

describe('order_by', () => {
  it('registered models: timestamp means last update; name ASC breaks ties', () => {
    expect(parseModelOrderBy([])).toEqual([{ key: 'name', ascending: true }]);
    expect(parseModelOrderBy(['timestamp DESC'])).toEqual([
      { key: 'last_updated_timestamp', ascending: false },
      { key: 'name', ascending: true },
    ]);
    expect(parseModelOrderBy(['name desc'])).toEqual([{ key: 'name', ascending: false }]);
  });

  it('model versions: MLflow’s default, and version DESC breaks ties', () => {
    expect(parseVersionOrderBy([])).toEqual([
      { key: 'last_updated_timestamp', ascending: false },
      { key: 'name', ascending: true },
      { key: 'version_number', ascending: false },
    ]);
    expect(parseVersionOrderBy(['version_number ASC'])).toEqual([
      { key: 'version_number', ascending: true },
      { key: 'name', ascending: true },
    ]);
    expect(parseVersionOrderBy(['attribute.creation_timestamp'])[0]).toEqual({ key: 'creation_timestamp', ascending: true });
  });

  it('refuses unknown keys, bad directions and duplicates', () => {
    for (const bad of [['stage'], ['name sideways'], ['name', 'name DESC'], ['tags.x'], ['a b c']]) {
      expect(() => parseVersionOrderBy(bad)).toThrow(CairnError);
    }
    expect(() => parseModelOrderBy(['version_number'])).toThrow(/Invalid order by key 'version_number'/);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyFilters, paginate } from './filters.js';
import { ApiError } from './errors.js';

interface Item {
  id: string;
  state: string;
  tags: { key: string; value: string }[];
}
const items: Item[] = [
  { id: 'a', state: 'available', tags: [{ key: 'Name', value: 'web' }] },
  { id: 'b', state: 'pending', tags: [{ key: 'Name', value: 'db' }] },
  { id: 'c', state: 'available', tags: [] },
];
const table = { state: (i: Item) => i.state, id: (i: Item) => i.id };

test('OR within a filter, AND across filters, tags and wildcards', () => {
  assert.deepEqual(
    applyFilters(items, [{ Name: 'state', Value: ['available', 'pending'] }], table).map((i) => i.id),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(
    applyFilters(
      items,
      [
        { Name: 'state', Value: ['available'] },
        { Name: 'tag:Name', Value: ['w*'] },
      ],
      table,
    ).map((i) => i.id),
    ['a'],
  );
  assert.deepEqual(
    applyFilters(items, [{ Name: 'tag-key', Value: ['Name'] }], table).map((i) => i.id),
    ['a', 'b'],
  );
  assert.deepEqual(
    applyFilters(items, [{ Name: 'state', Value: ['Available'] }], table).length,
    0,
    'case-sensitive',
  );
  assert.throws(
    () => applyFilters(items, [{ Name: 'bogus', Value: ['x'] }], table),
    (e) => e instanceof ApiError && e.code === 'InvalidFilter',
  );
});

test('pagination: tokens change per page, clamp, minimum, bad token', () => {
  const many = Array.from({ length: 12 }, (_, i) => ({ id: `i${i}` }));
  const p1 = paginate(many, (x) => x.id, 5, undefined);
  assert.equal(p1.items.length, 5);
  assert.ok(p1.nextToken);
  const p2 = paginate(many, (x) => x.id, 5, p1.nextToken);
  assert.deepEqual(
    p2.items.map((x) => x.id),
    ['i5', 'i6', 'i7', 'i8', 'i9'],
  );
  assert.notEqual(p2.nextToken, p1.nextToken);
  const p3 = paginate(many, (x) => x.id, 5, p2.nextToken);
  assert.equal(p3.items.length, 2);
  assert.equal(p3.nextToken, undefined);
  assert.equal(paginate(many, (x) => x.id, 5000, undefined, { max: 1000 }).items.length, 12);
  assert.throws(
    () => paginate(many, (x) => x.id, 1, undefined),
    (e) => e instanceof ApiError && e.code === 'InvalidParameterValue',
  );
  assert.throws(
    () => paginate(many, (x) => x.id, 5, 'garbage!'),
    (e) => e instanceof ApiError && e.code === 'InvalidPaginationToken',
  );
});

test('limits: 200 filter values per call over all filters, 255 characters per value', () => {
  const limit = (filters: { Name: string; Value: string[] }[]) =>
    assert.throws(
      () => applyFilters(items, filters, table),
      (e) => e instanceof ApiError && e.code === 'FilterLimitExceeded',
    );
  const vals = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`);
  limit([{ Name: 'state', Value: vals(201) }]);
  limit([
    { Name: 'state', Value: vals(100) },
    { Name: 'id', Value: vals(101) },
  ]);
  limit([{ Name: 'state', Value: ['x'.repeat(256)] }]);
  // The limits hold even when there is nothing to filter.
  assert.throws(() => applyFilters([], [{ Name: 'state', Value: vals(201) }], table));
  assert.equal(applyFilters(items, [{ Name: 'state', Value: [...vals(199), 'available'] }], table).length, 2);
  assert.equal(applyFilters(items, [{ Name: 'state', Value: ['*'.repeat(254) + 'e'] }], table).length, 2);
});

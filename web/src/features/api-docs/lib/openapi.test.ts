import { describe, expect, it } from 'vitest';
import { deref, filterGroups, groupOperations, type OpenApiDocument } from './openapi';

const doc: OpenApiDocument = {
  openapi: '3.1.0',
  info: { title: 'T', version: '1' },
  tags: [{ name: 'ops', description: 'Ops' }, { name: 'empty' }],
  paths: {
    '/readyz': { get: { tags: ['ops'], summary: 'Readiness', responses: { '200': { $ref: '#/components/responses/Ok' } } } },
    '/items/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true }],
      get: { summary: 'Get item' },
      delete: { summary: 'Delete item', parameters: [{ name: 'id', in: 'path', description: 'override' }] },
    },
  },
  components: { responses: { Ok: { description: 'fine' } } },
};

describe('openapi helpers', () => {
  it('groups operations by first tag, keeps tag order and drops empty tags', () => {
    const groups = groupOperations(doc);
    expect(groups.map((g) => g.name)).toEqual(['ops', 'default']);
    expect(groups[1]?.operations.map((o) => o.key)).toEqual(['get /items/{id}', 'delete /items/{id}']);
  });

  it('merges path-level parameters, letting the operation override', () => {
    const ops = groupOperations(doc)[1]!.operations;
    expect(ops[0]?.parameters).toHaveLength(1);
    expect(ops[1]?.parameters).toEqual([{ name: 'id', in: 'path', description: 'override' }]);
  });

  it('filters by method, path or summary', () => {
    const groups = groupOperations(doc);
    expect(filterGroups(groups, 'delete').flatMap((g) => g.operations.map((o) => o.key))).toEqual(['delete /items/{id}']);
    expect(filterGroups(groups, 'READI')[0]?.name).toBe('ops');
    expect(filterGroups(groups, 'nothing-here')).toEqual([]);
  });

  it('resolves local refs', () => {
    expect(deref(doc, { $ref: '#/components/responses/Ok' })).toEqual({ description: 'fine' });
    expect(deref(doc, { $ref: '#/components/responses/Missing' })).toBeUndefined();
  });
});

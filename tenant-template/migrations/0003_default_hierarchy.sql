-- Migration 0003: every new registry starts with the default hierarchy My Product > My Domain > My Context.
-- Fixed ids (UUIDv7-shaped, timestamp 0) so they sort first in lists and tests can find them.
-- Seeded only into an empty registry: a tenant that already has products gets nothing, and each
-- level is inserted only when its parent is the default one just created.
-- The bodies must satisfy the collections' zod schemas (tests/tenant-template/registry/default-hierarchy.test.ts checks).

INSERT INTO products (id, body, created_at, updated_at, _version)
SELECT '00000000-0000-7000-8000-000000000001', '{"name":"My Product","description":"Created with the registry. Rename it or delete it."}',
  strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 1
WHERE NOT EXISTS (SELECT 1 FROM products);

INSERT INTO domains (id, body, created_at, updated_at, _version)
SELECT '00000000-0000-7000-8000-000000000002', '{"productId":"00000000-0000-7000-8000-000000000001","name":"My Domain"}',
  strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 1
WHERE EXISTS (SELECT 1 FROM products WHERE id = '00000000-0000-7000-8000-000000000001')
  AND NOT EXISTS (SELECT 1 FROM domains WHERE id = '00000000-0000-7000-8000-000000000002');

INSERT INTO contexts (id, body, created_at, updated_at, _version)
SELECT '00000000-0000-7000-8000-000000000003', '{"domainId":"00000000-0000-7000-8000-000000000002","name":"My Context"}',
  strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 1
WHERE EXISTS (SELECT 1 FROM domains WHERE id = '00000000-0000-7000-8000-000000000002')
  AND NOT EXISTS (SELECT 1 FROM contexts WHERE id = '00000000-0000-7000-8000-000000000003');

-- Migration 0008: schema ids numbered per context, as Confluent numbers them (docs/confluent-api.md,
-- "Contexts"): each context hands out its own ids from 1, and an id is looked up in one context
-- (the default one, `/contexts/{ctx}/...`, or the context of `?subject=`).
--
-- confluent_schema_ids keeps one row per distinct schema (its `id` is now the row's key, used by
-- confluent_versions.global_id and confluent_references.global_id); this table says which id
-- each context gives a row. A row is given an id in a context the first time a subject there
-- uses it: the next one above the highest that context has handed out, so an id is never handed
-- out twice in a context (rows are never deleted: ids outlive their versions).
CREATE TABLE confluent_context_ids (
  context TEXT NOT NULL,
  id INTEGER NOT NULL,
  schema_row INTEGER NOT NULL,
  PRIMARY KEY (context, id)
);
CREATE INDEX confluent_context_ids_row_idx ON confluent_context_ids (schema_row, context);

-- Every id handed out before keeps its number where clients may have seen it: in the default
-- context (where every id used to be found) and in each named context that used it.
INSERT INTO confluent_context_ids (context, id, schema_row) SELECT '.', id, id FROM confluent_schema_ids;
INSERT OR IGNORE INTO confluent_context_ids (context, id, schema_row)
  SELECT DISTINCT c.name, v.global_id, v.global_id
    FROM confluent_versions v JOIN schemas s ON s.id = v.schema_id JOIN contexts c ON c.id = s.context_id
   WHERE c.id != '00000000-0000-7000-8000-000000000003' AND c.domain_id = '00000000-0000-7000-8000-000000000002';

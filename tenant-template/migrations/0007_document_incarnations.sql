-- Migration 0007: every document row gets an incarnation, a number that no earlier row of any
-- collection has had, set when the row is inserted. The read cache keys its entries on it
-- (docs/read-cache.md, "Same incarnation"), so a document deleted and inserted again under the
-- same id, at the same version, even with the same timestamps (an import with fixed ids within one
-- millisecond), is never answered with the body of the row it replaced.
--
-- Why not the rowid: these tables have no AUTOINCREMENT, so SQLite gives a new row max(rowid) + 1;
-- delete the row holding the largest rowid, insert again, and the same rowid is handed out again.
-- The counter below only grows: each insert adds one to it and takes the new value.
--
-- Expand only, safe with the code of the previous template running: the column has a default, so
-- no INSERT has to name it; rows that exist now keep 0, which no later row can get (the counter
-- starts at 1); and the trigger numbers every insert, whoever makes it (the registry API, imports,
-- the Confluent API, migration 0003's seed), so no code path can forget to.

-- One row, written only by the triggers below.
CREATE TABLE document_incarnations (last INTEGER NOT NULL);
INSERT INTO document_incarnations (last) VALUES (0);

ALTER TABLE products ADD COLUMN _incarnation INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER products_incarnation AFTER INSERT ON products BEGIN
  UPDATE document_incarnations SET last = last + 1;
  UPDATE products SET _incarnation = (SELECT last FROM document_incarnations) WHERE id = NEW.id;
END;

ALTER TABLE domains ADD COLUMN _incarnation INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER domains_incarnation AFTER INSERT ON domains BEGIN
  UPDATE document_incarnations SET last = last + 1;
  UPDATE domains SET _incarnation = (SELECT last FROM document_incarnations) WHERE id = NEW.id;
END;

ALTER TABLE contexts ADD COLUMN _incarnation INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER contexts_incarnation AFTER INSERT ON contexts BEGIN
  UPDATE document_incarnations SET last = last + 1;
  UPDATE contexts SET _incarnation = (SELECT last FROM document_incarnations) WHERE id = NEW.id;
END;

ALTER TABLE schemas ADD COLUMN _incarnation INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER schemas_incarnation AFTER INSERT ON schemas BEGIN
  UPDATE document_incarnations SET last = last + 1;
  UPDATE schemas SET _incarnation = (SELECT last FROM document_incarnations) WHERE id = NEW.id;
END;

ALTER TABLE schema_versions ADD COLUMN _incarnation INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER schema_versions_incarnation AFTER INSERT ON schema_versions BEGIN
  UPDATE document_incarnations SET last = last + 1;
  UPDATE schema_versions SET _incarnation = (SELECT last FROM document_incarnations) WHERE id = NEW.id;
END;

-- GET /users?search= at millions of users: a trigram index over the searchable text.
--
-- The search matches username, email and display name as plain text without regard to case. It
-- runs as one ILIKE on one expression, the three fields joined by U+0001, a control character no
-- search term can contain (the edge refuses them): a term matches the joined text exactly when it
-- matches one field, never across two. pg_trgm's GIN operator class answers ILIKE '%term%' from
-- the trigrams of the term (case-folded), and the planner decides per search, with the term in
-- hand (the admin pool's custom plans), between this index plus a sort (a rare term) and a walk of
-- users_created_at_id that stops after a page of matches (a common term). The query's expression
-- must stay exactly this one (io.latchkey.user.repo.UserRepository.SEARCH_TEXT), or the index is
-- not used. ANALYZE gathers the expression's statistics from this index: the planner's estimate
-- of how many users a term matches.
--
-- pg_trgm ships with PostgreSQL (Debian: in the server package). It is a trusted extension since
-- PostgreSQL 13, so the database owner (or any role with CREATE on the database) may create it; on
-- a managed PostgreSQL where the migration's role may not, an administrator creates it beforehand
-- in a schema on that role's search path (docs/OPERATING.md, "Search"). Created here, it lands in
-- this schema, the first of Flyway's search path.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Building the index locks writes to users for as long as it takes (measured: 20 s at 1,000,000
-- users with maintenance_work_mem at 64MB). A large deployment can build it beforehand without
-- that lock, with CREATE INDEX CONCURRENTLY and exactly this name and definition
-- (docs/OPERATING.md): this migration then keeps it, unless the concurrent build failed and left
-- it invalid, in which case it is built again here.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             WHERE c.relname = 'users_search_trgm' AND c.relnamespace = current_schema()::regnamespace
               AND NOT i.indisvalid) THEN
    DROP INDEX users_search_trgm;
  END IF;
END
$$;

CREATE INDEX IF NOT EXISTS users_search_trgm ON users
  USING gin ((username || E'\x01' || email || E'\x01' || coalesce(display_name, '')) gin_trgm_ops);

-- The expression's statistics now, not at autovacuum's next visit: without them the planner
-- guesses how common a term is from its length and would sort a common term's matches.
ANALYZE users;

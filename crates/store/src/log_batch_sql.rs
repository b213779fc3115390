//! The two statements of a message batch (`log_batch`) as query types that diesel
//! prepares once per connection and then reuses.
//!
//! `diesel::sql_query` is never cached: PostgreSQL would parse, analyse and plan these
//! joins and CTEs for every batch, which measured 40 % of the database's CPU in the
//! MLLP benchmark. Diesel caches a prepared statement per query *type* (`QueryId`),
//! so each statement here is its own type. Placeholders are written `?` in bind order
//! and become `$1, $2, …` as the binds are pushed.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Binary, Bool, Nullable, Text, Untyped};

/// Planner settings for a batch's transaction (see `log_batch::begin_and_lock`).
pub(crate) const BATCH_PLANNER_SETTINGS: &str =
    "SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL enable_seqscan = off";

/// Earlier log entries and locked pointers; see `log_batch` for the row shape.
///
/// The plan is generic and cached per connection, so it must be right even when it was
/// made on an empty, never-analysed table (a new deployment): then PostgreSQL pulled a
/// plain join of the log up into a scan of the whole retention window (by `received_at`)
/// for every batch, and 350-430 messages/s instead of over 2,000 until autovacuum's
/// first ANALYZE. The log lookup is therefore a LATERAL subquery fenced by `OFFSET 0`
/// (one index lookup per key, whatever the statistics say); the pointers' join keeps
/// its sort-then-lock shape, and `log_batch` turns sequential scans off for the batch.
const READ_STATE: &str = "\
WITH pointers AS (
    SELECT c.tenant, c.resource_type, c.resource_id, c.version, c.last_updated, c.deleted
      FROM resource_current AS c
      JOIN unnest(?::text[], ?::text[], ?::text[]) AS k (tenant, resource_type, resource_id)
        ON c.tenant = k.tenant AND c.resource_type = k.resource_type
       AND c.resource_id = k.resource_id
     ORDER BY c.tenant, c.resource_type, c.resource_id
       FOR UPDATE OF c)
SELECT 'log' AS kind, l.tenant, l.sender AS a, l.control_id AS b, l.seq AS n,
       l.received_at AS at, l.ack IS NOT NULL AS flag, l.content_hash AS hash
  FROM unnest(?::text[], ?::text[], ?::text[]) AS k (tenant, sender, control_id)
 CROSS JOIN LATERAL (
       SELECT * FROM message_log AS l
        WHERE l.tenant = k.tenant AND l.sender = k.sender AND l.control_id = k.control_id
          AND l.received_at >= ? AND l.replay_of IS NULL
       OFFSET 0) AS l
UNION ALL
SELECT 'pointer', tenant, resource_type, resource_id, version, last_updated, deleted, NULL
  FROM pointers
ORDER BY kind, n";

/// New versions, moved pointers (one row per resource) and new log rows; unnest zips
/// the parameter arrays into rows.
const WRITE_ALL: &str = "\
WITH versions AS (
    INSERT INTO resource_version
           (tenant, resource_type, resource_id, version, last_updated, method, deleted, body)
    SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[],
                         ?::text[], ?::bool[], ?::text[])),
pointers AS (
    INSERT INTO resource_current
           (tenant, resource_type, resource_id, version, last_updated, method, deleted, body)
    SELECT * FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::bigint[],
                         ?::text[], ?::bool[], ?::text[])
    ON CONFLICT (tenant, resource_type, resource_id) DO UPDATE
       SET version = EXCLUDED.version, last_updated = EXCLUDED.last_updated,
           method = EXCLUDED.method, deleted = EXCLUDED.deleted, body = EXCLUDED.body)
INSERT INTO message_log
       (seq, tenant, received_at, sender, control_id, message_type, content_hash, raw,
        status, ack, issues, flags, replay_of)
SELECT * FROM unnest(?::bigint[], ?::text[], ?::bigint[], ?::text[], ?::text[],
                     ?::text[], ?::text[], ?::bytea[], ?::text[], ?::bytea[],
                     ?::text[], ?::text[], ?::bigint[])";

/// Pushes `sql` with one bind per `?`, in order.
macro_rules! push_with_binds {
    ($out:ident, $sql:expr, $(($sql_type:ty, $value:expr)),+ $(,)?) => {{
        let mut pieces = $sql.split('?');
        $out.push_sql(pieces.next().unwrap_or_default());
        $(
            $out.push_bind_param::<$sql_type, _>($value)?;
            $out.push_sql(pieces.next().unwrap_or_default());
        )+
        Ok(())
    }};
}

/// Declares a query type that diesel caches as a prepared statement.
macro_rules! prepared_query {
    ($name:ident, $marker:ident) => {
        /// Cache key of the prepared statement (one per query type).
        pub(crate) struct $marker;

        impl QueryId for $name<'_> {
            type QueryId = $marker;
            const HAS_STATIC_QUERY_ID: bool = true;
        }

        impl Query for $name<'_> {
            type SqlType = Untyped;
        }

        impl RunQueryDsl<PgConnection> for $name<'_> {}
    };
}

/// The parameters of [`READ_STATE`], column by column.
pub(crate) struct ReadState<'a> {
    pub resource_tenants: Vec<&'a str>,
    pub resource_types: Vec<&'a str>,
    pub resource_ids: Vec<&'a str>,
    pub log_tenants: Vec<&'a str>,
    pub senders: Vec<&'a str>,
    pub control_ids: Vec<&'a str>,
    pub received_since: i64,
}

prepared_query!(ReadState, ReadStateStatement);

impl QueryFragment<Pg> for ReadState<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        push_with_binds!(
            out,
            READ_STATE,
            (Array<Text>, &self.resource_tenants),
            (Array<Text>, &self.resource_types),
            (Array<Text>, &self.resource_ids),
            (Array<Text>, &self.log_tenants),
            (Array<Text>, &self.senders),
            (Array<Text>, &self.control_ids),
            (BigInt, &self.received_since),
        )
    }
}

/// Version (or pointer) rows, column by column.
#[derive(Default)]
pub(crate) struct VersionColumns<'a> {
    pub tenants: Vec<&'a str>,
    pub types: Vec<&'a str>,
    pub ids: Vec<&'a str>,
    pub versions: Vec<i64>,
    pub last_updated: Vec<i64>,
    pub methods: Vec<&'a str>,
    pub deleted: Vec<bool>,
    pub bodies: Vec<Option<&'a str>>,
}

/// Log rows, column by column.
#[derive(Default)]
pub(crate) struct LogColumns<'a> {
    pub seqs: Vec<i64>,
    pub tenants: Vec<&'a str>,
    pub received_at: Vec<i64>,
    pub senders: Vec<&'a str>,
    pub control_ids: Vec<&'a str>,
    pub message_types: Vec<&'a str>,
    pub content_hashes: Vec<&'a str>,
    pub raws: Vec<&'a [u8]>,
    pub statuses: Vec<&'a str>,
    pub acks: Vec<Option<&'a [u8]>>,
    pub issues: Vec<&'a str>,
    pub flags: Vec<Option<&'a str>>,
    pub replays_of: Vec<Option<i64>>,
}

/// The parameters of [`WRITE_ALL`].
pub(crate) struct WriteAll<'a> {
    pub versions: VersionColumns<'a>,
    pub pointers: VersionColumns<'a>,
    pub log: LogColumns<'a>,
}

prepared_query!(WriteAll, WriteAllStatement);

impl QueryFragment<Pg> for WriteAll<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let (v, p, l) = (&self.versions, &self.pointers, &self.log);
        push_with_binds!(
            out,
            WRITE_ALL,
            (Array<Text>, &v.tenants),
            (Array<Text>, &v.types),
            (Array<Text>, &v.ids),
            (Array<BigInt>, &v.versions),
            (Array<BigInt>, &v.last_updated),
            (Array<Text>, &v.methods),
            (Array<Bool>, &v.deleted),
            (Array<Nullable<Text>>, &v.bodies),
            (Array<Text>, &p.tenants),
            (Array<Text>, &p.types),
            (Array<Text>, &p.ids),
            (Array<BigInt>, &p.versions),
            (Array<BigInt>, &p.last_updated),
            (Array<Text>, &p.methods),
            (Array<Bool>, &p.deleted),
            (Array<Nullable<Text>>, &p.bodies),
            (Array<BigInt>, &l.seqs),
            (Array<Text>, &l.tenants),
            (Array<BigInt>, &l.received_at),
            (Array<Text>, &l.senders),
            (Array<Text>, &l.control_ids),
            (Array<Text>, &l.message_types),
            (Array<Text>, &l.content_hashes),
            (Array<Binary>, &l.raws),
            (Array<Text>, &l.statuses),
            (Array<Nullable<Binary>>, &l.acks),
            (Array<Text>, &l.issues),
            (Array<Nullable<Text>>, &l.flags),
            (Array<Nullable<BigInt>>, &l.replays_of),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_match_the_binds() {
        assert_eq!(READ_STATE.matches('?').count(), 7);
        assert_eq!(WRITE_ALL.matches('?').count(), 29);
    }

    /// The generic plan PostgreSQL makes for [`READ_STATE`] on a freshly migrated schema.
    fn explain_read_state(url: &str) -> Vec<String> {
        use diesel::connection::SimpleConnection;
        use diesel_migrations::MigrationHarness;
        #[derive(QueryableByName)]
        struct PlanLine {
            #[diesel(column_name = "QUERY PLAN", sql_type = Text)]
            line: String,
        }
        let mut conn = PgConnection::establish(url)
            .unwrap_or_else(|error| panic!("connect to {url}: {error}"));
        conn.run_pending_migrations(crate::migrate::POSTGRES)
            .unwrap_or_else(|error| panic!("migrations: {error}"));
        let mut numbered = String::new();
        for (n, piece) in READ_STATE.split('?').enumerate() {
            if n > 0 {
                numbered.push_str(&format!("${n}"));
            }
            numbered.push_str(piece);
        }
        conn.batch_execute(&format!(
            "BEGIN; {BATCH_PLANNER_SETTINGS}; PREPARE read_state AS {numbered}"
        ))
        .unwrap_or_else(|error| panic!("prepare: {error}"));
        let plan: Vec<PlanLine> = diesel::sql_query(
            "EXPLAIN EXECUTE read_state('{default}', '{Patient}', '{p1}', \
             '{default}', '{LAB^HOSP}', '{C1}', 0)",
        )
        .load(&mut conn)
        .unwrap_or_else(|error| panic!("explain: {error}"));
        plan.into_iter().map(|row| row.line).collect::<Vec<_>>()
    }

    /// A new deployment plans the batch read on empty, never-analysed tables and keeps
    /// that generic plan: it must look every key up by index rather than scan the log's
    /// retention window (or the pointer table) for every batch.
    #[test]
    fn the_generic_read_plan_on_empty_tables_looks_keys_up_by_index() {
        let admin_url = std::env::var("FHIRGATE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test?sslmode=disable".into());
        let schema = format!("t_plan_{}", std::process::id());
        let url = crate::admin::create_postgres_schema(&admin_url, &schema)
            .unwrap_or_else(|error| panic!("PostgreSQL at {admin_url} is needed: {error}"));
        let plan = explain_read_state(&url);
        let _ = crate::admin::drop_postgres_schema(&admin_url, &schema);
        let text = plan.join("\n");
        assert!(!text.contains("Seq Scan"), "{text}");
        // One index lookup per key: every key column is an index condition.
        assert!(
            text.contains("Index Scan using message_log_by_control_id on message_log")
                && text.contains("AND (control_id = k.control_id) AND (received_at >= $7))"),
            "{text}"
        );
        assert!(
            text.contains("Index Scan using resource_current_pkey on resource_current")
                && text.contains(".resource_id))"),
            "{text}"
        );
    }
}

/*
 * The store's foundation and its administrative records: opening the data
 * folder, schema migrations, the writer and the reader pool, the statement
 * cache, and organizations, tokens, collections and grants.
 *
 * Objects, queries and status resources live in store-objects.c.
 */
#include <errno.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fenghuo/json.h"
#include "fenghuo/policy.h"
#include "fenghuo/time.h"
#include "fenghuo/uuid.h"
#include "store/store-int.h"

/* ---- helpers ------------------------------------------------------------ */

int64_t fh__store_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void fh__store_sha256(const void *data, size_t len, uint8_t out[32])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, len, data);
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

void fh_store_format_us(int64_t us, char buf[32])
{
    int64_t sec = us / 1000000;
    int64_t rem = us % 1000000;
    if (rem < 0) {
        rem += 1000000;
        sec -= 1;
    }
    fh_time t = {.sec = sec, .nsec = (uint32_t)(rem * 1000), .frac_digits = 6};
    fh_time_format_digits(&t, 6, buf, 32);
}

static void now_string(char buf[32])
{
    fh_store_format_us(fh__store_now_us(), buf);
}

fh_err fh__store_dberr(struct fh__store_conn *c, const char *what)
{
    fh_error("store", "%s: %s", what, sqlite3_errmsg(c->db));
    return FH_ERR_DB;
}

int fh__store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v == NULL)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

sqlite3_stmt *fh__store_stmt_lit(struct fh__store_conn *c, const char *sql)
{
    /* A string literal lives at one address for the life of the process and
     * no heap buffer can share it, so the address alone identifies it. */
    for (unsigned i = 0; i < FH__STORE_STMT_CACHE; i++) {
        struct fh__store_cached *e = &c->cache[i];
        if (e->key == sql && e->sql) {
            sqlite3_reset(e->stmt);
            sqlite3_clear_bindings(e->stmt);
            return e->stmt;
        }
    }
    return fh__store_stmt(c, sql);
}

fh_err fh__store_step_done(struct fh__store_conn *c, sqlite3_stmt *st, const char *what)
{
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE ? FH_OK : fh__store_dberr(c, what);
}

fh_err fh__store_org_update(struct fh__store_conn *w, const char *org, const char *update,
                            int value, const char *what, char org_id[FH_STORE_ID_STRLEN])
{
    fh_err rc = fh__store_org_find(w, org, org_id);
    if (rc)
        return rc;
    sqlite3_stmt *st = fh__store_stmt_lit(w, update);
    if (st == NULL)
        return FH_ERR_DB;
    fh__store_bind_text(st, 1, org_id);
    sqlite3_bind_int(st, 2, value);
    return fh__store_step_done(w, st, what);
}

sqlite3_stmt *fh__store_stmt(struct fh__store_conn *c, const char *sql)
{
    for (unsigned i = 0; i < FH__STORE_STMT_CACHE; i++) {
        struct fh__store_cached *e = &c->cache[i];
        if (e->sql && strcmp(e->sql, sql) == 0) {
            sqlite3_reset(e->stmt);
            sqlite3_clear_bindings(e->stmt);
            return e->stmt;
        }
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        fh_error("store", "cannot prepare a statement: %s", sqlite3_errmsg(c->db));
        return NULL;
    }
    unsigned slot = FH__STORE_STMT_CACHE;
    for (unsigned i = 0; i < FH__STORE_STMT_CACHE; i++) {
        if (c->cache[i].sql == NULL) {
            slot = i;
            break;
        }
    }
    if (slot == FH__STORE_STMT_CACHE) {
        slot = c->evict;
        c->evict = (c->evict + 1) % FH__STORE_STMT_CACHE;
        sqlite3_finalize(c->cache[slot].stmt);
        free(c->cache[slot].sql);
    }
    c->cache[slot].sql = fh_xstrdup(sql);
    c->cache[slot].key = sql;
    c->cache[slot].stmt = st;
    return st;
}

fh_err fh__store_exec(struct fh__store_conn *c, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fh_error("store", "%s", msg ? msg : sqlite3_errmsg(c->db));
        sqlite3_free(msg);
        return FH_ERR_DB;
    }
    return FH_OK;
}

static void conn_close(struct fh__store_conn *c)
{
    for (unsigned i = 0; i < FH__STORE_STMT_CACHE; i++) {
        if (c->cache[i].stmt)
            sqlite3_finalize(c->cache[i].stmt);
        free(c->cache[i].sql);
        c->cache[i].stmt = NULL;
        c->cache[i].sql = NULL;
    }
    if (c->db)
        sqlite3_close(c->db);
    c->db = NULL;
}

struct fh__store_conn *fh__store_reader(fh_store *s)
{
    pthread_mutex_lock(&s->read_lock);
    for (;;) {
        for (unsigned i = 0; i < s->n_readers; i++) {
            if (!s->readers[i].busy) {
                s->readers[i].busy = true;
                pthread_mutex_unlock(&s->read_lock);
                return &s->readers[i];
            }
        }
        pthread_cond_wait(&s->read_cond, &s->read_lock);
    }
}

void fh__store_reader_done(fh_store *s, struct fh__store_conn *c)
{
    pthread_mutex_lock(&s->read_lock);
    c->busy = false;
    pthread_cond_signal(&s->read_cond);
    pthread_mutex_unlock(&s->read_lock);
}

fh_err fh__store_begin(fh_store *s)
{
    pthread_mutex_lock(&s->write_lock);
    fh_err rc = fh__store_exec(&s->writer, "BEGIN IMMEDIATE");
    if (rc)
        pthread_mutex_unlock(&s->write_lock);
    return rc;
}

fh_err fh__store_end(fh_store *s, fh_err rc)
{
    if (rc == FH_OK) {
        rc = fh__store_exec(&s->writer, "COMMIT");
        if (rc)
            fh__store_exec(&s->writer, "ROLLBACK");
    } else {
        fh__store_exec(&s->writer, "ROLLBACK");
    }
    pthread_mutex_unlock(&s->write_lock);
    return rc;
}

fh_err fh__store_collection_n(struct fh__store_conn *c, const char *id, int64_t *n)
{
    sqlite3_stmt *st = fh__store_stmt_lit(c, "SELECT n FROM collections WHERE id = ?1");
    if (st == NULL)
        return FH_ERR_DB;
    fh__store_bind_text(st, 1, id);
    int r = sqlite3_step(st);
    fh_err rc = FH_OK;
    if (r == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    else if (r == SQLITE_DONE)
        rc = FH_ERR_NOTFOUND;
    else
        rc = fh__store_dberr(c, "collection lookup");
    sqlite3_reset(st);
    return rc;
}

/* ---- schema ------------------------------------------------------------- */

/*
 * Migrations, in order: migrations[i] brings the schema from version i to
 * i + 1 (PRAGMA user_version). Never edit one that has shipped; add another.
 */
static const char *const migrations[] = {
    /* 1: the first schema */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE orgs(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  identity TEXT NOT NULL, created TEXT NOT NULL);"
    "CREATE TABLE tokens(id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id),"
    "  label TEXT, admin INTEGER NOT NULL, hash BLOB NOT NULL UNIQUE, created TEXT NOT NULL,"
    "  revoked TEXT);"
    "CREATE TABLE collections(n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
    "  title TEXT NOT NULL, description TEXT, created TEXT NOT NULL,"
    "  last_added INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE grants(coll INTEGER NOT NULL REFERENCES collections(n),"
    "  org_id TEXT NOT NULL REFERENCES orgs(id), can_read INTEGER NOT NULL,"
    "  can_write INTEGER NOT NULL, PRIMARY KEY(coll, org_id)) WITHOUT ROWID;"
    "CREATE TABLE objects(seq INTEGER PRIMARY KEY, coll INTEGER NOT NULL, id TEXT NOT NULL,"
    "  type TEXT NOT NULL, spec_version TEXT NOT NULL, version TEXT NOT NULL,"
    "  vkey TEXT NOT NULL, date_added INTEGER NOT NULL, is_first INTEGER NOT NULL,"
    "  is_last INTEGER NOT NULL, digest BLOB NOT NULL, body TEXT NOT NULL);"
    "CREATE UNIQUE INDEX objects_version ON objects(coll, id, vkey);"
    "CREATE UNIQUE INDEX objects_added ON objects(coll, date_added);"
    "CREATE INDEX objects_type ON objects(coll, type, date_added);"
    "CREATE TABLE statuses(id TEXT PRIMARY KEY, org_id TEXT NOT NULL,"
    "  created INTEGER NOT NULL, body TEXT NOT NULL);"
    "CREATE INDEX statuses_created ON statuses(created);",
    /* 2: the sharing policy (docs/SHARING.md): client organizations,
     * collection default TLP, per-version effective TLP and submitter,
     * sharing groups, attribution (named or anonymous), the append-only
     * audit log. Stored objects get their TLP from
     * object_marking_refs (TLP 1.0 and 2.0 ids; AMBER, the default, when none). */
    "ALTER TABLE orgs ADD COLUMN parent TEXT REFERENCES orgs(id);"
    "ALTER TABLE orgs ADD COLUMN named INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE collections ADD COLUMN default_tlp INTEGER NOT NULL DEFAULT 2;"
    "ALTER TABLE objects ADD COLUMN tlp INTEGER NOT NULL DEFAULT 2;"
    "ALTER TABLE objects ADD COLUMN submitter TEXT;"
    "ALTER TABLE objects ADD COLUMN gtlp INTEGER;"
    "UPDATE objects SET tlp = coalesce((SELECT max(CASE substr(value, 21)"
    "  WHEN '613f2e26-407d-48c7-9eca-b8e91df99dc9' THEN 0"
    "  WHEN '34098fce-860f-48ae-8e50-ebd3cc5e41da' THEN 1"
    "  WHEN 'f88d31f6-486f-44da-b317-01333bde0b82' THEN 2"
    "  WHEN '5e57c739-391a-4eb3-b6be-7d15ca92d5ed' THEN 4"
    "  WHEN '94868c89-83c2-464b-929b-a1a8aa3c8487' THEN 0"
    "  WHEN 'bab4a63c-aed9-4cf5-a766-dfca5abac2bb' THEN 1"
    "  WHEN '55d920b0-5e8b-4f79-9ee9-91f868d9b421' THEN 2"
    "  WHEN '939a9414-2ddd-4d32-a0cd-375ea402b003' THEN 3"
    "  WHEN 'e828b379-4e03-4974-9ac4-e53a884c97c1' THEN 4 END)"
    "  FROM json_each(objects.body, '$.object_marking_refs')), 2);"
    "CREATE TABLE groups(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    "  created TEXT NOT NULL);"
    "CREATE TABLE group_members(group_id TEXT NOT NULL REFERENCES groups(id),"
    "  org_id TEXT NOT NULL REFERENCES orgs(id), PRIMARY KEY(group_id, org_id)) WITHOUT ROWID;"
    "CREATE TABLE object_groups(seq INTEGER NOT NULL, group_id TEXT NOT NULL,"
    "  PRIMARY KEY(seq, group_id)) WITHOUT ROWID;"
    "CREATE TABLE object_submitters(seq INTEGER NOT NULL, org_id TEXT NOT NULL,"
    "  PRIMARY KEY(seq, org_id)) WITHOUT ROWID;"
    "CREATE TRIGGER objects_groups_gone AFTER DELETE ON objects BEGIN"
    "  DELETE FROM object_groups WHERE seq = old.seq;"
    "  DELETE FROM object_submitters WHERE seq = old.seq; END;"
    "CREATE TABLE audit(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, org_id TEXT,"
    "  token_id TEXT, action TEXT NOT NULL, endpoint TEXT NOT NULL, collection TEXT,"
    "  object_ids TEXT, detail TEXT);"
    "CREATE INDEX audit_org ON audit(org_id, at);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN"
    "  SELECT RAISE(ABORT, 'audit records are append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN"
    "  SELECT RAISE(ABORT, 'audit records are append-only'); END;",
    /* 3: victim privacy (docs/SHARING.md): each organization's networks, as
     * text and as the first and last address (sortable blobs: a family byte,
     * then the address); the index of address and network-traffic SCOs that
     * references are resolved with (lo/hi: the address range of an address
     * SCO, filled in by fh__store_pseudonym_open for the rows copied here). */
    "CREATE TABLE org_networks(org_id TEXT NOT NULL REFERENCES orgs(id), cidr TEXT NOT NULL,"
    "  lo BLOB NOT NULL, hi BLOB NOT NULL, PRIMARY KEY(org_id, cidr)) WITHOUT ROWID;"
    "CREATE TABLE sco_index(id TEXT PRIMARY KEY, body TEXT NOT NULL, lo BLOB, hi BLOB)"
    "  WITHOUT ROWID;"
    "INSERT OR IGNORE INTO sco_index(id, body) SELECT id, body FROM objects"
    "  WHERE type IN ('ipv4-addr', 'ipv6-addr', 'network-traffic') ORDER BY seq;"
    "INSERT OR REPLACE INTO meta(key, value) VALUES ('sco_index_ranges', 0);",
    /* 4: trust and consensus (docs/SHARING.md, store-consensus.c): the
     * operator's trust level per organization; observable values with the
     * state of their consensus indicator; each organization's latest report
     * per value; which values each eligible report (indicator or sighting)
     * named and who submitted it (sightings, withdrawals, opinions); the
     * opinions on reports (feedback); organizations whose values must be
     * scored again after a trust change, and how far that has got. */
    "ALTER TABLE orgs ADD COLUMN trust INTEGER NOT NULL DEFAULT 1;"
    "CREATE TABLE cons_obs(n INTEGER PRIMARY KEY, kind INTEGER NOT NULL, value TEXT NOT NULL,"
    "  indicator TEXT, state INTEGER NOT NULL DEFAULT 0, created INTEGER, version INTEGER,"
    "  valid_from INTEGER, valid_until INTEGER, confidence INTEGER,"
    "  dirty INTEGER NOT NULL DEFAULT 0);"
    "CREATE UNIQUE INDEX cons_obs_value ON cons_obs(kind, value);"
    "CREATE UNIQUE INDEX cons_obs_indicator ON cons_obs(indicator) WHERE indicator IS NOT NULL;"
    "CREATE INDEX cons_obs_until ON cons_obs(valid_until) WHERE state = 1;"
    "CREATE INDEX cons_obs_dirty ON cons_obs(dirty) WHERE dirty = 1;"
    "CREATE TABLE cons_reports(obs INTEGER NOT NULL, org_id TEXT NOT NULL, at INTEGER NOT NULL,"
    "  report TEXT NOT NULL, PRIMARY KEY(obs, org_id)) WITHOUT ROWID;"
    "CREATE INDEX cons_reports_org ON cons_reports(org_id);"
    "CREATE TABLE cons_sources(report TEXT NOT NULL, org_id TEXT NOT NULL, obs INTEGER NOT NULL,"
    "  PRIMARY KEY(report, org_id, obs)) WITHOUT ROWID;"
    "CREATE TABLE cons_opinions(report TEXT NOT NULL, opinion_org TEXT NOT NULL,"
    "  reported_org TEXT NOT NULL, agree INTEGER NOT NULL, disagree INTEGER NOT NULL,"
    "  PRIMARY KEY(report, opinion_org, reported_org)) WITHOUT ROWID;"
    "CREATE INDEX cons_opinions_reported ON cons_opinions(reported_org);"
    "CREATE TABLE cons_dirty_orgs(org_id TEXT PRIMARY KEY, after INTEGER NOT NULL DEFAULT 0)"
    "  WITHOUT ROWID;",
};

static fh_err user_version(struct fh__store_conn *c, int *v)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return fh__store_dberr(c, "PRAGMA user_version");
    fh_err rc = FH_ERR_DB;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *v = sqlite3_column_int(st, 0);
        rc = FH_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static fh_err migrate(fh_store *s, fh_buf *err)
{
    int v = 0;
    fh_err rc = user_version(&s->writer, &v);
    if (rc)
        return rc;
    int target = (int)FH_ARRAY_LEN(migrations);
    if (v > target) {
        if (err)
            fh_buf_appendf(err,
                           "%s has schema version %d; this fenghuo knows up to %d (upgrade "
                           "fenghuo)",
                           s->db_path, v, target);
        return FH_ERR_DB;
    }
    for (; v < target; v++) {
        rc = fh__store_begin(s);
        if (rc)
            return rc;
        rc = fh__store_exec(&s->writer, migrations[v]);
        if (rc == FH_OK) {
            char *pragma = fh_xasprintf("PRAGMA user_version = %d", v + 1);
            rc = fh__store_exec(&s->writer, pragma);
            free(pragma);
        }
        rc = fh__store_end(s, rc);
        if (rc) {
            if (err)
                fh_buf_appendf(err, "%s: migration to schema version %d failed", s->db_path, v + 1);
            return rc;
        }
        fh_info("store", "schema migrated to version %d", v + 1);
    }
    s->schema_version = target;
    return FH_OK;
}

/* Loads the cursor key, creating it on the first open. */
static fh_err load_cursor_key(fh_store *s)
{
    fh_err rc = fh__store_begin(s);
    if (rc)
        return rc;
    sqlite3_stmt *st =
        fh__store_stmt_lit(&s->writer, "SELECT value FROM meta WHERE key = 'cursor_key'");
    if (st == NULL)
        return fh__store_end(s, FH_ERR_DB);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
        memcpy(s->cursor_key, sqlite3_column_blob(st, 0), 32);
        sqlite3_reset(st);
        return fh__store_end(s, FH_OK);
    }
    sqlite3_reset(st);
    rc = fh_random_bytes(s->cursor_key, 32);
    if (rc)
        return fh__store_end(s, rc);
    st = fh__store_stmt_lit(&s->writer,
                            "INSERT OR REPLACE INTO meta(key, value) VALUES ('cursor_key', ?1)");
    if (st == NULL)
        return fh__store_end(s, FH_ERR_DB);
    sqlite3_bind_blob(st, 1, s->cursor_key, 32, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = fh__store_dberr(&s->writer, "saving the cursor key");
    sqlite3_reset(st);
    return fh__store_end(s, rc);
}

/* Loads the hub's community identity (docs/SHARING.md, submitter
 * anonymity), creating it on the first open: one per hub, kept for good. */
static fh_err load_community(fh_store *s)
{
    fh_err rc = fh__store_begin(s);
    if (rc)
        return rc;
    sqlite3_stmt *st =
        fh__store_stmt_lit(&s->writer, "SELECT value FROM meta WHERE key = 'community_identity'");
    if (st == NULL)
        return fh__store_end(s, FH_ERR_DB);
    if (sqlite3_step(st) == SQLITE_ROW) {
        s->community = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
        sqlite3_reset(st);
        return fh__store_end(s, s->community ? FH_OK : FH_ERR_DB);
    }
    sqlite3_reset(st);
    fh_uuid u;
    rc = fh_uuid_v4(&u);
    if (rc)
        return fh__store_end(s, rc);
    char uuid[FH_UUID_STRLEN], id[64], now[32];
    fh_uuid_format(&u, uuid);
    snprintf(id, sizeof id, "identity--%s", uuid);
    int64_t us = fh__store_now_us();
    fh_store_format_us(us - us % 1000, now);
    s->community =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "identity", "spec_version", "2.1",
                  "id", id, "created", now, "modified", now, "name", "fenghuo community",
                  "identity_class", "group", "description",
                  "Stands for the member organization that shared an object when that organization "
                  "chose not to be named.");
    fh_buf body;
    fh_buf_init(&body, 0);
    rc = fh_json_canonical(s->community, &body);
    st = fh__store_stmt_lit(&s->writer,
                            "INSERT INTO meta(key, value) VALUES ('community_identity', ?1)");
    if (rc == FH_OK && st == NULL)
        rc = FH_ERR_DB;
    if (rc == FH_OK) {
        sqlite3_bind_text(st, 1, body.data, (int)body.len, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = fh__store_dberr(&s->writer, "saving the community identity");
        sqlite3_reset(st);
    }
    fh_buf_cleanup(&body);
    return fh__store_end(s, rc);
}

json_t *fh_store_community_identity(fh_store *s)
{
    return json_deep_copy(s->community);
}

const char *fh__store_community_id(fh_store *s)
{
    return json_string_value(json_object_get(s->community, "id"));
}

static fh_err conn_open(const char *path, bool writer, struct fh__store_conn *c, fh_buf *err)
{
    memset(c, 0, sizeof *c);
    int flags = SQLITE_OPEN_NOMUTEX |
                (writer ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY);
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK) {
        if (err)
            fh_buf_appendf(err, "cannot open %s: %s", path,
                           c->db ? sqlite3_errmsg(c->db) : "out of memory");
        return FH_ERR_DB;
    }
    sqlite3_busy_timeout(c->db, 10000);
    /* synchronous=FULL: in WAL mode each COMMIT is fsynced, so "complete"
     * survives power loss, not only a crash of the process. */
    const char *setup = writer ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                 "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;"
                               : "PRAGMA query_only=ON; PRAGMA cache_size=-8000;";
    char *msg = NULL;
    if (sqlite3_exec(c->db, setup, NULL, NULL, &msg) != SQLITE_OK) {
        if (err)
            fh_buf_appendf(err, "cannot set up %s: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        return FH_ERR_DB;
    }
    return FH_OK;
}

static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

/* Process-wide SQLite settings, before its first use: memory statistics
 * take a global mutex on every allocation, and the store never reads them. */
static void sqlite_configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Interval of the background checkpoints. */
#define CHECKPOINT_INTERVAL_MS 250

static void *checkpoint_main(void *arg)
{
    fh_store *s = arg;
    pthread_mutex_lock(&s->checkpoint_lock);
    while (!s->checkpoint_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += CHECKPOINT_INTERVAL_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->checkpoint_cond, &s->checkpoint_lock, &until);
        if (s->checkpoint_stop)
            break;
        pthread_mutex_unlock(&s->checkpoint_lock);
        /* PASSIVE: copies what it can without waiting for readers or the
         * writer; never blocks a COMMIT. */
        int log = 0, done = 0;
        int r = sqlite3_wal_checkpoint_v2(s->checkpointer.db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log,
                                          &done);
        if (r != SQLITE_OK && r != SQLITE_BUSY)
            fh_warn("store", "background checkpoint: %s", sqlite3_errmsg(s->checkpointer.db));
        pthread_mutex_lock(&s->checkpoint_lock);
    }
    pthread_mutex_unlock(&s->checkpoint_lock);
    return NULL;
}

fh_err fh_store_open(const char *dir, unsigned readers, fh_store **out, fh_buf *err)
{
    *out = NULL;
    pthread_once(&sqlite_once, sqlite_configure);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        if (err)
            fh_buf_appendf(err, "cannot create data folder %s: %s", dir, strerror(errno));
        return FH_ERR_IO;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        if (err)
            fh_buf_appendf(err, "data folder %s is not a folder", dir);
        return FH_ERR_IO;
    }
    fh_store *s = fh_xcalloc(1, sizeof *s);
    s->dir = fh_xstrdup(dir);
    s->db_path = fh_xasprintf("%s/fenghuo.db", dir);
    pthread_mutex_init(&s->write_lock, NULL);
    pthread_mutex_init(&s->group_lock, NULL);
    pthread_cond_init(&s->group_cond, NULL);
    pthread_mutex_init(&s->read_lock, NULL);
    pthread_cond_init(&s->read_cond, NULL);
    pthread_mutex_init(&s->pseudo_lock, NULL);
    s->n_readers = readers ? readers : 4;
    s->readers = fh_xcalloc(s->n_readers, sizeof *s->readers);

    fh_err rc = conn_open(s->db_path, true, &s->writer, err);
    if (rc == FH_OK)
        rc = migrate(s, err);
    if (rc == FH_OK)
        rc = load_cursor_key(s);
    if (rc == FH_OK)
        rc = load_community(s);
    if (rc == FH_OK)
        rc = fh__store_pseudonym_open(s, err);
    for (unsigned i = 0; rc == FH_OK && i < s->n_readers; i++)
        rc = conn_open(s->db_path, false, &s->readers[i], err);
    pthread_mutex_init(&s->checkpoint_lock, NULL);
    pthread_cond_init(&s->checkpoint_cond, NULL);
    if (rc == FH_OK)
        rc = conn_open(s->db_path, true, &s->checkpointer, err);
    if (rc == FH_OK) {
        sqlite3_wal_autocheckpoint(s->writer.db, 0);
        if (pthread_create(&s->checkpoint_thread, NULL, checkpoint_main, s) == 0) {
            s->checkpoint_running = true;
        } else {
            /* Without the thread, commits checkpoint as SQLite does by default. */
            sqlite3_wal_autocheckpoint(s->writer.db, 1000);
        }
    }
    if (rc) {
        if (err && err->len == 0)
            fh_buf_appendf(err, "cannot open the store in %s", dir);
        fh_store_close(s);
        return rc == FH_ERR_DB && access(dir, W_OK) != 0 ? FH_ERR_IO : rc;
    }
    *out = s;
    return FH_OK;
}

void fh_store_close(fh_store *s)
{
    if (s == NULL)
        return;
    if (s->checkpoint_running) {
        pthread_mutex_lock(&s->checkpoint_lock);
        s->checkpoint_stop = true;
        pthread_cond_signal(&s->checkpoint_cond);
        pthread_mutex_unlock(&s->checkpoint_lock);
        pthread_join(s->checkpoint_thread, NULL);
    }
    conn_close(&s->checkpointer);
    for (unsigned i = 0; i < s->n_readers; i++)
        conn_close(&s->readers[i]);
    conn_close(&s->writer);
    pthread_mutex_destroy(&s->checkpoint_lock);
    pthread_cond_destroy(&s->checkpoint_cond);
    pthread_mutex_destroy(&s->write_lock);
    pthread_mutex_destroy(&s->group_lock);
    pthread_cond_destroy(&s->group_cond);
    pthread_mutex_destroy(&s->read_lock);
    pthread_cond_destroy(&s->read_cond);
    json_decref(s->community);
    fh__store_pseudonym_close(s);
    pthread_mutex_destroy(&s->pseudo_lock);
    free(s->consensus);
    free(s->readers);
    free(s->dir);
    free(s->db_path);
    free(s);
}

int fh_store_schema_version(fh_store *s)
{
    return s->schema_version;
}

void fh_store_cursor_key(fh_store *s, uint8_t key[32])
{
    memcpy(key, s->cursor_key, 32);
}

fh_err fh_store_integrity_check(fh_store *s, bool *ok)
{
    *ok = false;
    struct fh__store_conn *c = fh__store_reader(s);
    sqlite3_stmt *st = NULL;
    fh_err rc = FH_OK;
    if (sqlite3_prepare_v2(c->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        rc = fh__store_dberr(c, "integrity_check");
    } else {
        if (sqlite3_step(st) == SQLITE_ROW) {
            const char *v = (const char *)sqlite3_column_text(st, 0);
            *ok = v && strcmp(v, "ok") == 0;
        }
        sqlite3_finalize(st);
    }
    fh__store_reader_done(s, c);
    return rc;
}

/* ---- organizations ------------------------------------------------------ */

fh_err fh_store_org_add(fh_store *s, const char *name, char id_out[FH_STORE_ID_STRLEN])
{
    if (name == NULL || name[0] == '\0' || strlen(name) > 200)
        return FH_ERR_INVALID;
    fh_uuid u, iu;
    fh_err rc = fh_uuid_v4(&u);
    if (rc == FH_OK)
        rc = fh_uuid_v4(&iu);
    if (rc)
        return rc;
    char id[FH_UUID_STRLEN], iid[FH_UUID_STRLEN], now[32];
    fh_uuid_format(&u, id);
    fh_uuid_format(&iu, iid);
    now_string(now);
    char *identity_id = fh_xasprintf("identity--%s", iid);
    json_t *identity = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type", "identity",
                                 "spec_version", "2.1", "id", identity_id, "created", now,
                                 "modified", now, "name", name, "identity_class", "organization");
    free(identity_id);
    fh_buf body;
    fh_buf_init(&body, 0);
    rc = fh_json_canonical(identity, &body);
    json_decref(identity);
    if (rc) {
        fh_buf_cleanup(&body);
        return rc;
    }
    rc = fh__store_begin(s);
    if (rc) {
        fh_buf_cleanup(&body);
        return rc;
    }
    sqlite3_stmt *st = fh__store_stmt_lit(
        &s->writer, "INSERT INTO orgs(id, name, identity, created) VALUES (?1, ?2, ?3, ?4)");
    if (st == NULL) {
        rc = FH_ERR_DB;
    } else {
        fh__store_bind_text(st, 1, id);
        fh__store_bind_text(st, 2, name);
        fh__store_bind_text(st, 3, body.data);
        fh__store_bind_text(st, 4, now);
        int r = sqlite3_step(st);
        if (r == SQLITE_CONSTRAINT)
            rc = FH_ERR_EXISTS;
        else if (r != SQLITE_DONE)
            rc = fh__store_dberr(&s->writer, "adding an organization");
        sqlite3_reset(st);
    }
    fh_buf_cleanup(&body);
    rc = fh__store_end(s, rc);
    if (rc == FH_OK)
        memcpy(id_out, id, FH_STORE_ID_STRLEN);
    return rc;
}

fh_err fh__store_find_id(struct fh__store_conn *c, const char *sql, const char *key, char *out,
                         size_t outsize, const char *what)
{
    sqlite3_stmt *st = fh__store_stmt_lit(c, sql);
    if (st == NULL)
        return FH_ERR_DB;
    fh__store_bind_text(st, 1, key);
    int r = sqlite3_step(st);
    fh_err rc = FH_OK;
    if (r == SQLITE_ROW)
        snprintf(out, outsize, "%s", (const char *)sqlite3_column_text(st, 0));
    else if (r == SQLITE_DONE)
        rc = FH_ERR_NOTFOUND;
    else
        rc = fh__store_dberr(c, what);
    sqlite3_reset(st);
    return rc;
}

fh_err fh__store_org_find(struct fh__store_conn *c, const char *id_or_name,
                          char id_out[FH_STORE_ID_STRLEN])
{
    return fh__store_find_id(c, "SELECT id FROM orgs WHERE id = ?1 OR name = ?1", id_or_name,
                             id_out, FH_STORE_ID_STRLEN, "organization lookup");
}

fh_err fh_store_org_find(fh_store *s, const char *id_or_name, char id_out[FH_STORE_ID_STRLEN])
{
    struct fh__store_conn *c = fh__store_reader(s);
    fh_err rc = fh__store_org_find(c, id_or_name, id_out);
    fh__store_reader_done(s, c);
    return rc;
}

/* Runs a read-only statement and turns each row into a JSON object with the
 * given keys; column types decide the JSON types (an integer column whose
 * key starts with "is_"... is not special: booleans are listed in bools). */
static fh_err rows_to_json(struct fh__store_conn *c, sqlite3_stmt *st, const char *const *keys,
                           size_t nkeys, unsigned bool_mask, json_t **out)
{
    json_t *arr = json_array();
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_object();
        for (size_t i = 0; i < nkeys; i++) {
            int t = sqlite3_column_type(st, (int)i);
            json_t *v;
            if (t == SQLITE_NULL)
                v = json_null();
            else if (bool_mask & (1u << i))
                v = json_boolean(sqlite3_column_int(st, (int)i));
            else if (t == SQLITE_INTEGER)
                v = json_integer(sqlite3_column_int64(st, (int)i));
            else
                v = json_string((const char *)sqlite3_column_text(st, (int)i));
            json_object_set_new(o, keys[i], v ? v : json_null());
        }
        json_array_append_new(arr, o);
    }
    sqlite3_reset(st);
    if (r != SQLITE_DONE) {
        json_decref(arr);
        return fh__store_dberr(c, "listing");
    }
    *out = arr;
    return FH_OK;
}

fh_err fh_store_org_list(fh_store *s, json_t **out)
{
    static const char *const keys[] = {"id", "name", "identity", "created", "parent", "named"};
    struct fh__store_conn *c = fh__store_reader(s);
    sqlite3_stmt *st = fh__store_stmt_lit(
        c, "SELECT o.id, o.name, json_extract(o.identity, '$.id'), o.created, p.name, o.named "
           "FROM orgs o LEFT JOIN orgs p ON p.id = o.parent ORDER BY o.created");
    fh_err rc = st ? rows_to_json(c, st, keys, 6, 1u << 5, out) : FH_ERR_DB;
    if (rc == FH_OK)
        rc = fh__store_org_list_networks(c, *out);
    fh__store_reader_done(s, c);
    return rc;
}

/* ---- tokens ------------------------------------------------------------- */

fh_err fh_store_token_new(fh_store *s, const char *org, const char *label, bool admin,
                          char token_out[FH_STORE_TOKEN_STRLEN], char id_out[FH_STORE_ID_STRLEN])
{
    uint8_t secret[32], hash[32];
    fh_uuid u;
    fh_err rc = fh_random_bytes(secret, sizeof secret);
    if (rc == FH_OK)
        rc = fh_uuid_v4(&u);
    if (rc)
        return rc;
    char token[FH_STORE_TOKEN_STRLEN], id[FH_UUID_STRLEN], now[32];
    for (size_t i = 0; i < 32; i++)
        snprintf(token + 2 * i, 3, "%02x", secret[i]);
    fh__store_sha256(token, 64, hash);
    fh_uuid_format(&u, id);
    now_string(now);

    rc = fh__store_begin(s);
    if (rc)
        return rc;
    char org_id[FH_STORE_ID_STRLEN];
    rc = fh__store_org_find(&s->writer, org, org_id);
    if (rc == FH_OK) {
        sqlite3_stmt *st =
            fh__store_stmt_lit(&s->writer, "INSERT INTO tokens(id, org_id, label, admin, hash, "
                                           "created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        if (st == NULL) {
            rc = FH_ERR_DB;
        } else {
            fh__store_bind_text(st, 1, id);
            fh__store_bind_text(st, 2, org_id);
            fh__store_bind_text(st, 3, label);
            sqlite3_bind_int(st, 4, admin);
            sqlite3_bind_blob(st, 5, hash, 32, SQLITE_TRANSIENT);
            fh__store_bind_text(st, 6, now);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = fh__store_dberr(&s->writer, "adding a token");
            sqlite3_reset(st);
        }
    }
    rc = fh__store_end(s, rc);
    if (rc == FH_OK) {
        memcpy(token_out, token, FH_STORE_TOKEN_STRLEN);
        memcpy(id_out, id, FH_STORE_ID_STRLEN);
    }
    memset(secret, 0, sizeof secret);
    memset(token, 0, sizeof token);
    return rc;
}

fh_err fh_store_token_list(fh_store *s, json_t **out)
{
    static const char *const keys[] = {"id",    "org",     "org_name", "label",
                                       "admin", "created", "revoked"};
    struct fh__store_conn *c = fh__store_reader(s);
    sqlite3_stmt *st = fh__store_stmt_lit(
        c, "SELECT t.id, t.org_id, o.name, t.label, t.admin, t.created, t.revoked "
           "FROM tokens t JOIN orgs o ON o.id = t.org_id ORDER BY t.created");
    fh_err rc = st ? rows_to_json(c, st, keys, 7, 1u << 4, out) : FH_ERR_DB;
    fh__store_reader_done(s, c);
    return rc;
}

fh_err fh_store_token_revoke(fh_store *s, const char *id)
{
    char now[32];
    now_string(now);
    fh_err rc = fh__store_begin(s);
    if (rc)
        return rc;
    sqlite3_stmt *st = fh__store_stmt_lit(
        &s->writer, "UPDATE tokens SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL");
    if (st == NULL) {
        rc = FH_ERR_DB;
    } else {
        fh__store_bind_text(st, 1, id);
        fh__store_bind_text(st, 2, now);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = fh__store_dberr(&s->writer, "revoking a token");
        else if (sqlite3_changes(s->writer.db) == 0)
            rc = FH_ERR_NOTFOUND;
        sqlite3_reset(st);
    }
    return fh__store_end(s, rc);
}

fh_err fh_store_token_auth(fh_store *s, const char *token, size_t len, fh_store_principal *out)
{
    memset(out, 0, sizeof *out);
    uint8_t hash[32];
    fh__store_sha256(token, len, hash);
    struct fh__store_conn *c = fh__store_reader(s);
    sqlite3_stmt *st = fh__store_stmt_lit(
        c, "SELECT id, org_id, admin, hash FROM tokens WHERE hash = ?1 AND revoked IS NULL");
    fh_err rc = FH_ERR_AUTH;
    if (st == NULL) {
        rc = FH_ERR_DB;
    } else {
        sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            /* The index found the row by hash; the final decision compares
             * the whole stored hash in constant time. */
            if (fh_consttime_equal(sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3),
                                   hash, 32)) {
                snprintf(out->token_id, sizeof out->token_id, "%s",
                         (const char *)sqlite3_column_text(st, 0));
                snprintf(out->org_id, sizeof out->org_id, "%s",
                         (const char *)sqlite3_column_text(st, 1));
                out->admin = sqlite3_column_int(st, 2) != 0;
                rc = FH_OK;
            }
        } else if (r != SQLITE_DONE) {
            rc = fh__store_dberr(c, "token lookup");
        }
        sqlite3_reset(st);
    }
    fh__store_reader_done(s, c);
    return rc;
}

/* ---- collections and grants --------------------------------------------- */

fh_err fh_store_collection_add(fh_store *s, const char *title, const char *description,
                               const char *id, char id_out[FH_STORE_ID_STRLEN])
{
    if (title == NULL || title[0] == '\0')
        return FH_ERR_INVALID;
    fh_uuid u;
    char idbuf[FH_UUID_STRLEN], now[32];
    if (id) {
        if (strlen(id) != 36 || fh_uuid_parse(id, 36, &u) != FH_OK)
            return FH_ERR_INVALID;
    } else if (fh_uuid_v4(&u) != FH_OK) {
        return FH_ERR_CRYPTO;
    }
    fh_uuid_format(&u, idbuf);
    now_string(now);
    fh_err rc = fh__store_begin(s);
    if (rc)
        return rc;
    sqlite3_stmt *st =
        fh__store_stmt_lit(&s->writer, "INSERT INTO collections(id, title, description, created) "
                                       "VALUES (?1, ?2, ?3, ?4)");
    if (st == NULL) {
        rc = FH_ERR_DB;
    } else {
        fh__store_bind_text(st, 1, idbuf);
        fh__store_bind_text(st, 2, title);
        fh__store_bind_text(st, 3, description);
        fh__store_bind_text(st, 4, now);
        int r = sqlite3_step(st);
        if (r == SQLITE_CONSTRAINT)
            rc = FH_ERR_EXISTS;
        else if (r != SQLITE_DONE)
            rc = fh__store_dberr(&s->writer, "adding a collection");
        sqlite3_reset(st);
    }
    rc = fh__store_end(s, rc);
    if (rc == FH_OK)
        memcpy(id_out, idbuf, FH_STORE_ID_STRLEN);
    return rc;
}

fh_err fh_store_collection_list(fh_store *s, json_t **out)
{
    static const char *const keys[] = {"id",      "title",   "description",
                                       "created", "objects", "default_tlp"};
    struct fh__store_conn *c = fh__store_reader(s);
    sqlite3_stmt *st = fh__store_stmt_lit(c, "SELECT id, title, description, created, "
                                             "(SELECT count(*) FROM objects o WHERE o.coll = c.n), "
                                             "default_tlp FROM collections c ORDER BY n");
    fh_err rc = st ? rows_to_json(c, st, keys, 6, 0, out) : FH_ERR_DB;
    /* The level as its name, as `collection add --default-tlp` takes it. */
    size_t i;
    json_t *o;
    json_array_foreach(rc == FH_OK ? *out : NULL, i, o)
    {
        fh_tlp t = (fh_tlp)json_integer_value(json_object_get(o, "default_tlp"));
        json_object_set_new(o, "default_tlp", json_string(fh_policy_tlp_name(t)));
    }
    fh__store_reader_done(s, c);
    return rc;
}

fh_err fh_store_grant(fh_store *s, const char *collection, const char *org, bool can_read,
                      bool can_write)
{
    fh_err rc = fh__store_begin(s);
    if (rc)
        return rc;
    int64_t n = 0;
    char org_id[FH_STORE_ID_STRLEN];
    rc = fh__store_collection_n(&s->writer, collection, &n);
    if (rc == FH_OK)
        rc = fh__store_org_find(&s->writer, org, org_id);
    if (rc == FH_OK) {
        sqlite3_stmt *st =
            fh__store_stmt_lit(&s->writer, "INSERT OR REPLACE INTO grants(coll, org_id, can_read, "
                                           "can_write) VALUES (?1, ?2, ?3, ?4)");
        if (st == NULL) {
            rc = FH_ERR_DB;
        } else {
            sqlite3_bind_int64(st, 1, n);
            fh__store_bind_text(st, 2, org_id);
            sqlite3_bind_int(st, 3, can_read);
            sqlite3_bind_int(st, 4, can_write);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = fh__store_dberr(&s->writer, "granting");
            sqlite3_reset(st);
        }
    }
    return fh__store_end(s, rc);
}

fh_err fh_store_revoke(fh_store *s, const char *collection, const char *org)
{
    fh_err rc = fh__store_begin(s);
    if (rc)
        return rc;
    int64_t n = 0;
    char org_id[FH_STORE_ID_STRLEN];
    rc = fh__store_collection_n(&s->writer, collection, &n);
    if (rc == FH_OK)
        rc = fh__store_org_find(&s->writer, org, org_id);
    if (rc == FH_OK) {
        sqlite3_stmt *st =
            fh__store_stmt_lit(&s->writer, "DELETE FROM grants WHERE coll = ?1 AND org_id = ?2");
        if (st == NULL) {
            rc = FH_ERR_DB;
        } else {
            sqlite3_bind_int64(st, 1, n);
            fh__store_bind_text(st, 2, org_id);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = fh__store_dberr(&s->writer, "revoking");
            else if (sqlite3_changes(s->writer.db) == 0)
                rc = FH_ERR_NOTFOUND;
            sqlite3_reset(st);
        }
    }
    return fh__store_end(s, rc);
}

fh_err fh_store_access(fh_store *s, const char *collection, const char *org_id, bool *exists,
                       bool *can_read, bool *can_write)
{
    *exists = *can_read = *can_write = false;
    struct fh__store_conn *c = fh__store_reader(s);
    sqlite3_stmt *st = fh__store_stmt_lit(
        c, "SELECT max(coalesce(g.can_read, 0), coalesce(pg.can_read, 0)), g.can_write "
           "FROM collections c LEFT JOIN grants g ON g.coll = c.n AND g.org_id = ?2 "
           "LEFT JOIN grants pg ON pg.coll = c.n "
           "AND pg.org_id = (SELECT parent FROM orgs WHERE id = ?2) WHERE c.id = ?1");
    fh_err rc = FH_OK;
    if (st == NULL) {
        rc = FH_ERR_DB;
    } else {
        fh__store_bind_text(st, 1, collection);
        fh__store_bind_text(st, 2, org_id);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            *exists = true;
            *can_read = sqlite3_column_int(st, 0) != 0;
            *can_write = sqlite3_column_int(st, 1) != 0;
        } else if (r != SQLITE_DONE) {
            rc = fh__store_dberr(c, "access lookup");
        }
        sqlite3_reset(st);
    }
    fh__store_reader_done(s, c);
    return rc;
}

fh_err fh_store_collections_for(fh_store *s, const char *org_id, const char *only, json_t **out)
{
    struct fh__store_conn *c = fh__store_reader(s);
    sqlite3_stmt *st = fh__store_stmt_lit(
        c, "SELECT c.id, c.title, c.description, "
           "max(coalesce(g.can_read, 0), coalesce(pg.can_read, 0)), coalesce(g.can_write, 0) "
           "FROM collections c LEFT JOIN grants g ON g.coll = c.n AND g.org_id = ?1 "
           "LEFT JOIN grants pg ON pg.coll = c.n "
           "AND pg.org_id = (SELECT parent FROM orgs WHERE id = ?1) "
           "WHERE (?2 IS NULL OR c.id = ?2) AND (g.can_read OR g.can_write OR pg.can_read) "
           "ORDER BY c.n");
    fh_err rc = FH_OK;
    if (st == NULL) {
        rc = FH_ERR_DB;
    } else {
        fh__store_bind_text(st, 1, org_id);
        fh__store_bind_text(st, 2, only);
        json_t *arr = json_array();
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
            json_t *o = json_pack("{s:s,s:s}", "id", (const char *)sqlite3_column_text(st, 0),
                                  "title", (const char *)sqlite3_column_text(st, 1));
            if (sqlite3_column_type(st, 2) != SQLITE_NULL)
                json_object_set_new(o, "description",
                                    json_string((const char *)sqlite3_column_text(st, 2)));
            json_object_set_new(o, "can_read", json_boolean(sqlite3_column_int(st, 3)));
            json_object_set_new(o, "can_write", json_boolean(sqlite3_column_int(st, 4)));
            json_object_set_new(o, "media_types",
                                json_pack("[s]", "application/stix+json;version=2.1"));
            json_array_append_new(arr, o);
        }
        sqlite3_reset(st);
        if (r != SQLITE_DONE) {
            json_decref(arr);
            rc = fh__store_dberr(c, "listing collections");
        } else {
            *out = arr;
        }
    }
    fh__store_reader_done(s, c);
    return rc;
}

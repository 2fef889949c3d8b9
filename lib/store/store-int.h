/*
 * Internals shared by the files of lib/store: the connection pool, the
 * statement cache and small SQLite helpers. Nothing outside lib/store
 * includes this.
 */
#ifndef FENGHUO_STORE_INT_H
#define FENGHUO_STORE_INT_H

#include <pthread.h>
#include <sqlite3.h>

#include "fenghuo/store.h"

#define FH__STORE_STMT_CACHE 48

struct fh__store_cached {
    char *sql;
    const char *key; /* the caller's pointer (string literals are found by it) */
    sqlite3_stmt *stmt;
};

/* One SQLite connection and its prepared statements. */
struct fh__store_conn {
    sqlite3 *db;
    struct fh__store_cached cache[FH__STORE_STMT_CACHE];
    unsigned evict; /* next slot to reuse when the cache is full */
    bool busy;      /* readers only: taken by a thread */
};

struct fh__store_post_job;

struct fh_store {
    char *dir;
    char *db_path;
    struct fh__store_conn writer;
    pthread_mutex_t write_lock;
    struct fh__store_conn *readers;
    unsigned n_readers;
    pthread_mutex_t read_lock;
    pthread_cond_t read_cond;
    uint8_t cursor_key[32];
    int schema_version;
    /* The checkpointer: its own connection copies the WAL back into the
     * database in the background, so no COMMIT pays for a checkpoint. */
    struct fh__store_conn checkpointer;
    pthread_t checkpoint_thread;
    bool checkpoint_running;
    bool checkpoint_stop;
    pthread_mutex_t checkpoint_lock;
    pthread_cond_t checkpoint_cond;
    /* Group commit of POSTs (store-objects.c). */
    pthread_mutex_t group_lock;
    pthread_cond_t group_cond;
    struct fh__store_post_job *group_head, *group_tail;
    bool group_leader;
    json_t *community; /* the hub's community identity (STIX identity) */
    /* Victim privacy (store-policy.c): the pseudonym key as last read from
     * its file, reloaded when the file changes. */
    pthread_mutex_t pseudo_lock;
    struct fh__store_pseudo_key *pseudo;
    /* Trust and consensus (store-consensus.c): NULL until
     * fh_store_consensus_enable; then every POST records contributions. */
    fh_consensus_config *consensus;
};

/* The id of the hub's community identity ("identity--…"; lives as long as s). */
const char *fh__store_community_id(fh_store *s);

/* A prepared statement for sql on c, reset and with bindings cleared; from
 * the cache when sql was prepared before. NULL (logged) on a prepare error. */
sqlite3_stmt *fh__store_stmt(struct fh__store_conn *c, const char *sql);
/* The same for sql that is a string literal: found by its address. */
sqlite3_stmt *fh__store_stmt_lit(struct fh__store_conn *c, const char *sql);
/* Runs a prepared one-shot write statement and resets it; FH_ERR_DB (with
 * what in the message) unless it is done. */
fh_err fh__store_step_done(struct fh__store_conn *c, sqlite3_stmt *st, const char *what);
/* Finds organization org (id or name; its id in org_id) and runs update, a
 * string literal "UPDATE orgs SET col = ?2 WHERE id = ?1", with value, in
 * the writer's open transaction. FH_ERR_NOTFOUND when there is no such org. */
fh_err fh__store_org_update(struct fh__store_conn *w, const char *org, const char *update,
                            int value, const char *what, char org_id[FH_STORE_ID_STRLEN]);
/* Runs sql (one text parameter ?1 = key, one text column) and copies the
 * first row's value into out. FH_ERR_NOTFOUND when there is no row; what
 * names the lookup in database errors. */
fh_err fh__store_find_id(struct fh__store_conn *c, const char *sql, const char *key, char *out,
                         size_t outsize, const char *what);

/* Takes a read-only connection (waiting when all are busy) / gives it back. */
struct fh__store_conn *fh__store_reader(fh_store *s);
void fh__store_reader_done(fh_store *s, struct fh__store_conn *c);

/* Locks the writer and begins an IMMEDIATE transaction / commits or rolls
 * back and unlocks. fh__store_end commits when rc is FH_OK and returns the
 * final code (FH_ERR_DB when the commit fails). */
fh_err fh__store_begin(fh_store *s);
fh_err fh__store_end(fh_store *s, fh_err rc);

/* Runs sql without results on c. */
fh_err fh__store_exec(struct fh__store_conn *c, const char *sql);

/* sqlite3_bind_text with SQLITE_TRANSIENT, NULL binds NULL. */
int fh__store_bind_text(sqlite3_stmt *st, int i, const char *v);

/* Logs the connection's last error with a context. Returns FH_ERR_DB. */
fh_err fh__store_dberr(struct fh__store_conn *c, const char *what);

/* Looks up a collection's row number by its id (UUID text). */
fh_err fh__store_collection_n(struct fh__store_conn *c, const char *id, int64_t *n /* OUT */);

/* Finds an organization by id or name on connection c. */
fh_err fh__store_org_find(struct fh__store_conn *c, const char *id_or_name,
                          char id_out[FH_STORE_ID_STRLEN]);

/*
 * The visibility predicate of docs/SHARING.md for reader org_id on the
 * collection with row number coll, as SQL conditions (starting with " AND")
 * on the objects table under alias (e.g. "objects"), appended to sql; its
 * parameters are added to b by the caller's add_text (see store-objects.c).
 * Internal to store-objects.c and store-policy.c.
 */
struct fh__store_reader_facts {
    char org_id[FH_STORE_ID_STRLEN];
    char parent[FH_STORE_ID_STRLEN]; /* "" when the reader has no parent */
    bool reads;                      /* the reader's own read grant */
    bool parent_reads;               /* its parent's read grant */
};
fh_err fh__store_reader_facts(struct fh__store_conn *c, int64_t coll, const char *org_id,
                              struct fh__store_reader_facts *out /* OUT */);

/* ---- victim privacy (store-policy.c) ---- */

/* Loads the pseudonym key (creating its file on the first open) and fills
 * the address ranges of SCOs indexed by the migration. */
fh_err fh__store_pseudonym_open(fh_store *s, fh_buf *err);
/* Drops the key (wiped). */
void fh__store_pseudonym_close(fh_store *s);

/* Records an ipv4-addr, ipv6-addr or network-traffic object (any other type
 * does nothing) in the SCO index that references are resolved with. */
fh_err fh__store_sco_index(struct fh__store_conn *w, const char *id, const char *type,
                           const json_t *o, const char *body, size_t len);

/* Adds the networks of each organization of list (fh_store_org_list). */
fh_err fh__store_org_list_networks(struct fh__store_conn *c, json_t *list);

/* The per-query state of pseudonymization for reader (an organization id)
 * reading collection coll (row number): the key (taken once per query), the
 * SCOs resolved so far and the networks of their own submitters. */
struct fh__store_victims;
struct fh__store_victims *fh__store_victims_new(fh_store *s, struct fh__store_conn *c, int64_t coll,
                                                const char *reader);
void fh__store_victims_free(struct fh__store_victims *v);
/* Pseudonymizes o (in place) for a reader to whom nets (the JSON text of an
 * array of the version's submitters' networks, maybe "[]") are foreign; the
 * SCOs o references follow their own submitters' networks too. *changed
 * (may be NULL): whether anything changed. */
fh_err fh__store_victims_apply(struct fh__store_victims *v, const char *nets, json_t *o,
                               bool *changed /* OUT */);
/* Stores an object created by the hub itself (no submitter, no status) in
 * the collection with row number coll, inside the writer's open
 * transaction (store-objects.c; used by store-consensus.c). */
fh_err fh__store_put_hub_object(struct fh__store_conn *w, int64_t coll, const json_t *object);

/* Records the consensus contributions of one POST's items that were just
 * stored in collection for org_id, and publishes what changed, inside the
 * writer's open transaction (store-consensus.c; called by store-objects.c
 * when s->consensus is set). */
fh_err fh__store_consensus_record(fh_store *s, const char *collection, const char *org_id,
                                  const fh_store_put_item *items, size_t n);

/* Microseconds since the epoch, now. */
int64_t fh__store_now_us(void);

/* SHA-256 of data. */
void fh__store_sha256(const void *data, size_t len, uint8_t out[32]);

#endif

/*
 * The store's side of the sharing policy (docs/SHARING.md): client
 * organizations (parents), collection default TLP, sharing groups and their
 * members, and the facts about a reader that the visibility predicate of
 * store-objects.c is built from.
 *
 * Not for: the predicate itself (it lives beside the queries it joins) or
 * the meaning of TLP markings (lib/policy).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fenghuo/json.h"
#include "fenghuo/policy.h"
#include "fenghuo/time.h"
#include "fenghuo/uuid.h"
#include "store/store-int.h"

/* ---- clients and default TLP --------------------------------------------- */

fh_err fh_store_org_set_parent(fh_store *s, const char *org, const char *parent)
{
    fh_err rc = fh__store_begin(s);
    if (rc)
        return rc;
    struct fh__store_conn *w = &s->writer;
    char org_id[FH_STORE_ID_STRLEN], parent_id[FH_STORE_ID_STRLEN] = "";
    rc = fh__store_org_find(w, org, org_id);
    if (rc == FH_OK && parent)
        rc = fh__store_org_find(w, parent, parent_id);
    if (rc == FH_OK && parent && strcmp(org_id, parent_id) == 0)
        rc = FH_ERR_INVALID; /* an organization is not its own client */
    if (rc == FH_OK) {
        sqlite3_stmt *st = fh__store_stmt_lit(w, "UPDATE orgs SET parent = ?2 WHERE id = ?1");
        if (st == NULL) {
            rc = FH_ERR_DB;
        } else {
            fh__store_bind_text(st, 1, org_id);
            fh__store_bind_text(st, 2, parent ? parent_id : NULL);
            rc = fh__store_step_done(w, st, "setting a parent");
        }
    }
    return fh__store_end(s, rc);
}

fh_err fh_store_org_set_named(fh_store *s, const char *org, bool named)
{
    fh_err rc = fh__store_begin(s);
    if (rc)
        return rc;
    char org_id[FH_STORE_ID_STRLEN];
    rc = fh__store_org_update(&s->writer, org, "UPDATE orgs SET named = ?2 WHERE id = ?1", named,
                              "setting attribution", org_id);
    return fh__store_end(s, rc);
}

fh_err fh_store_collection_set_default_tlp(fh_store *s, const char *collection, int tlp)
{
    if (tlp < FH_TLP_CLEAR || tlp > FH_TLP_RED)
        return FH_ERR_INVALID;
    fh_err rc = fh__store_begin(s);
    if (rc)
        return rc;
    struct fh__store_conn *w = &s->writer;
    int64_t n = 0;
    rc = fh__store_collection_n(w, collection, &n);
    if (rc == FH_OK) {
        sqlite3_stmt *st =
            fh__store_stmt_lit(w, "UPDATE collections SET default_tlp = ?2 WHERE n = ?1");
        if (st == NULL) {
            rc = FH_ERR_DB;
        } else {
            sqlite3_bind_int64(st, 1, n);
            sqlite3_bind_int(st, 2, tlp);
            rc = fh__store_step_done(w, st, "setting the default TLP");
        }
    }
    return fh__store_end(s, rc);
}

/* ---- sharing groups -------------------------------------------------------- */

static fh_err group_find(struct fh__store_conn *c, const char *id_or_name,
                         char id_out[FH_STORE_GROUP_ID_STRLEN])
{
    return fh__store_find_id(c, "SELECT id FROM groups WHERE id = ?1 OR name = ?1", id_or_name,
                             id_out, FH_STORE_GROUP_ID_STRLEN, "group lookup");
}

/* Adds (add true) or removes one member, by organization id or name. */
static fh_err set_group_member(struct fh__store_conn *w, const char *group_id, const char *org,
                               bool add)
{
    char org_id[FH_STORE_ID_STRLEN];
    fh_err rc = fh__store_org_find(w, org, org_id);
    if (rc)
        return rc;
    sqlite3_stmt *st = fh__store_stmt_lit(
        w, add ? "INSERT OR IGNORE INTO group_members(group_id, org_id) VALUES (?1, ?2)"
               : "DELETE FROM group_members WHERE group_id = ?1 AND org_id = ?2");
    if (st == NULL)
        return FH_ERR_DB;
    fh__store_bind_text(st, 1, group_id);
    fh__store_bind_text(st, 2, org_id);
    return fh__store_step_done(w, st, "group membership");
}

fh_err fh_store_group_add(fh_store *s, const char *name, const char *const *orgs, size_t n,
                          char id_out[FH_STORE_GROUP_ID_STRLEN])
{
    if (name == NULL || name[0] == '\0' || strlen(name) > 200)
        return FH_ERR_INVALID;
    fh_uuid u;
    fh_err rc = fh_uuid_v4(&u);
    if (rc)
        return rc;
    char uuid[FH_UUID_STRLEN], id[FH_STORE_GROUP_ID_STRLEN], now[32];
    fh_uuid_format(&u, uuid);
    snprintf(id, sizeof id, "marking-definition--%s", uuid);
    /* Milliseconds: the precision STIX producers most often use. */
    int64_t us = fh__store_now_us();
    fh_store_format_us(us - us % 1000, now);
    rc = fh__store_begin(s);
    if (rc)
        return rc;
    struct fh__store_conn *w = &s->writer;
    sqlite3_stmt *st =
        fh__store_stmt_lit(w, "INSERT INTO groups(id, name, created) VALUES (?1, ?2, ?3)");
    if (st == NULL) {
        rc = FH_ERR_DB;
    } else {
        fh__store_bind_text(st, 1, id);
        fh__store_bind_text(st, 2, name);
        fh__store_bind_text(st, 3, now);
        int r = sqlite3_step(st);
        sqlite3_reset(st);
        if (r == SQLITE_CONSTRAINT)
            rc = FH_ERR_EXISTS;
        else if (r != SQLITE_DONE)
            rc = fh__store_dberr(w, "adding a group");
    }
    for (size_t i = 0; rc == FH_OK && i < n; i++)
        rc = set_group_member(w, id, orgs[i], true);
    rc = fh__store_end(s, rc);
    if (rc == FH_OK)
        memcpy(id_out, id, FH_STORE_GROUP_ID_STRLEN);
    return rc;
}

fh_err fh_store_group_members(fh_store *s, const char *group, const char *const *add, size_t n_add,
                              const char *const *remove, size_t n_remove)
{
    fh_err rc = fh__store_begin(s);
    if (rc)
        return rc;
    struct fh__store_conn *w = &s->writer;
    char id[FH_STORE_GROUP_ID_STRLEN];
    rc = group_find(w, group, id);
    for (size_t i = 0; rc == FH_OK && i < n_add; i++)
        rc = set_group_member(w, id, add[i], true);
    for (size_t i = 0; rc == FH_OK && i < n_remove; i++)
        rc = set_group_member(w, id, remove[i], false);
    return fh__store_end(s, rc);
}

fh_err fh_store_group_list(fh_store *s, const char *only, json_t **out)
{
    *out = NULL;
    struct fh__store_conn *c = fh__store_reader(s);
    char id[FH_STORE_GROUP_ID_STRLEN];
    fh_err rc = only ? group_find(c, only, id) : FH_OK;
    sqlite3_stmt *st = NULL, *mst = NULL;
    json_t *arr = json_array();
    if (rc)
        goto done;
    st = fh__store_stmt_lit(c, "SELECT id, name, created FROM groups WHERE ?1 IS NULL OR id = ?1 "
                               "ORDER BY created, name");
    mst = fh__store_stmt_lit(c, "SELECT o.id, o.name, json_extract(o.identity, '$.id') "
                                "FROM group_members m JOIN orgs o ON o.id = m.org_id "
                                "WHERE m.group_id = ?1 ORDER BY o.name");
    if (st == NULL || mst == NULL) {
        rc = FH_ERR_DB;
        goto done;
    }
    fh__store_bind_text(st, 1, only ? id : NULL);
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        const char *gid = (const char *)sqlite3_column_text(st, 0);
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *created = (const char *)sqlite3_column_text(st, 2);
        json_t *members = json_array(), *identities = json_array();
        sqlite3_reset(mst);
        fh__store_bind_text(mst, 1, gid);
        int mr;
        while ((mr = sqlite3_step(mst)) == SQLITE_ROW) {
            json_array_append_new(
                members, json_pack("{s:s,s:s,s:s}", "id", (const char *)sqlite3_column_text(mst, 0),
                                   "name", (const char *)sqlite3_column_text(mst, 1), "identity",
                                   (const char *)sqlite3_column_text(mst, 2)));
            json_array_append_new(identities,
                                  json_string((const char *)sqlite3_column_text(mst, 2)));
        }
        sqlite3_reset(mst);
        json_t *marking = fh_policy_group_marking(gid, name, created, identities);
        json_decref(identities);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:o,s:o}", "id", gid, "name", name,
                                             "created", created, "members", members,
                                             "marking_definition", marking));
        if (mr != SQLITE_DONE) {
            rc = fh__store_dberr(c, "listing group members");
            break;
        }
    }
    sqlite3_reset(st);
    if (rc == FH_OK && r != SQLITE_DONE)
        rc = fh__store_dberr(c, "listing groups");
done:
    fh__store_reader_done(s, c);
    if (rc)
        json_decref(arr);
    else
        *out = arr;
    return rc;
}

/* ---- the reader ------------------------------------------------------------ */

fh_err fh__store_reader_facts(struct fh__store_conn *c, int64_t coll, const char *org_id,
                              struct fh__store_reader_facts *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->org_id, sizeof out->org_id, "%s", org_id);
    sqlite3_stmt *st =
        fh__store_stmt_lit(c, "SELECT o.parent, "
                              "(SELECT can_read FROM grants WHERE coll = ?1 AND org_id = o.id), "
                              "(SELECT can_read FROM grants WHERE coll = ?1 AND org_id = o.parent) "
                              "FROM orgs o WHERE o.id = ?2");
    if (st == NULL)
        return FH_ERR_DB;
    sqlite3_bind_int64(st, 1, coll);
    fh__store_bind_text(st, 2, org_id);
    int r = sqlite3_step(st);
    fh_err rc = FH_OK;
    if (r == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) != SQLITE_NULL)
            snprintf(out->parent, sizeof out->parent, "%s",
                     (const char *)sqlite3_column_text(st, 0));
        out->reads = sqlite3_column_int(st, 1) != 0;
        out->parent_reads = sqlite3_column_int(st, 2) != 0;
    } else if (r != SQLITE_DONE) {
        rc = fh__store_dberr(c, "reader lookup");
    }
    /* An unknown organization reads nothing: all facts stay false. */
    sqlite3_reset(st);
    return rc;
}

/* ---- audit ----------------------------------------------------------------- */

fh_err fh_store_audit_append(fh_store *s, const fh_store_audit *a)
{
    /* Audited reads must not wait for an fsync each: the record commits
     * with synchronous=NORMAL (in WAL mode: durable when the process
     * crashes, fsynced with the next POST's commit or checkpoint). */
    pthread_mutex_lock(&s->write_lock);
    fh_err rc = fh__store_exec(&s->writer, "PRAGMA synchronous=NORMAL");
    if (rc == FH_OK)
        rc = fh__store_exec(&s->writer, "BEGIN IMMEDIATE");
    if (rc) {
        fh__store_exec(&s->writer, "PRAGMA synchronous=FULL");
        pthread_mutex_unlock(&s->write_lock);
        return rc;
    }
    struct fh__store_conn *w = &s->writer;
    sqlite3_stmt *st = fh__store_stmt_lit(
        w, "INSERT INTO audit(at, org_id, token_id, action, endpoint, collection, object_ids, "
           "detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (st == NULL) {
        rc = FH_ERR_DB;
    } else {
        sqlite3_bind_int64(st, 1, fh__store_now_us());
        fh__store_bind_text(st, 2, a->org_id);
        fh__store_bind_text(st, 3, a->token_id);
        fh__store_bind_text(st, 4, a->action);
        fh__store_bind_text(st, 5, a->endpoint);
        fh__store_bind_text(st, 6, a->collection);
        fh__store_bind_text(st, 7, a->object_ids);
        fh__store_bind_text(st, 8, a->detail);
        rc = fh__store_step_done(w, st, "appending an audit record");
    }
    if (rc == FH_OK)
        rc = fh__store_exec(w, "COMMIT");
    if (rc)
        fh__store_exec(w, "ROLLBACK");
    /* Back to FULL before any POST can take the lock. */
    if (fh__store_exec(w, "PRAGMA synchronous=FULL") != FH_OK && rc == FH_OK)
        rc = FH_ERR_DB;
    pthread_mutex_unlock(&s->write_lock);
    return rc;
}

fh_err fh_store_audit_list(fh_store *s, int64_t since_us, const char *org, json_t **out)
{
    *out = NULL;
    struct fh__store_conn *c = fh__store_reader(s);
    char org_id[FH_STORE_ID_STRLEN];
    fh_err rc = org ? fh__store_org_find(c, org, org_id) : FH_OK;
    sqlite3_stmt *st = NULL;
    if (rc)
        goto done;
    st = fh__store_stmt_lit(c, "SELECT a.seq, a.at, a.org_id, o.name, a.token_id, a.action, "
                               "a.endpoint, a.collection, a.object_ids, a.detail FROM audit a "
                               "LEFT JOIN orgs o ON o.id = a.org_id "
                               "WHERE a.at >= ?1 AND (?2 IS NULL OR a.org_id = ?2) ORDER BY a.seq");
    if (st == NULL) {
        rc = FH_ERR_DB;
        goto done;
    }
    sqlite3_bind_int64(st, 1, since_us);
    fh__store_bind_text(st, 2, org ? org_id : NULL);
    static const char *const keys[] = {"seq",    "time",     "org",        "org_name",   "token",
                                       "action", "endpoint", "collection", "object_ids", "detail"};
    json_t *arr = json_array();
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_object();
        char ts[32];
        json_object_set_new(o, keys[0], json_integer(sqlite3_column_int64(st, 0)));
        fh_store_format_us(sqlite3_column_int64(st, 1), ts);
        json_object_set_new(o, keys[1], json_string(ts));
        for (int i = 2; i < 10; i++) {
            const char *v = (const char *)sqlite3_column_text(st, i);
            json_t *jv = NULL;
            if (v && i == 8)
                jv = json_loads(v, 0, NULL);
            else if (v)
                jv = json_string(v);
            json_object_set_new(o, keys[i], jv ? jv : json_null());
        }
        json_array_append_new(arr, o);
    }
    sqlite3_reset(st);
    if (r != SQLITE_DONE) {
        json_decref(arr);
        rc = fh__store_dberr(c, "listing audit records");
    } else {
        *out = arr;
    }
done:
    fh__store_reader_done(s, c);
    return rc;
}

/* ---- victim privacy: the pseudonym key ------------------------------------- */

/* The key lives in a file of its own so it can be rotated by replacing the
 * file (an atomic rename), which a hub running on the same folder notices
 * on its next read; it is never logged. */
#define PSEUDONYM_KEY_FILE "pseudonym.key"

struct fh__store_pseudo_key {
    fh_policy_cryptopan *cp;
    unsigned refs;
    dev_t dev;
    ino_t ino;
    struct timespec mtim, ctim;
};

static bool same_file(const struct fh__store_pseudo_key *k, const struct stat *st)
{
    return k && k->dev == st->st_dev && k->ino == st->st_ino &&
           k->mtim.tv_sec == st->st_mtim.tv_sec && k->mtim.tv_nsec == st->st_mtim.tv_nsec &&
           k->ctim.tv_sec == st->st_ctim.tv_sec && k->ctim.tv_nsec == st->st_ctim.tv_nsec;
}

static void key_release_locked(struct fh__store_pseudo_key *k)
{
    if (k && --k->refs == 0) {
        fh_policy_cryptopan_free(k->cp);
        free(k);
    }
}

/* Reads the key file at path into a new key. The file must be a regular
 * file of exactly 32 bytes that only its owner may read. */
static fh_err key_read(const char *path, struct fh__store_pseudo_key **out, fh_buf *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        fh_buf_appendf(err, "cannot read the pseudonym key %s: %s", path, strerror(errno));
        return FH_ERR_IO;
    }
    struct stat st;
    uint8_t key[FH_POLICY_CRYPTOPAN_KEYLEN];
    fh_err rc = FH_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        fh_buf_appendf(err, "the pseudonym key %s is not a regular file", path);
        rc = FH_ERR_IO;
    } else if (st.st_mode & 077) {
        fh_buf_appendf(err,
                       "the pseudonym key %s has mode %03o; only its owner may read it "
                       "(chmod 600)",
                       path, (unsigned)(st.st_mode & 0777));
        rc = FH_ERR_IO;
    } else if (st.st_size != FH_POLICY_CRYPTOPAN_KEYLEN ||
               read(fd, key, sizeof key) != (ssize_t)sizeof key) {
        fh_buf_appendf(err,
                       "the pseudonym key %s must hold exactly %d bytes (remove it to make a new "
                       "key; pseudonyms then change)",
                       path, FH_POLICY_CRYPTOPAN_KEYLEN);
        rc = FH_ERR_IO;
    }
    close(fd);
    if (rc == FH_OK) {
        struct fh__store_pseudo_key *k = fh_xcalloc(1, sizeof *k);
        k->cp = fh_policy_cryptopan_new(key);
        k->refs = 1;
        k->dev = st.st_dev;
        k->ino = st.st_ino;
        k->mtim = st.st_mtim;
        k->ctim = st.st_ctim;
        *out = k;
    }
    memset(key, 0, sizeof key);
    return rc;
}

/* Writes a new random key file: replacing the old one (rotation) or only
 * when there is none (first open; another process may create it at the
 * same time, and then its key is kept). */
static fh_err key_write(const char *dir, bool replace, fh_buf *err)
{
    uint8_t key[FH_POLICY_CRYPTOPAN_KEYLEN];
    fh_err rc = fh_random_bytes(key, sizeof key);
    if (rc) {
        fh_buf_appendf(err, "no random bytes for the pseudonym key");
        return rc;
    }
    char *path = fh_xasprintf("%s/%s", dir, PSEUDONYM_KEY_FILE);
    char *tmp = fh_xasprintf("%s/.%s.XXXXXX", dir, PSEUDONYM_KEY_FILE);
    int fd = mkstemp(tmp); /* mode 0600 */
    if (fd < 0 || fchmod(fd, 0600) != 0 || write(fd, key, sizeof key) != (ssize_t)sizeof key ||
        fsync(fd) != 0) {
        fh_buf_appendf(err, "cannot write a pseudonym key in %s: %s", dir, strerror(errno));
        rc = FH_ERR_IO;
    }
    if (fd >= 0)
        close(fd);
    memset(key, 0, sizeof key);
    if (rc == FH_OK && replace && rename(tmp, path) != 0) {
        fh_buf_appendf(err, "cannot replace %s: %s", path, strerror(errno));
        rc = FH_ERR_IO;
    }
    if (rc == FH_OK && !replace && link(tmp, path) != 0 && errno != EEXIST) {
        fh_buf_appendf(err, "cannot create %s: %s", path, strerror(errno));
        rc = FH_ERR_IO;
    }
    if (fd >= 0 && (rc || !replace))
        unlink(tmp);
    if (rc == FH_OK) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    free(tmp);
    free(path);
    return rc;
}

/* Takes a reference to the current key, reloading it first when its file
 * was replaced (a rotation by this or another process). NULL when there is
 * no usable key. */
static struct fh__store_pseudo_key *key_acquire(fh_store *s)
{
    char *path = fh_xasprintf("%s/%s", s->dir, PSEUDONYM_KEY_FILE);
    pthread_mutex_lock(&s->pseudo_lock);
    struct stat st;
    if (stat(path, &st) == 0 && !same_file(s->pseudo, &st)) {
        struct fh__store_pseudo_key *k = NULL;
        fh_buf err;
        fh_buf_init(&err, 4096);
        if (key_read(path, &k, &err) == FH_OK) {
            key_release_locked(s->pseudo);
            s->pseudo = k;
            fh_info("store", "pseudonym key (re)loaded from %s", path);
        } else if (s->pseudo) {
            /* Keep pseudonymizing with the key we have; warn once for this
             * state of the file. */
            fh_warn("store", "%s; still using the previous key", err.data ? err.data : "?");
            s->pseudo->dev = st.st_dev;
            s->pseudo->ino = st.st_ino;
            s->pseudo->mtim = st.st_mtim;
            s->pseudo->ctim = st.st_ctim;
        }
        fh_buf_cleanup(&err);
    }
    struct fh__store_pseudo_key *k = s->pseudo;
    if (k)
        k->refs++;
    pthread_mutex_unlock(&s->pseudo_lock);
    free(path);
    return k;
}

static void key_release(fh_store *s, struct fh__store_pseudo_key *k)
{
    if (k == NULL)
        return;
    pthread_mutex_lock(&s->pseudo_lock);
    key_release_locked(k);
    pthread_mutex_unlock(&s->pseudo_lock);
}

/* Fills lo/hi of the address SCOs that migration 3 copied into the index,
 * once. */
static fh_err fill_sco_ranges(fh_store *s)
{
    fh_err rc = fh__store_begin(s);
    if (rc)
        return rc;
    struct fh__store_conn *w = &s->writer;
    sqlite3_stmt *st =
        fh__store_stmt_lit(w, "SELECT 1 FROM meta WHERE key = 'sco_index_ranges' AND value = 0");
    if (st == NULL)
        return fh__store_end(s, FH_ERR_DB);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r != SQLITE_ROW)
        return fh__store_end(s, r == SQLITE_DONE ? FH_OK : fh__store_dberr(w, "meta"));
    sqlite3_stmt *up = NULL;
    st = NULL;
    if (sqlite3_prepare_v2(w->db,
                           "SELECT id, json_extract(body, '$.value') FROM sco_index WHERE lo IS "
                           "NULL AND (id LIKE 'ipv4-addr--%' OR id LIKE 'ipv6-addr--%')",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(w->db, "UPDATE sco_index SET lo = ?2, hi = ?3 WHERE id = ?1", -1, &up,
                           NULL) != SQLITE_OK)
        rc = fh__store_dberr(w, "preparing the SCO index");
    while (rc == FH_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
        fh_policy_prefix p;
        uint8_t lo[17], hi[17];
        if (fh_policy_prefix_parse((const char *)sqlite3_column_text(st, 1), &p) != FH_OK)
            continue;
        size_t n = fh_policy_prefix_range(&p, lo, hi);
        sqlite3_reset(up);
        fh__store_bind_text(up, 1, (const char *)sqlite3_column_text(st, 0));
        sqlite3_bind_blob(up, 2, lo, (int)n, SQLITE_TRANSIENT);
        sqlite3_bind_blob(up, 3, hi, (int)n, SQLITE_TRANSIENT);
        if (sqlite3_step(up) != SQLITE_DONE)
            rc = fh__store_dberr(w, "filling the SCO index");
    }
    if (rc == FH_OK && r != SQLITE_DONE)
        rc = fh__store_dberr(w, "reading the SCO index");
    sqlite3_finalize(st);
    sqlite3_finalize(up);
    if (rc == FH_OK)
        rc = fh__store_exec(w, "UPDATE meta SET value = 1 WHERE key = 'sco_index_ranges'");
    return fh__store_end(s, rc);
}

fh_err fh__store_pseudonym_open(fh_store *s, fh_buf *err)
{
    fh_buf e;
    fh_buf_init(&e, 4096);
    char *path = fh_xasprintf("%s/%s", s->dir, PSEUDONYM_KEY_FILE);
    struct stat st;
    fh_err rc = FH_OK;
    if (lstat(path, &st) != 0 && errno == ENOENT)
        rc = key_write(s->dir, false, &e);
    struct fh__store_pseudo_key *k = NULL;
    if (rc == FH_OK)
        rc = key_read(path, &k, &e);
    if (rc == FH_OK) {
        pthread_mutex_lock(&s->pseudo_lock);
        key_release_locked(s->pseudo);
        s->pseudo = k;
        pthread_mutex_unlock(&s->pseudo_lock);
        rc = fill_sco_ranges(s);
    } else if (err) {
        fh_buf_append_str(err, e.data ? e.data : "cannot load the pseudonym key");
    }
    free(path);
    fh_buf_cleanup(&e);
    return rc;
}

void fh__store_pseudonym_close(fh_store *s)
{
    key_release_locked(s->pseudo);
    s->pseudo = NULL;
}

fh_err fh_store_pseudonym_rotate(fh_store *s)
{
    fh_buf err;
    fh_buf_init(&err, 4096);
    fh_err rc = key_write(s->dir, true, &err);
    if (rc)
        fh_error("store", "pseudonym key rotation: %s", err.data ? err.data : "?");
    fh_buf_cleanup(&err);
    if (rc == FH_OK)
        key_release(s, key_acquire(s)); /* this process switches at once */
    return rc;
}

/* ---- victim privacy: networks ----------------------------------------------- */

/* Parses a declared network: an address or a prefix without host bits. */
static fh_err network_parse(const char *text, fh_policy_prefix *p, char norm[64])
{
    if (fh_policy_prefix_parse(text, p) != FH_OK)
        return FH_ERR_INVALID;
    fh_policy_prefix m = *p;
    fh_policy_prefix_mask(&m);
    if (memcmp(m.addr, p->addr, sizeof m.addr) != 0)
        return FH_ERR_INVALID;
    p->has_len = true;
    fh_policy_prefix_format(p, norm, 64);
    return FH_OK;
}

fh_err fh_store_org_networks(fh_store *s, const char *org, bool clear, const char *const *add,
                             size_t n_add, const char *const *remove, size_t n_remove,
                             const char **bad)
{
    if (bad)
        *bad = NULL;
    fh_policy_prefix p;
    char norm[64];
    for (size_t i = 0; i < n_add + n_remove; i++) {
        const char *t = i < n_add ? add[i] : remove[i - n_add];
        if (network_parse(t, &p, norm) != FH_OK) {
            if (bad)
                *bad = t;
            return FH_ERR_INVALID;
        }
    }
    if (n_add > FH_STORE_MAX_NETWORKS)
        return FH_ERR_LIMIT;
    fh_err rc = fh__store_begin(s);
    if (rc)
        return rc;
    struct fh__store_conn *w = &s->writer;
    char org_id[FH_STORE_ID_STRLEN];
    rc = fh__store_org_find(w, org, org_id);
    sqlite3_stmt *st;
    if (rc == FH_OK && clear) {
        st = fh__store_stmt_lit(w, "DELETE FROM org_networks WHERE org_id = ?1");
        if (st == NULL)
            rc = FH_ERR_DB;
        else {
            fh__store_bind_text(st, 1, org_id);
            rc = fh__store_step_done(w, st, "clearing networks");
        }
    }
    for (size_t i = 0; rc == FH_OK && i < n_add + n_remove; i++) {
        bool adding = i < n_add;
        network_parse(adding ? add[i] : remove[i - n_add], &p, norm);
        st = fh__store_stmt_lit(w, adding ? "INSERT OR IGNORE INTO org_networks(org_id, cidr, lo, "
                                            "hi) VALUES (?1, ?2, ?3, ?4)"
                                          : "DELETE FROM org_networks WHERE org_id = ?1 AND "
                                            "cidr = ?2");
        if (st == NULL) {
            rc = FH_ERR_DB;
            break;
        }
        fh__store_bind_text(st, 1, org_id);
        fh__store_bind_text(st, 2, norm);
        if (adding) {
            uint8_t lo[17], hi[17];
            size_t n = fh_policy_prefix_range(&p, lo, hi);
            sqlite3_bind_blob(st, 3, lo, (int)n, SQLITE_TRANSIENT);
            sqlite3_bind_blob(st, 4, hi, (int)n, SQLITE_TRANSIENT);
        }
        rc = fh__store_step_done(w, st, "changing networks");
    }
    if (rc == FH_OK) {
        st = fh__store_stmt_lit(w, "SELECT count(*) FROM org_networks WHERE org_id = ?1");
        if (st == NULL) {
            rc = FH_ERR_DB;
        } else {
            fh__store_bind_text(st, 1, org_id);
            if (sqlite3_step(st) != SQLITE_ROW)
                rc = fh__store_dberr(w, "counting networks");
            else if (sqlite3_column_int64(st, 0) > FH_STORE_MAX_NETWORKS)
                rc = FH_ERR_LIMIT;
            sqlite3_reset(st);
        }
    }
    return fh__store_end(s, rc);
}

/* A new JSON array of the networks of org_id, in address order. */
static fh_err networks_of(struct fh__store_conn *c, const char *org_id, json_t **out)
{
    sqlite3_stmt *st =
        fh__store_stmt_lit(c, "SELECT cidr FROM org_networks WHERE org_id = ?1 ORDER BY lo, hi");
    if (st == NULL)
        return FH_ERR_DB;
    fh__store_bind_text(st, 1, org_id);
    json_t *arr = json_array();
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(arr, json_string((const char *)sqlite3_column_text(st, 0)));
    sqlite3_reset(st);
    if (r != SQLITE_DONE) {
        json_decref(arr);
        return fh__store_dberr(c, "listing networks");
    }
    *out = arr;
    return FH_OK;
}

fh_err fh_store_org_networks_list(fh_store *s, const char *org, json_t **out)
{
    *out = NULL;
    struct fh__store_conn *c = fh__store_reader(s);
    char org_id[FH_STORE_ID_STRLEN];
    fh_err rc = fh__store_org_find(c, org, org_id);
    if (rc == FH_OK)
        rc = networks_of(c, org_id, out);
    fh__store_reader_done(s, c);
    return rc;
}

fh_err fh__store_org_list_networks(struct fh__store_conn *c, json_t *list)
{
    size_t i;
    json_t *o;
    json_array_foreach(list, i, o)
    {
        json_t *nets = NULL;
        fh_err rc = networks_of(c, fh_json_str(o, "id"), &nets);
        if (rc)
            return rc;
        json_object_set_new(o, "networks", nets);
    }
    return FH_OK;
}

/* ---- victim privacy: the SCO index and the reader's copy --------------------- */

fh_err fh__store_sco_index(struct fh__store_conn *w, const char *id, const char *type,
                           const json_t *o, const char *body, size_t len)
{
    bool address = strcmp(type, "ipv4-addr") == 0 || strcmp(type, "ipv6-addr") == 0;
    if (!address && strcmp(type, "network-traffic") != 0)
        return FH_OK;
    sqlite3_stmt *st = fh__store_stmt_lit(
        w, "INSERT OR IGNORE INTO sco_index(id, body, lo, hi) VALUES (?1, ?2, ?3, ?4)");
    if (st == NULL)
        return FH_ERR_DB;
    fh__store_bind_text(st, 1, id);
    sqlite3_bind_text(st, 2, body, (int)len, SQLITE_TRANSIENT);
    fh_policy_prefix p;
    if (address && fh_policy_prefix_parse(fh_json_str(o, "value"), &p) == FH_OK) {
        uint8_t lo[17], hi[17];
        size_t n = fh_policy_prefix_range(&p, lo, hi);
        sqlite3_bind_blob(st, 3, lo, (int)n, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 4, hi, (int)n, SQLITE_TRANSIENT);
    }
    return fh__store_step_done(w, st, "indexing an SCO");
}

/* The most SCOs one query resolves and keeps (beyond: looked up again). */
#define MAX_RESOLVED 100000

/* The networks that count for one referenced SCO because of its own
 * versions (own_nets), remembered for the query. */
struct own_entry {
    fh_policy_prefix *nets;
    size_t n;
};

struct fh__store_victims {
    fh_store *s;
    struct fh__store_conn *c;
    int64_t coll; /* the collection being read */
    char *reader; /* the reader's organization id */
    struct fh__store_pseudo_key *key;
    sqlite3_stmt *lookup; /* not from the statement cache: see resolve() */
    sqlite3_stmt *owners; /* the same, for own_nets() */
    json_t *resolved;     /* id -> stored object, or null when unknown */
    json_t *memo;         /* id -> rewritten id under nets_text (fh_policy_victims) */
    json_t *scratch;      /* the last object resolved beyond MAX_RESOLVED */
    json_t *own;          /* id -> index in owns */
    struct own_entry *owns;
    size_t n_owns, cap_owns;
    struct own_entry own_scratch; /* the last one beyond MAX_RESOLVED */
    char *nets_text;              /* the networks parsed last */
    fh_policy_prefix *nets;
    size_t n_nets;
    fh_policy_prefix *all; /* every organization's networks (ALL_NETWORKS) */
    size_t n_all;
    int all_state; /* 0: not loaded, 1: loaded, 2: too many to scan */
};

struct fh__store_victims *fh__store_victims_new(fh_store *s, struct fh__store_conn *c, int64_t coll,
                                                const char *reader)
{
    struct fh__store_victims *v = fh_xcalloc(1, sizeof *v);
    v->s = s;
    v->c = c;
    v->coll = coll;
    v->reader = fh_xstrdup(reader ? reader : "");
    v->resolved = json_object();
    v->memo = json_object();
    v->own = json_object();
    return v;
}

void fh__store_victims_free(struct fh__store_victims *v)
{
    if (v == NULL)
        return;
    key_release(v->s, v->key);
    sqlite3_finalize(v->lookup);
    sqlite3_finalize(v->owners);
    json_decref(v->resolved);
    json_decref(v->memo);
    json_decref(v->scratch);
    json_decref(v->own);
    for (size_t i = 0; i < v->n_owns; i++)
        free(v->owns[i].nets);
    free(v->owns);
    free(v->own_scratch.nets);
    free(v->reader);
    free(v->nets_text);
    free(v->nets);
    free(v->all);
    free(v);
}

/* The stored address or network-traffic SCO with this id. The statement is
 * prepared outside the connection's cache: the query being read is in that
 * cache, and a new entry could evict (finalize) it mid-step. */
static const json_t *resolve(void *ctx, const char *id)
{
    struct fh__store_victims *v = ctx;
    json_t *known = json_object_get(v->resolved, id);
    if (known)
        return json_is_null(known) ? NULL : known;
    if (v->lookup == NULL &&
        sqlite3_prepare_v2(v->c->db, "SELECT body FROM sco_index WHERE id = ?1", -1, &v->lookup,
                           NULL) != SQLITE_OK) {
        fh__store_dberr(v->c, "preparing the SCO lookup");
        v->lookup = NULL;
        return NULL;
    }
    sqlite3_reset(v->lookup);
    fh__store_bind_text(v->lookup, 1, id);
    json_t *o = NULL;
    if (sqlite3_step(v->lookup) == SQLITE_ROW)
        o = json_loadb((const char *)sqlite3_column_text(v->lookup, 0),
                       (size_t)sqlite3_column_bytes(v->lookup, 0), 0, NULL);
    sqlite3_reset(v->lookup);
    if (json_object_size(v->resolved) >= MAX_RESOLVED) {
        json_decref(v->scratch);
        v->scratch = o;
        return o;
    }
    json_object_set_new(v->resolved, id, o ? o : json_null());
    return o;
}

/* At most this many networks (of all organizations) are scanned to rule
 * out, without a query, that an address is anyone's victim. */
#define ALL_NETWORKS 4096

/* Whether the address value of o (an address SCO), or of an address SCO a
 * network-traffic o names, may lie inside some organization's network. */
static bool maybe_victim(struct fh__store_victims *v, const json_t *o, int depth)
{
    if (o == NULL)
        return false; /* unknown to the hub: a reference to it stays */
    if (v->all_state == 0) {
        v->all_state = 1;
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(v->c->db, "SELECT cidr FROM org_networks LIMIT ?1", -1, &st, NULL) !=
            SQLITE_OK) {
            v->all_state = 2;
        } else {
            sqlite3_bind_int(st, 1, ALL_NETWORKS + 1);
            v->all = fh_xcalloc(ALL_NETWORKS + 1, sizeof *v->all);
            while (sqlite3_step(st) == SQLITE_ROW) {
                if (fh_policy_prefix_parse((const char *)sqlite3_column_text(st, 0),
                                           &v->all[v->n_all]) == FH_OK)
                    v->n_all++;
            }
            if (v->n_all > ALL_NETWORKS)
                v->all_state = 2;
        }
        sqlite3_finalize(st);
    }
    if (v->all_state == 2)
        return true;
    const char *val = json_string_value(json_object_get(o, "value"));
    fh_policy_prefix p;
    if (val)
        return fh_policy_prefix_parse(val, &p) != FH_OK ||
               fh_policy_prefix_inside(&p, v->all, v->n_all);
    if (depth > 0)
        return false;
    /* The ends' ids are copied first: resolving one may free o (see
     * resolve(), beyond MAX_RESOLVED). */
    char ends[2][256];
    static const char *const keys[] = {"src_ref", "dst_ref"};
    for (size_t i = 0; i < FH_ARRAY_LEN(keys); i++) {
        const char *ref = json_string_value(json_object_get(o, keys[i]));
        snprintf(ends[i], sizeof ends[i], "%s", ref && strlen(ref) < sizeof ends[i] ? ref : "");
    }
    for (size_t i = 0; i < FH_ARRAY_LEN(keys); i++) {
        if (ends[i][0] && maybe_victim(v, resolve(v, ends[i]), depth + 1))
            return true;
    }
    return false;
}

/*
 * The networks of the submitters of the SCO's own versions that the reader
 * did not submit (docs/SHARING.md, "How references are followed"): its
 * versions in the collection being read when that collection holds it;
 * otherwise its versions in every collection, so a reference to an SCO
 * stored elsewhere never names an original id that the reader is shown
 * pseudonymized there. Whether the reader may see those versions does not
 * matter: the answer must not depend on objects hidden from it.
 */
static const fh_policy_prefix *own_nets(void *ctx, const char *id, size_t *n)
{
    struct fh__store_victims *v = ctx;
    *n = 0;
    json_t *known = json_object_get(v->own, id);
    if (known) {
        struct own_entry *e = &v->owns[json_integer_value(known)];
        *n = e->n;
        return e->nets;
    }
    /* No value inside anyone's networks: no networks can matter for it. */
    if (!maybe_victim(v, resolve(v, id), 0))
        return NULL;
    if (v->owners == NULL &&
        sqlite3_prepare_v2(
            v->c->db,
            "SELECT DISTINCT n.cidr FROM collections k CROSS JOIN objects x ON x.coll = k.n "
            "AND x.id = ?1 JOIN org_networks n ON (n.org_id = x.submitter OR n.org_id IN "
            "(SELECT c.org_id FROM object_submitters c WHERE c.seq = x.seq)) WHERE (k.n = ?2 OR "
            "NOT EXISTS (SELECT 1 FROM objects y WHERE y.coll = ?2 AND y.id = ?1)) AND NOT "
            "(x.submitter IS ?3 OR EXISTS (SELECT 1 FROM object_submitters c WHERE c.seq = "
            "x.seq AND c.org_id = ?3))",
            -1, &v->owners, NULL) != SQLITE_OK) {
        fh__store_dberr(v->c, "preparing the SCO owners lookup");
        v->owners = NULL;
        return NULL;
    }
    sqlite3_reset(v->owners);
    fh__store_bind_text(v->owners, 1, id);
    sqlite3_bind_int64(v->owners, 2, v->coll);
    fh__store_bind_text(v->owners, 3, v->reader);
    struct own_entry e = {0};
    size_t cap = 0;
    int step;
    while ((step = sqlite3_step(v->owners)) == SQLITE_ROW) {
        fh_policy_prefix p;
        if (fh_policy_prefix_parse((const char *)sqlite3_column_text(v->owners, 0), &p) != FH_OK)
            continue;
        if (e.n == cap) {
            cap = cap ? 2 * cap : 4;
            e.nets = fh_xrealloc(e.nets, cap * sizeof *e.nets);
        }
        e.nets[e.n++] = p;
    }
    if (step != SQLITE_DONE)
        fh__store_dberr(v->c, "looking up an SCO's submitters");
    sqlite3_reset(v->owners);
    if (json_object_size(v->own) >= MAX_RESOLVED) {
        free(v->own_scratch.nets);
        v->own_scratch = e;
        *n = e.n;
        return e.nets;
    }
    if (v->n_owns == v->cap_owns) {
        v->cap_owns = v->cap_owns ? 2 * v->cap_owns : 64;
        v->owns = fh_xrealloc(v->owns, v->cap_owns * sizeof *v->owns);
    }
    v->owns[v->n_owns] = e;
    json_object_set_new(v->own, id, json_integer((json_int_t)v->n_owns));
    v->n_owns++;
    *n = e.n;
    return e.nets;
}

fh_err fh__store_victims_apply(struct fh__store_victims *v, const char *nets, json_t *o,
                               bool *changed)
{
    if (changed)
        *changed = false;
    if (nets == NULL)
        return FH_OK;
    if (v->nets_text == NULL || strcmp(v->nets_text, nets) != 0) {
        json_t *arr = json_loads(nets, 0, NULL);
        free(v->nets_text);
        free(v->nets);
        v->nets_text = fh_xstrdup(nets);
        v->nets = fh_xcalloc(json_array_size(arr) + 1, sizeof *v->nets);
        v->n_nets = 0;
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e)
        {
            if (fh_policy_prefix_parse(json_string_value(e), &v->nets[v->n_nets]) == FH_OK)
                v->n_nets++;
        }
        json_decref(arr);
        json_object_clear(v->memo);
    }
    if (json_object_size(v->memo) >= MAX_RESOLVED)
        json_object_clear(v->memo);
    if (v->key == NULL && (v->key = key_acquire(v->s)) == NULL) {
        fh_error("store", "no pseudonym key: reads that need pseudonyms fail");
        return FH_ERR_CRYPTO;
    }
    fh_policy_victims pv = {.cp = v->key->cp,
                            .nets = v->nets,
                            .n_nets = v->n_nets,
                            .resolve = resolve,
                            .own_nets = own_nets,
                            .ctx = v,
                            .memo = v->memo};
    fh_policy_pseudonymize(o, &pv, changed);
    return FH_OK;
}

/*
 * The store's side of the sharing policy (docs/SHARING.md): client
 * organizations (parents), collection default TLP, sharing groups and their
 * members, and the facts about a reader that the visibility predicate of
 * store-objects.c is built from.
 *
 * Not for: the predicate itself (it lives beside the queries it joins) or
 * the meaning of TLP markings (lib/policy).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/policy.h"
#include "fenghuo/time.h"
#include "fenghuo/uuid.h"
#include "store/store-int.h"

/* Runs a prepared one-shot write statement; FH_ERR_DB on failure. */
static fh_err step_done(struct fh__store_conn *c, sqlite3_stmt *st, const char *what)
{
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE ? FH_OK : fh__store_dberr(c, what);
}

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
            rc = step_done(w, st, "setting a parent");
        }
    }
    return fh__store_end(s, rc);
}

fh_err fh_store_org_set_named(fh_store *s, const char *org, bool named)
{
    fh_err rc = fh__store_begin(s);
    if (rc)
        return rc;
    struct fh__store_conn *w = &s->writer;
    char org_id[FH_STORE_ID_STRLEN];
    rc = fh__store_org_find(w, org, org_id);
    if (rc == FH_OK) {
        sqlite3_stmt *st = fh__store_stmt_lit(w, "UPDATE orgs SET named = ?2 WHERE id = ?1");
        if (st == NULL) {
            rc = FH_ERR_DB;
        } else {
            fh__store_bind_text(st, 1, org_id);
            sqlite3_bind_int(st, 2, named);
            rc = step_done(w, st, "setting attribution");
        }
    }
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
            rc = step_done(w, st, "setting the default TLP");
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
static fh_err group_member(struct fh__store_conn *w, const char *group_id, const char *org,
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
    return step_done(w, st, "group membership");
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
        rc = group_member(w, id, orgs[i], true);
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
        rc = group_member(w, id, add[i], true);
    for (size_t i = 0; rc == FH_OK && i < n_remove; i++)
        rc = group_member(w, id, remove[i], false);
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
        rc = step_done(w, st, "appending an audit record");
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

/*
 * STIX objects in the store: idempotent posts with their status resources,
 * filtered queries in date_added order (objects, manifest, versions),
 * deletion, and status lookups.
 *
 * Each object version is one row. is_first / is_last mark the earliest and
 * latest version of an object in its collection, kept right on every insert
 * and delete, so "latest version" queries (the TAXII default) are a plain
 * indexed range scan instead of a GROUP BY.
 *
 * Visibility (docs/SHARING.md) is a predicate in the WHERE clause of every
 * read and delete that has a reader: each version carries its submitter and
 * effective TLP, object_groups lists the sharing groups it names, and group
 * membership and grants are joined at query time.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/json.h"
#include "fenghuo/policy.h"
#include "fenghuo/time.h"
#include "fenghuo/uuid.h"
#include "store/store-int.h"

/* How long status resources are kept: the spec asks for at least 24 hours. */
#define STATUS_RETENTION_US ((int64_t)7 * 24 * 3600 * 1000000)

#define MANIFEST_MEDIA_TYPE "application/stix+json;version=2.1"

void fh_store_result_init(fh_store_result *r)
{
    memset(r, 0, sizeof *r);
    fh_buf_init(&r->items, FH_BUF_DEFAULT_MAX);
    fh_buf_init(&r->restricted, FH_BUF_DEFAULT_MAX);
}

void fh_store_result_cleanup(fh_store_result *r)
{
    fh_buf_cleanup(&r->items);
    fh_buf_cleanup(&r->restricted);
}

/* The sortable key of a version: the instant with nine fractional digits, so
 * "…:00.1Z" and "…:00.100Z" are one version and keys compare as text. */
static void version_key(const fh_time *t, char out[32])
{
    fh_time_format_digits(t, 9, out, 32);
}

static void us_to_time(int64_t us, fh_time *t)
{
    t->sec = us / 1000000;
    t->nsec = (uint32_t)((us % 1000000) * 1000);
    t->frac_digits = 6;
}

/* Appends s (len bytes) as a JSON string. Ids and timestamps need no
 * escaping, so they are copied in one piece; anything else goes through the
 * general escaper. */
static fh_err append_json_str(fh_buf *b, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f)
            return fh_buf_append_json_string(b, s, len);
    }
    fh_err rc = fh_buf_append_char(b, '"');
    if (rc == FH_OK)
        rc = fh_buf_append(b, s, len);
    if (rc == FH_OK)
        rc = fh_buf_append_char(b, '"');
    return rc;
}

/* ---- posting ------------------------------------------------------------ */

struct prepared {
    const json_t *object; /* borrowed from the put item */
    int tlp;              /* TLP of its object markings, or FH_TLP_NONE */
    int gwhole, gpartial; /* TLP of its granular markings (fh_policy_granular_tlp) */
    const char *id;
    const char *type;
    const char *spec_version;
    const char *version; /* modified or created as written, or NULL */
    char vkey[32];
    uint8_t digest[32];
    fh_buf body;
};

static int dump_cb(const char *buffer, size_t size, void *data)
{
    return fh_buf_append(data, buffer, size) == FH_OK ? 0 : -1;
}

/* Compact JSON in the object's own key order. */
static fh_err fh_json_compact(const json_t *v, fh_buf *out)
{
    return json_dump_callback(v, dump_cb, out,
                              JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17)) == 0
               ? FH_OK
               : FH_ERR_LIMIT;
}

static fh_err prepare_item(const fh_store_put_item *it, struct prepared *p)
{
    memset(p, 0, sizeof *p);
    fh_buf_init(&p->body, FH_BUF_DEFAULT_MAX);
    const json_t *o = it->object;
    p->object = o;
    p->tlp = fh_policy_object_tlp(o);
    fh_tlp whole = FH_TLP_NONE, partial = FH_TLP_NONE;
    if (json_object_get(o, "granular_markings"))
        fh_policy_granular_tlp(o, &whole, &partial);
    p->gwhole = whole;
    p->gpartial = partial;
    p->id = fh_json_str(o, "id");
    p->type = fh_json_str(o, "type");
    p->spec_version = fh_json_str(o, "spec_version");
    if (p->spec_version == NULL)
        p->spec_version = "2.1";
    if (p->id == NULL || p->type == NULL)
        return FH_ERR_INVALID;
    p->version = fh_json_str(o, "modified");
    if (p->version == NULL)
        p->version = fh_json_str(o, "created");
    if (p->version) {
        fh_time t;
        if (fh_time_parse(p->version, strlen(p->version), &t, NULL) != FH_OK)
            return FH_ERR_INVALID;
        version_key(&t, p->vkey);
    }
    /* Objects keep the key order they were posted in. Only objects without
     * a version are serialized canonically (sorted keys): their digest is
     * what identifies a repeated post of the same content. */
    fh_err rc;
    if (p->version && it->raw)
        rc = fh_buf_append(&p->body, it->raw, it->raw_len);
    else if (p->version)
        rc = fh_json_compact(o, &p->body);
    else
        rc = fh_json_canonical(o, &p->body);
    if (rc)
        return rc;
    /* The digest identifies the content of objects without a version; a
     * versioned object is identified by (id, version) and keeps zeros. */
    if (p->version == NULL)
        fh__store_sha256(p->body.data, p->body.len, p->digest);
    return FH_OK;
}

/* Stores one prepared object unless that version is there already. Sets
 * *version_out to the version reported in the status (owned by p or by
 * vbuf). */
/* Records the sharing groups of this hub that the object version seq names
 * in a marking ref (object or granular); other refs are not groups. */
static fh_err record_groups(struct fh__store_conn *w, int64_t seq, const json_t *o)
{
    sqlite3_stmt *st = fh__store_stmt_lit(w, "INSERT OR IGNORE INTO object_groups(seq, group_id) "
                                             "SELECT ?1, id FROM groups WHERE id = ?2");
    if (st == NULL)
        return FH_ERR_DB;
    const json_t *lists[2] = {json_object_get(o, "object_marking_refs"),
                              json_object_get(o, "granular_markings")};
    for (int k = 0; k < 2; k++) {
        size_t i;
        json_t *v;
        json_array_foreach(lists[k], i, v)
        {
            const char *ref = k == 0 ? json_string_value(v)
                                     : json_string_value(json_object_get(v, "marking_ref"));
            if (ref == NULL || strncmp(ref, "marking-definition--", 20) != 0 ||
                fh_policy_tlp_of_marking(ref) != FH_TLP_NONE)
                continue;
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, seq);
            fh__store_bind_text(st, 2, ref);
            int r = sqlite3_step(st);
            sqlite3_reset(st);
            if (r != SQLITE_DONE)
                return fh__store_dberr(w, "recording sharing groups");
        }
    }
    return FH_OK;
}

/* Records org as a further submitter of version seq (docs/SHARING.md:
 * posting content that is stored already makes the poster a reader of it,
 * so a post cannot reveal that a hidden version exists). */
static fh_err add_cosubmitter(struct fh__store_conn *w, int64_t seq, const char *org)
{
    sqlite3_stmt *st = fh__store_stmt_lit(
        w, "INSERT OR IGNORE INTO object_submitters(seq, org_id) VALUES (?1, ?2)");
    if (st == NULL)
        return FH_ERR_DB;
    sqlite3_bind_int64(st, 1, seq);
    fh__store_bind_text(st, 2, org);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE ? FH_OK : fh__store_dberr(w, "recording a submitter");
}

/* A versioned object whose (id, version) is stored: when another
 * organization stored exactly these bytes, the poster becomes a
 * co-submitter. Different bytes under the same version change nothing (see
 * docs/SHARING.md, known gaps). */
static fh_err cosubmit(struct fh__store_conn *w, int64_t coll, const struct prepared *p,
                       const char *submitter)
{
    sqlite3_stmt *st = fh__store_stmt_lit(
        w, "SELECT seq, submitter, body FROM objects WHERE coll = ?1 AND id = ?2 AND vkey = ?3");
    if (st == NULL)
        return FH_ERR_DB;
    sqlite3_bind_int64(st, 1, coll);
    fh__store_bind_text(st, 2, p->id);
    fh__store_bind_text(st, 3, p->vkey);
    int r = sqlite3_step(st);
    int64_t seq = 0;
    bool add = false;
    if (r == SQLITE_ROW) {
        seq = sqlite3_column_int64(st, 0);
        const char *first = (const char *)sqlite3_column_text(st, 1);
        add = (first == NULL || strcmp(first, submitter) != 0) &&
              (size_t)sqlite3_column_bytes(st, 2) == p->body.len &&
              memcmp(sqlite3_column_blob(st, 2), p->body.data, p->body.len) == 0;
    }
    sqlite3_reset(st);
    if (r != SQLITE_ROW)
        return fh__store_dberr(w, "version lookup");
    return add ? add_cosubmitter(w, seq, submitter) : FH_OK;
}

/* Clears the first or last flag of an object's older versions (sql binds
 * the collection as ?1 and the id as ?2). */
static fh_err clear_flag(struct fh__store_conn *w, const char *sql, int64_t coll, const char *id,
                         const char *what)
{
    sqlite3_stmt *st = fh__store_stmt_lit(w, sql);
    if (st == NULL)
        return FH_ERR_DB;
    sqlite3_bind_int64(st, 1, coll);
    fh__store_bind_text(st, 2, id);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE ? FH_OK : fh__store_dberr(w, what);
}

static fh_err insert_one(struct fh__store_conn *w, int64_t coll, int default_tlp,
                         const char *submitter, int64_t *last_added, struct prepared *p,
                         char vbuf[32], const char **version_out)
{
    sqlite3_stmt *st;
    int r;
    bool first = true, last = true;
    bool others = false; /* other versions of this object are stored */
    if (p->version) {
        /* One index range read answers both "is this version stored?" and
         * "is it the first or last version?". */
        st = fh__store_stmt_lit(w, "SELECT min(vkey), max(vkey), max(vkey = ?3) FROM objects "
                                   "WHERE coll = ?1 AND id = ?2");
        if (st == NULL)
            return FH_ERR_DB;
        sqlite3_bind_int64(st, 1, coll);
        fh__store_bind_text(st, 2, p->id);
        fh__store_bind_text(st, 3, p->vkey);
        r = sqlite3_step(st);
        *version_out = p->version;
        bool exists = false;
        if (r == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            others = true;
            exists = sqlite3_column_int(st, 2) != 0;
            first = strcmp(p->vkey, (const char *)sqlite3_column_text(st, 0)) < 0;
            last = strcmp(p->vkey, (const char *)sqlite3_column_text(st, 1)) > 0;
        }
        sqlite3_reset(st);
        if (r != SQLITE_ROW)
            return fh__store_dberr(w, "version lookup");
        if (exists)
            return cosubmit(w, coll, p, submitter); /* idempotent success */
    } else {
        /* No created or modified (SCOs): the same content is the same
         * version; new content becomes a version dated when it was added,
         * so it is the last one. */
        st = fh__store_stmt_lit(w, "SELECT version, seq, submitter FROM objects WHERE coll = ?1 "
                                   "AND id = ?2 AND digest = ?3");
        if (st == NULL)
            return FH_ERR_DB;
        sqlite3_bind_int64(st, 1, coll);
        fh__store_bind_text(st, 2, p->id);
        sqlite3_bind_blob(st, 3, p->digest, 32, SQLITE_TRANSIENT);
        r = sqlite3_step(st);
        int64_t seq = 0;
        bool same_submitter = false;
        if (r == SQLITE_ROW) {
            snprintf(vbuf, 32, "%s", (const char *)sqlite3_column_text(st, 0));
            seq = sqlite3_column_int64(st, 1);
            const char *stored_by = (const char *)sqlite3_column_text(st, 2);
            same_submitter = stored_by && strcmp(stored_by, submitter) == 0;
        }
        sqlite3_reset(st);
        if (r == SQLITE_ROW) {
            *version_out = vbuf;
            /* The same content: this poster has it too. */
            return same_submitter ? FH_OK : add_cosubmitter(w, seq, submitter);
        }
        if (r != SQLITE_DONE)
            return fh__store_dberr(w, "content lookup");
    }

    int64_t now = fh__store_now_us();
    int64_t added = now > *last_added ? now : *last_added + 1;
    *last_added = added;
    if (p->version == NULL) {
        fh_time t;
        us_to_time(added, &t);
        fh_time_format_digits(&t, 6, vbuf, 32);
        version_key(&t, p->vkey);
        *version_out = vbuf;
        st = fh__store_stmt_lit(w, "SELECT 1 FROM objects WHERE coll = ?1 AND id = ?2 LIMIT 1");
        if (st == NULL)
            return FH_ERR_DB;
        sqlite3_bind_int64(st, 1, coll);
        fh__store_bind_text(st, 2, p->id);
        r = sqlite3_step(st);
        sqlite3_reset(st);
        if (r != SQLITE_ROW && r != SQLITE_DONE)
            return fh__store_dberr(w, "object lookup");
        first = r == SQLITE_DONE;
        others = !first;
    }
    /* A new object (the common case) has no flags to clear. */
    if (first && others) {
        fh_err frc = clear_flag(w,
                                "UPDATE objects SET is_first = 0 WHERE coll = ?1 AND id = ?2 "
                                "AND is_first = 1",
                                coll, p->id, "first flag");
        if (frc)
            return frc;
    }
    if (last && others) {
        fh_err frc = clear_flag(w,
                                "UPDATE objects SET is_last = 0 WHERE coll = ?1 AND id = ?2 "
                                "AND is_last = 1",
                                coll, p->id, "last flag");
        if (frc)
            return frc;
    }
    st = fh__store_stmt_lit(w, "INSERT INTO objects(coll, id, type, spec_version, version, vkey, "
                               "date_added, is_first, is_last, digest, body, tlp, submitter, "
                               "gtlp) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
                               "?14)");
    if (st == NULL)
        return FH_ERR_DB;
    sqlite3_bind_int64(st, 1, coll);
    fh__store_bind_text(st, 2, p->id);
    fh__store_bind_text(st, 3, p->type);
    fh__store_bind_text(st, 4, p->spec_version);
    fh__store_bind_text(st, 5, *version_out);
    fh__store_bind_text(st, 6, p->vkey);
    sqlite3_bind_int64(st, 7, added);
    sqlite3_bind_int(st, 8, first);
    sqlite3_bind_int(st, 9, last);
    sqlite3_bind_blob(st, 10, p->digest, 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 11, p->body.data, (int)p->body.len, SQLITE_STATIC);
    /* The version's TLP: its object markings (else the collection's
     * default), raised by granular markings on properties it cannot lose.
     * gtlp is kept when other granular markings are stricter still: those
     * properties are cut from the copies of readers below it. */
    int tlp = p->tlp == FH_TLP_NONE ? default_tlp : p->tlp;
    if (p->gwhole > tlp)
        tlp = p->gwhole;
    sqlite3_bind_int(st, 12, tlp);
    fh__store_bind_text(st, 13, submitter);
    if (p->gpartial > tlp)
        sqlite3_bind_int(st, 14, p->gpartial);
    else
        sqlite3_bind_null(st, 14);
    r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r != SQLITE_DONE)
        return fh__store_dberr(w, "storing an object");
    fh_err rc = record_groups(w, sqlite3_last_insert_rowid(w->db), p->object);
    if (rc == FH_OK)
        rc = fh__store_sco_index(w, p->id, p->type, p->object, p->body.data, p->body.len);
    return rc;
}

/* Stores an object the hub itself creates (the consensus indicators of
 * store-consensus.c) in the collection with row number coll, inside the
 * writer's open transaction: no submitter (the audience is the
 * collection's readers), no status resource. A version that is stored
 * already is left alone. */
fh_err fh__store_put_hub_object(struct fh__store_conn *w, int64_t coll, const json_t *object)
{
    sqlite3_stmt *st =
        fh__store_stmt_lit(w, "SELECT last_added, default_tlp FROM collections WHERE n = ?1");
    if (st == NULL)
        return FH_ERR_DB;
    sqlite3_bind_int64(st, 1, coll);
    int r = sqlite3_step(st);
    int64_t last_added = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    int default_tlp = r == SQLITE_ROW ? sqlite3_column_int(st, 1) : FH_TLP_AMBER;
    sqlite3_reset(st);
    if (r != SQLITE_ROW)
        return r == SQLITE_DONE ? FH_ERR_NOTFOUND : fh__store_dberr(w, "collection lookup");
    fh_store_put_item it = {.object = object};
    struct prepared p;
    fh_err rc = prepare_item(&it, &p);
    if (rc == FH_OK && p.version == NULL)
        rc = FH_ERR_INVALID; /* the hub's objects always carry modified */
    if (rc == FH_OK) {
        st = fh__store_stmt_lit(w, "SELECT 1 FROM objects WHERE coll = ?1 AND id = ?2 AND "
                                   "vkey = ?3");
        if (st == NULL) {
            rc = FH_ERR_DB;
        } else {
            sqlite3_bind_int64(st, 1, coll);
            fh__store_bind_text(st, 2, p.id);
            fh__store_bind_text(st, 3, p.vkey);
            r = sqlite3_step(st);
            sqlite3_reset(st);
            if (r == SQLITE_ROW) {
                fh_buf_cleanup(&p.body);
                return FH_OK;
            }
            if (r != SQLITE_DONE)
                rc = fh__store_dberr(w, "version lookup");
        }
    }
    char vbuf[32];
    const char *version = NULL;
    if (rc == FH_OK)
        rc = insert_one(w, coll, default_tlp, NULL, &last_added, &p, vbuf, &version);
    if (rc == FH_OK) {
        st = fh__store_stmt_lit(w, "UPDATE collections SET last_added = ?2 WHERE n = ?1");
        if (st == NULL) {
            rc = FH_ERR_DB;
        } else {
            sqlite3_bind_int64(st, 1, coll);
            sqlite3_bind_int64(st, 2, last_added);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = fh__store_dberr(w, "collection position");
            sqlite3_reset(st);
        }
    }
    fh_buf_cleanup(&p.body);
    return rc;
}

/* Appends one status-details entry to list (comma-separated). */
static void status_detail(fh_buf *list, const char *id, const char *version, const char *message)
{
    if (list->len)
        fh_buf_append_char(list, ',');
    fh_buf_append_str(list, "{\"id\":");
    id = id ? id : "";
    version = version ? version : "";
    append_json_str(list, id, strlen(id));
    fh_buf_append_str(list, ",\"version\":");
    append_json_str(list, version, strlen(version));
    if (message) {
        fh_buf_append_str(list, ",\"message\":");
        append_json_str(list, message, strlen(message));
    }
    fh_buf_append_char(list, '}');
}

/* One POST waiting for, or being written by, a group commit. */
struct fh__store_post_job {
    const char *collection;
    const char *org_id;
    const fh_store_put_item *items;
    struct prepared *prep;
    size_t n;
    char status_id[FH_UUID_STRLEN];
    char request_ts[32];
    int64_t request_us;
    fh_buf text; /* the status resource, once written */
    fh_err rc;
    bool done;
    struct fh__store_post_job *next;
};

/* ---- victim privacy: members without networks ---------------------------- */

/* Whether objects of this type name a victim's address (a sighting's
 * observed-data, an address SCO): without its submitter's networks, the hub
 * cannot tell the victim from the attacker and shows it in clear. */
static bool names_victims(const char *type)
{
    return type && (strcmp(type, "sighting") == 0 || strcmp(type, "observed-data") == 0 ||
                    strcmp(type, "ipv4-addr") == 0 || strcmp(type, "ipv6-addr") == 0);
}

#define NO_NETWORKS_SLOTS    256
#define NO_NETWORKS_EVERY_US (600 * INT64_C(1000000)) /* per organization */

/* When each organization was last checked for networks, so a member that
 * posts all day is warned about (and queried for) once per 10 minutes. A
 * full table forgets its oldest entry. Process-wide: one hub per process. */
static pthread_mutex_t no_networks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char org_id[FH_STORE_ID_STRLEN];
    int64_t at_us;
} no_networks_seen[NO_NETWORKS_SLOTS];

/* True when org_id's networks were not checked in the last interval (and
 * marks them checked now). */
static bool no_networks_due(const char *org_id, int64_t now_us)
{
    bool due = true;
    pthread_mutex_lock(&no_networks_lock);
    size_t slot = 0;
    for (size_t i = 0; i < NO_NETWORKS_SLOTS; i++) {
        if (strcmp(no_networks_seen[i].org_id, org_id) == 0) {
            slot = i;
            due = now_us - no_networks_seen[i].at_us >= NO_NETWORKS_EVERY_US;
            break;
        }
        if (no_networks_seen[i].at_us < no_networks_seen[slot].at_us)
            slot = i;
    }
    if (due) {
        snprintf(no_networks_seen[slot].org_id, sizeof no_networks_seen[slot].org_id, "%s", org_id);
        no_networks_seen[slot].at_us = now_us;
    }
    pthread_mutex_unlock(&no_networks_lock);
    return due;
}

/* Logs a warning (never the addresses) when org_id, which just stored
 * objects that name victims, declared no networks: its victims are shown
 * in clear to every reader (docs/SHARING.md, "Victim privacy"). A failed
 * query only skips the warning. */
static void warn_no_networks(struct fh__store_conn *w, const char *org_id)
{
    if (org_id == NULL || !no_networks_due(org_id, fh__store_now_us()))
        return;
    sqlite3_stmt *st = fh__store_stmt_lit(
        w, "SELECT o.name FROM orgs o WHERE o.id = ?1 AND NOT EXISTS (SELECT 1 FROM "
           "org_networks n WHERE n.org_id = o.id)");
    if (st == NULL)
        return;
    fh__store_bind_text(st, 1, org_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        fh_warn("store",
                "organization %s (%s) posts sightings/addresses but declared no networks: "
                "its victims are shown in clear to other members; declare them with POST "
                "/api/sharing/networks/ (the sensor does at start) or `fenghuo admin org "
                "networks`",
                (const char *)sqlite3_column_text(st, 0), org_id);
    sqlite3_reset(st);
}

/* Writes one job inside the open transaction: its objects and its status
 * resource. On failure the caller rolls the job's savepoint back. */
static fh_err post_in_transaction(struct fh__store_conn *w, struct fh__store_post_job *j)
{
    fh_buf successes, failures;
    fh_buf_init(&successes, FH_BUF_DEFAULT_MAX);
    fh_buf_init(&failures, FH_BUF_DEFAULT_MAX);
    size_t n_ok = 0, n_failed = 0;
    fh_err rc = FH_OK;
    int64_t coll = 0, last_added = 0;
    int default_tlp = FH_TLP_AMBER;
    bool victims = false;
    sqlite3_stmt *st =
        fh__store_stmt_lit(w, "SELECT n, last_added, default_tlp FROM collections WHERE id = ?1");
    if (st == NULL) {
        rc = FH_ERR_DB;
        goto done;
    }
    fh__store_bind_text(st, 1, j->collection);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        coll = sqlite3_column_int64(st, 0);
        last_added = sqlite3_column_int64(st, 1);
        default_tlp = sqlite3_column_int(st, 2);
    }
    sqlite3_reset(st);
    if (r != SQLITE_ROW) {
        rc = r == SQLITE_DONE ? FH_ERR_NOTFOUND : fh__store_dberr(w, "collection lookup");
        goto done;
    }
    for (size_t i = 0; rc == FH_OK && i < j->n; i++) {
        const fh_store_put_item *it = &j->items[i];
        if (it->message || j->prep[i].id == NULL) {
            status_detail(&failures, it->id, it->version,
                          it->message ? it->message
                                      : "the object has no usable id, type or version");
            n_failed++;
            continue;
        }
        char vbuf[32];
        const char *version = NULL;
        rc = insert_one(w, coll, default_tlp, j->org_id, &last_added, &j->prep[i], vbuf, &version);
        if (rc == FH_OK) {
            status_detail(&successes, j->prep[i].id, version, NULL);
            n_ok++;
            victims = victims || names_victims(j->prep[i].type);
        }
    }
    if (rc == FH_OK && victims)
        warn_no_networks(w, j->org_id);
    if (rc)
        goto done;
    st = fh__store_stmt_lit(w, "UPDATE collections SET last_added = ?2 WHERE n = ?1");
    if (st == NULL) {
        rc = FH_ERR_DB;
        goto done;
    }
    sqlite3_bind_int64(st, 1, coll);
    sqlite3_bind_int64(st, 2, last_added);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = fh__store_dberr(w, "collection position");
    sqlite3_reset(st);
    if (rc)
        goto done;

    /* The status resource (TAXII 2.1 section 4.3.1); processing is
     * synchronous, so it is complete once this transaction commits. */
    fh_buf *t = &j->text;
    fh_buf_reset(t);
    fh_buf_appendf(t,
                   "{\"id\":\"%s\",\"status\":\"complete\",\"request_timestamp\":\"%s\","
                   "\"total_count\":%zu,\"success_count\":%zu",
                   j->status_id, j->request_ts, j->n, n_ok);
    if (n_ok) {
        fh_buf_append_str(t, ",\"successes\":[");
        fh_buf_append(t, successes.data, successes.len);
        fh_buf_append_char(t, ']');
    }
    fh_buf_appendf(t, ",\"failure_count\":%zu", n_failed);
    if (n_failed) {
        fh_buf_append_str(t, ",\"failures\":[");
        fh_buf_append(t, failures.data, failures.len);
        fh_buf_append_char(t, ']');
    }
    if (fh_buf_append_str(t, ",\"pending_count\":0}") != FH_OK) {
        rc = FH_ERR_LIMIT;
        goto done;
    }
    st = fh__store_stmt_lit(
        w, "INSERT INTO statuses(id, org_id, created, body) VALUES (?1, ?2, ?3, ?4)");
    if (st == NULL) {
        rc = FH_ERR_DB;
        goto done;
    }
    fh__store_bind_text(st, 1, j->status_id);
    fh__store_bind_text(st, 2, j->org_id);
    sqlite3_bind_int64(st, 3, j->request_us);
    sqlite3_bind_text(st, 4, t->data, (int)t->len, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = fh__store_dberr(w, "storing a status");
    sqlite3_reset(st);
done:
    fh_buf_cleanup(&successes);
    fh_buf_cleanup(&failures);
    return rc;
}

/*
 * Writes a batch of jobs in one transaction with one COMMIT (one fsync):
 * each job in its own savepoint, so a job that fails (its collection is
 * gone, a store error) leaves the others alone. When the COMMIT fails, every
 * job of the batch fails: none of them was acknowledged.
 */
static void write_batch(fh_store *s, struct fh__store_post_job *batch)
{
    fh_err rc = fh__store_begin(s);
    if (rc) {
        for (struct fh__store_post_job *j = batch; j; j = j->next)
            j->rc = rc;
        return;
    }
    struct fh__store_conn *w = &s->writer;
    int64_t oldest_us = INT64_MAX;
    for (struct fh__store_post_job *j = batch; j; j = j->next) {
        if (fh__store_exec(w, "SAVEPOINT post") != FH_OK) {
            j->rc = FH_ERR_DB;
            continue;
        }
        j->rc = post_in_transaction(w, j);
        if (j->rc == FH_OK && s->consensus && fh__store_exec(w, "SAVEPOINT consensus") == FH_OK) {
            /* Consensus rides in the POST's transaction (one commit, and a
             * crash loses neither); its failure does not fail the POST. */
            fh_err crc = fh__store_consensus_record(s, j->collection, j->org_id, j->items, j->n);
            if (crc) {
                fh_error("store", "recording consensus contributions failed: %s", fh_strerror(crc));
                fh__store_exec(w, "ROLLBACK TO consensus");
            }
            fh__store_exec(w, "RELEASE consensus");
        }
        if (j->rc)
            fh__store_exec(w, "ROLLBACK TO post");
        fh__store_exec(w, "RELEASE post");
        if (j->request_us < oldest_us)
            oldest_us = j->request_us;
    }
    sqlite3_stmt *st = fh__store_stmt_lit(w, "DELETE FROM statuses WHERE created < ?1");
    if (st) {
        sqlite3_bind_int64(st, 1, oldest_us - STATUS_RETENTION_US);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    rc = fh__store_end(s, FH_OK);
    if (rc) {
        for (struct fh__store_post_job *j = batch; j; j = j->next)
            if (j->rc == FH_OK)
                j->rc = rc;
    }
}

fh_err fh_store_post(fh_store *s, const char *collection, const char *org_id,
                     const fh_store_put_item *items, size_t n, fh_buf *status)
{
    struct fh__store_post_job job = {
        .collection = collection, .org_id = org_id, .items = items, .n = n};
    fh_uuid u;
    fh_err rc = fh_uuid_v4(&u);
    if (rc)
        return rc;
    fh_uuid_format(&u, job.status_id);
    job.request_us = fh__store_now_us();
    fh_store_format_us(job.request_us, job.request_ts);
    fh_buf_init(&job.text, FH_BUF_DEFAULT_MAX);

    /* Serialize and hash outside the write lock: the lock is the bottleneck. */
    job.prep = fh_xcalloc(n ? n : 1, sizeof *job.prep);
    for (size_t i = 0; i < n; i++) {
        if (items[i].message == NULL && prepare_item(&items[i], &job.prep[i]) != FH_OK)
            job.prep[i].id = NULL; /* reported as a failure */
    }

    /* Group commit: the first poster to find no writer at work becomes the
     * leader and writes every queued job in one transaction; the others
     * wait for their job to be marked done. One fsync then acknowledges
     * several POSTs. */
    pthread_mutex_lock(&s->group_lock);
    if (s->group_tail)
        s->group_tail->next = &job;
    else
        s->group_head = &job;
    s->group_tail = &job;
    while (!job.done) {
        if (s->group_leader) {
            pthread_cond_wait(&s->group_cond, &s->group_lock);
            continue;
        }
        s->group_leader = true;
        struct fh__store_post_job *batch = s->group_head;
        s->group_head = s->group_tail = NULL;
        pthread_mutex_unlock(&s->group_lock);
        write_batch(s, batch);
        pthread_mutex_lock(&s->group_lock);
        for (struct fh__store_post_job *j = batch; j;) {
            struct fh__store_post_job *next = j->next;
            j->done = true; /* after this, j may be gone: its poster returns */
            j = next;
        }
        s->group_leader = false;
        pthread_cond_broadcast(&s->group_cond);
    }
    pthread_mutex_unlock(&s->group_lock);

    rc = job.rc;
    if (rc == FH_OK)
        rc = fh_buf_append(status, job.text.data, job.text.len);
    for (size_t i = 0; i < n; i++)
        fh_buf_cleanup(&job.prep[i].body);
    free(job.prep);
    fh_buf_cleanup(&job.text);
    return rc;
}

fh_err fh_store_status_get(fh_store *s, const char *id, const char *org_id, json_t **out)
{
    *out = NULL;
    struct fh__store_conn *c = fh__store_reader(s);
    sqlite3_stmt *st = fh__store_stmt_lit(
        c, "SELECT body FROM statuses WHERE id = ?1 AND org_id = ?2 AND created >= ?3");
    fh_err rc = FH_ERR_NOTFOUND;
    if (st == NULL) {
        rc = FH_ERR_DB;
    } else {
        fh__store_bind_text(st, 1, id);
        fh__store_bind_text(st, 2, org_id);
        sqlite3_bind_int64(st, 3, fh__store_now_us() - STATUS_RETENTION_US);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW) {
            *out = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
            rc = *out ? FH_OK : FH_ERR_DB;
        } else if (r != SQLITE_DONE) {
            rc = fh__store_dberr(c, "status lookup");
        }
        sqlite3_reset(st);
    }
    fh__store_reader_done(s, c);
    return rc;
}

/* ---- queries ------------------------------------------------------------ */

enum bind_kind { BIND_TEXT, BIND_INT };

struct binds {
    struct {
        enum bind_kind kind;
        const char *text;
        int64_t i;
    } v[512];
    int n;
};

static fh_err add_text(struct binds *b, const char *t)
{
    if (b->n >= (int)FH_ARRAY_LEN(b->v))
        return FH_ERR_LIMIT;
    b->v[b->n].kind = BIND_TEXT;
    b->v[b->n].text = t;
    b->n++;
    return FH_OK;
}

static fh_err add_int(struct binds *b, int64_t i)
{
    if (b->n >= (int)FH_ARRAY_LEN(b->v))
        return FH_ERR_LIMIT;
    b->v[b->n].kind = BIND_INT;
    b->v[b->n].i = i;
    b->n++;
    return FH_OK;
}

static fh_err add_in(fh_buf *sql, struct binds *b, const char *column, const fh_store_strs *list)
{
    if (list->n == 0)
        return FH_OK;
    fh_buf_appendf(sql, " AND %s IN (", column);
    for (size_t i = 0; i < list->n; i++) {
        fh_err rc = add_text(b, list->v[i]);
        if (rc)
            return rc;
        fh_buf_appendf(sql, "%s?%d", i ? "," : "", b->n);
    }
    fh_buf_append_char(sql, ')');
    return FH_OK;
}

/* "Organization ?param submitted the objects row alias" (first or later
 * submitter of the same content). */
static void append_is_submitter(fh_buf *sql, const char *a, int param)
{
    fh_buf_appendf(sql,
                   "(%s.submitter = ?%d OR EXISTS (SELECT 1 FROM object_submitters c "
                   "WHERE c.seq = %s.seq AND c.org_id = ?%d))",
                   a, param, a, param);
}

/*
 * Appends the visibility predicate of docs/SHARING.md for the reader f on
 * the objects row named alias (a table name or alias in sql):
 *
 *   the reader submitted it,
 *   or it reads the collection, is a member of every sharing group the
 *     version names, and the version is not RED unless it names a group,
 *   or the version is CLEAR/GREEN/AMBER and the reader's parent submitted
 *     it, or reads the collection and is a member of every group named.
 */
static fh_err add_visibility(fh_buf *sql, struct binds *b, const struct fh__store_reader_facts *f,
                             const char *a)
{
    fh_err rc = add_text(b, f->org_id);
    if (rc)
        return rc;
    int r = b->n;
    fh_buf_append_str(sql, " AND (");
    append_is_submitter(sql, a, r);
    if (f->reads)
        fh_buf_appendf(sql,
                       " OR ((%s.tlp < 4 OR EXISTS (SELECT 1 FROM object_groups g "
                       "WHERE g.seq = %s.seq)) AND NOT EXISTS (SELECT 1 FROM object_groups g "
                       "WHERE g.seq = %s.seq AND NOT EXISTS (SELECT 1 FROM group_members m "
                       "WHERE m.group_id = g.group_id AND m.org_id = ?%d)))",
                       a, a, a, r);
    if (f->parent[0]) {
        if ((rc = add_text(b, f->parent)))
            return rc;
        int p = b->n;
        fh_buf_appendf(sql, " OR (%s.tlp <= 2 AND (", a);
        append_is_submitter(sql, a, p);
        if (f->parent_reads)
            fh_buf_appendf(sql,
                           " OR NOT EXISTS (SELECT 1 FROM object_groups g WHERE g.seq = %s.seq "
                           "AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = "
                           "g.group_id AND m.org_id = ?%d))",
                           a, p);
        fh_buf_append_str(sql, "))");
    }
    return fh_buf_append_char(sql, ')');
}

/*
 * The highest TLP level at which reader f may see the objects row alias, as
 * an SQL expression (-1: none), by the same rules as add_visibility: 4 for
 * the submitter and for members of the audience when the version names
 * groups, 3 for the audience otherwise, 2 through the parent.
 */
static fh_err add_clearance(fh_buf *sql, struct binds *b, const struct fh__store_reader_facts *f,
                            const char *a)
{
    fh_err rc = add_text(b, f->org_id);
    if (rc)
        return rc;
    int r = b->n;
    fh_buf_append_str(sql, "CASE WHEN ");
    append_is_submitter(sql, a, r);
    fh_buf_append_str(sql, " THEN 4");
    if (f->reads)
        fh_buf_appendf(sql,
                       " WHEN NOT EXISTS (SELECT 1 FROM object_groups g WHERE g.seq = %s.seq "
                       "AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = "
                       "g.group_id AND m.org_id = ?%d)) THEN CASE WHEN EXISTS (SELECT 1 FROM "
                       "object_groups g WHERE g.seq = %s.seq) THEN 4 ELSE 3 END",
                       a, r, a);
    if (f->parent[0]) {
        if ((rc = add_text(b, f->parent)))
            return rc;
        int p = b->n;
        fh_buf_append_str(sql, " WHEN ");
        append_is_submitter(sql, a, p);
        fh_buf_append_str(sql, " THEN 2");
        if (f->parent_reads)
            fh_buf_appendf(sql,
                           " WHEN NOT EXISTS (SELECT 1 FROM object_groups g WHERE g.seq = %s.seq "
                           "AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = "
                           "g.group_id AND m.org_id = ?%d)) THEN 2",
                           a, p);
    }
    return fh_buf_append_str(sql, " ELSE -1 END");
}

/* The types whose copies victim privacy may rewrite (docs/SHARING.md). */
#define VICTIM_TYPES    "'ipv4-addr', 'ipv6-addr', 'network-traffic', 'observed-data'"
#define VICTIM_ID_TYPES "'ipv4-addr', 'ipv6-addr', 'network-traffic'"

/* "Any submitter of row alias has declared a network n such that ..." */
static void append_submitter_networks(fh_buf *sql, const char *a)
{
    fh_buf_appendf(sql,
                   "(n.org_id = %s.submitter OR n.org_id IN (SELECT c.org_id FROM "
                   "object_submitters c WHERE c.seq = %s.seq))",
                   a, a);
}

/*
 * An SQL expression: for a row of alias whose copy the reader (bound as
 * ?param) may see pseudonymized, the JSON array of its submitters'
 * networks; NULL when the reader submitted it or its type has no addresses.
 * types: the SQL list of types to consider.
 */
static void append_victim_nets(fh_buf *sql, const char *a, int param, const char *types)
{
    fh_buf_appendf(sql, "CASE WHEN %s.type IN (%s) AND NOT ", a, types);
    append_is_submitter(sql, a, param);
    fh_buf_append_str(sql, " THEN (SELECT json_group_array(n.cidr) FROM org_networks n WHERE ");
    append_submitter_networks(sql, a);
    fh_buf_append_str(sql, ") END");
}

/*
 * "The address range of SCO index row x lies inside network row n": the
 * ranges, or, for an IPv6 value that embeds an IPv4 address (see
 * fh_policy_prefix_embedded_v4), its IPv4 part inside an IPv4 network. The
 * blobs are a family byte and the address: bytes 2-13 of an IPv6 value are
 * its first 96 bits, bytes 14-17 the last 32; bytes 2-3 are the 6to4 prefix
 * 2002::/16 and bytes 4-7 the IPv4 part after it.
 */
#define SQL_X_INSIDE_N                                                                             \
    "((x.lo >= n.lo AND x.hi <= n.hi) OR (substr(n.lo, 1, 1) = X'04' AND CASE WHEN "               \
    "substr(x.lo, 1, 13) = substr(x.hi, 1, 13) AND substr(x.lo, 1, 13) IN "                        \
    "(X'0600000000000000000000FFFF', X'06000000000000000000000000', "                              \
    "X'060064FF9B0000000000000000') AND NOT (substr(x.lo, 1, 13) = "                               \
    "X'06000000000000000000000000' AND x.lo = x.hi AND substr(x.lo, 14, 4) IN (X'00000000', "      \
    "X'00000001')) THEN substr(x.lo, 14, 4) >= substr(n.lo, 2, 4) AND substr(x.hi, 14, 4) <= "     \
    "substr(n.hi, 2, 4) WHEN substr(x.lo, 1, 3) = X'062002' AND substr(x.hi, 1, 3) = "             \
    "X'062002' THEN substr(x.lo, 4, 4) >= substr(n.lo, 2, 4) AND substr(x.hi, 4, 4) <= "           \
    "substr(n.hi, 2, 4) ELSE 0 END))"

/*
 * " AND the row is not one whose id this reader sees pseudonymized": an
 * address SCO whose value, or a network-traffic whose src_ref or dst_ref
 * value, lies inside a network of a submitter the reader is not; or a
 * network-traffic whose src_ref or dst_ref names an address SCO that the
 * reader sees pseudonymized by the networks of that SCO's own submitters
 * (its versions in this collection when it holds one, else anywhere: the
 * rule of fh__store_victims_apply). Used when a query selects by id, so
 * that a reader who guesses a victim's address cannot learn from its
 * deterministic id that the hub holds it.
 */
static fh_err add_not_pseudonymized(fh_buf *sql, struct binds *b, const char *reader, const char *a)
{
    fh_err rc = add_text(b, reader);
    if (rc)
        return rc;
    int r = b->n;
    fh_buf_appendf(sql, " AND NOT (%s.type IN (" VICTIM_ID_TYPES ") AND NOT ", a);
    append_is_submitter(sql, a, r);
    fh_buf_appendf(sql,
                   " AND (EXISTS (SELECT 1 FROM sco_index x JOIN org_networks n ON " SQL_X_INSIDE_N
                   " WHERE x.id IN (%s.id, json_extract(%s.body, '$.src_ref'), "
                   "json_extract(%s.body, '$.dst_ref')) AND ",
                   a, a, a);
    append_submitter_networks(sql, a);
    fh_buf_appendf(sql,
                   ") OR (%s.type = 'network-traffic' AND EXISTS (SELECT 1 FROM sco_index x "
                   "CROSS JOIN collections k CROSS JOIN objects o3 ON o3.coll = k.n AND o3.id = "
                   "x.id JOIN org_networks n ON " SQL_X_INSIDE_N
                   " AND (n.org_id = o3.submitter OR n.org_id IN (SELECT c.org_id FROM "
                   "object_submitters c WHERE c.seq = o3.seq)) WHERE x.id IN "
                   "(json_extract(%s.body, '$.src_ref'), json_extract(%s.body, '$.dst_ref')) AND "
                   "(k.n = %s.coll OR NOT EXISTS (SELECT 1 FROM objects y WHERE y.coll = %s.coll "
                   "AND y.id = x.id)) AND NOT ",
                   a, a, a, a, a);
    append_is_submitter(sql, "o3", r);
    return fh_buf_append_str(sql, "))))");
}

/* " OR this row is the last (later = true) or first version of its object
 * that reader f may see": with a reader, the flags stored on the row answer
 * for everyone, and a later visible version is looked up otherwise. */
static fh_err add_edge_version(fh_buf *sql, struct binds *b, const struct fh__store_reader_facts *f,
                               bool later)
{
    const char *flag = later ? "is_last" : "is_first";
    if (f == NULL) {
        fh_buf_appendf(sql, " OR %s = 1", flag);
        return FH_OK;
    }
    fh_buf_appendf(sql,
                   " OR %s = 1 OR NOT EXISTS (SELECT 1 FROM objects o2 WHERE o2.coll = "
                   "objects.coll AND o2.id = objects.id AND o2.vkey %s objects.vkey",
                   flag, later ? ">" : "<");
    fh_err rc = add_visibility(sql, b, f, "o2");
    if (rc == FH_OK)
        rc = fh_buf_append_char(sql, ')');
    return rc;
}

/*
 * Appends the WHERE conditions of q (after "coll = ?1") to sql. vkeys holds
 * the normalized version timestamps (the caller frees it). When
 * versions_default_all is set, a query without version filters selects every
 * version (DELETE) instead of the latest (GET). f is the reader (NULL: no
 * visibility filter).
 */
static fh_err build_where(const fh_store_query *q, const struct fh__store_reader_facts *f,
                          bool ignore_versions, bool versions_default_all, fh_buf *sql,
                          struct binds *b, char (**vkeys)[32])
{
    fh_err rc = FH_OK;
    if (f && (rc = add_visibility(sql, b, f, "objects")))
        return rc;
    if (q->object_id) {
        rc = add_text(b, q->object_id);
        if (rc)
            return rc;
        fh_buf_appendf(sql, " AND id = ?%d", b->n);
    }
    if (f && (q->object_id || q->ids.n) &&
        (rc = add_not_pseudonymized(sql, b, f->org_id, "objects")))
        return rc;
    if ((rc = add_in(sql, b, "id", &q->ids)) || (rc = add_in(sql, b, "type", &q->types)) ||
        (rc = add_in(sql, b, "spec_version", &q->spec_versions)))
        return rc;
    bool any_version = q->version_all || q->version_first || q->version_last || q->versions.n > 0;
    if (!ignore_versions && !q->version_all && (any_version || !versions_default_all)) {
        *vkeys = fh_xcalloc(q->versions.n ? q->versions.n : 1, sizeof **vkeys);
        fh_buf_append_str(sql, " AND (0");
        if (q->version_first && (rc = add_edge_version(sql, b, f, false)))
            return rc;
        if ((q->version_last || !any_version) && (rc = add_edge_version(sql, b, f, true)))
            return rc;
        if (q->versions.n) {
            fh_buf_append_str(sql, " OR vkey IN (");
            for (size_t i = 0; i < q->versions.n; i++) {
                fh_time t;
                const char *v = q->versions.v[i];
                if (fh_time_parse(v, strlen(v), &t, NULL) != FH_OK)
                    return FH_ERR_INVALID;
                version_key(&t, (*vkeys)[i]);
                if ((rc = add_text(b, (*vkeys)[i])))
                    return rc;
                fh_buf_appendf(sql, "%s?%d", i ? "," : "", b->n);
            }
            fh_buf_append_char(sql, ')');
        }
        fh_buf_append_char(sql, ')');
    }
    if (q->has_added_after) {
        if ((rc = add_int(b, q->added_after_us)))
            return rc;
        fh_buf_appendf(sql, " AND date_added > ?%d", b->n);
    }
    return FH_OK;
}

static void bind_all(sqlite3_stmt *st, const struct binds *b)
{
    for (int i = 0; i < b->n; i++) {
        if (b->v[i].kind == BIND_TEXT)
            fh__store_bind_text(st, i + 1, b->v[i].text);
        else
            sqlite3_bind_int64(st, i + 1, b->v[i].i);
    }
}

/*
 * Appends a reader's copy of body (len bytes, a stored object) to out:
 * properties granular-marked above clearance (a TLP level) removed; and,
 * when submitter_ref is non-NULL, the submitter's identity hidden behind
 * community_ref: created_by_ref (whatever it names: the submitter is
 * answerable for it) and each where_sighted_refs entry equal to
 * submitter_ref; with nets (the submitters' networks, JSON text), victims'
 * addresses pseudonymized. The result depends only on its inputs, so a
 * reader always sees the same copy.
 */
static fh_err append_reader_copy(fh_buf *out, const char *body, size_t len,
                                 const char *submitter_ref, const char *community_ref,
                                 int clearance, struct fh__store_victims *victims, const char *nets)
{
    if (submitter_ref == NULL && clearance >= FH_TLP_RED && nets == NULL)
        return fh_buf_append(out, body, len);
    json_t *o = json_loadb(body, len, 0, NULL);
    if (o == NULL)
        return fh_buf_append(out, body, len); /* stored by this hub: cannot happen */
    if (clearance < FH_TLP_RED)
        fh_policy_redact(o, clearance);
    /* Victim privacy: addresses inside the submitters' networks become
     * pseudonyms (docs/SHARING.md). */
    bool changed = false;
    fh_err prc = nets ? fh__store_victims_apply(victims, nets, o, &changed) : FH_OK;
    if (prc) {
        json_decref(o);
        return prc;
    }
    if (!changed && submitter_ref == NULL && clearance >= FH_TLP_RED) {
        json_decref(o); /* nothing to hide after all */
        return fh_buf_append(out, body, len);
    }
    if (submitter_ref && json_object_get(o, "created_by_ref"))
        json_object_set_new(o, "created_by_ref", json_string(community_ref));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(o, "where_sighted_refs"), i, v)
    {
        const char *ref = json_string_value(v);
        if (ref && submitter_ref && strcmp(ref, submitter_ref) == 0)
            json_string_set(v, community_ref);
    }
    fh_err rc = fh_json_compact(o, out);
    json_decref(o);
    return rc;
}

/* Whether id names an ipv4-addr or ipv6-addr object. An address SCO is
 * rewritten by its own submitters' networks only; other objects also follow
 * those of the SCOs they reference (docs/SHARING.md). */
static bool is_address_id(const char *id)
{
    return id && (strncmp(id, "ipv4-addr--", 11) == 0 || strncmp(id, "ipv6-addr--", 11) == 0);
}

/* Appends one manifest-record. With nets, id is that of the copy the reader
 * sees: body (the stored SCO) pseudonymized. */
static fh_err append_manifest_record(fh_buf *out, int64_t added, const char *id,
                                     const char *version, const char *body,
                                     struct fh__store_victims *victims, const char *nets)
{
    json_t *o = nets && body ? json_loads(body, 0, NULL) : NULL;
    fh_err rc = o ? fh__store_victims_apply(victims, nets, o, NULL) : FH_OK;
    if (rc == FH_OK && o && fh_json_str(o, "id"))
        id = fh_json_str(o, "id");
    char ts[32];
    fh_store_format_us(added, ts);
    fh_buf_append_str(out, "{\"id\":");
    append_json_str(out, id, strlen(id));
    fh_buf_appendf(out, ",\"date_added\":\"%s\",\"version\":", ts);
    append_json_str(out, version, strlen(version));
    if (rc == FH_OK)
        rc = fh_buf_append_str(out, ",\"media_type\":\"" MANIFEST_MEDIA_TYPE "\"}");
    json_decref(o);
    return rc;
}

fh_err fh_store_query_run(fh_store *s, const fh_store_query *q, fh_store_view view,
                          fh_store_result *r)
{
    if (q->limit == 0)
        return FH_ERR_INVALID;
    struct fh__store_conn *c = fh__store_reader(s);
    fh_buf sql;
    fh_buf_init(&sql, 1 << 20);
    struct binds *b = fh_xcalloc(1, sizeof *b);
    char(*vkeys)[32] = NULL;
    int64_t coll = 0;
    struct fh__store_reader_facts facts;
    struct fh__store_victims *victims = NULL;
    fh_err rc = fh__store_collection_n(c, q->collection, &coll);
    if (rc == FH_OK && q->reader)
        rc = fh__store_reader_facts(c, coll, q->reader, &facts);
    if (rc)
        goto done;
    add_int(b, coll);
    switch (view) {
    case FH_STORE_VIEW_OBJECTS:
        /* The third column is the submitter's identity id when this reader
         * must see the community identity instead (docs/SHARING.md). */
        if (q->reader) {
            add_text(b, q->reader);
            fh_buf_append_str(&sql, "SELECT date_added, body, (SELECT json_extract(so.identity, "
                                    "'$.id') FROM orgs so WHERE so.id = objects.submitter AND "
                                    "so.id <> ?2 AND so.named = 0 AND NOT EXISTS (SELECT 1 FROM "
                                    "object_submitters c WHERE c.seq = objects.seq AND "
                                    "c.org_id = ?2)), id, max(tlp, coalesce(gtlp, -1)), "
                                    "CASE WHEN gtlp IS NULL THEN NULL ELSE ");
            if ((rc = add_clearance(&sql, b, &facts, "objects")))
                goto done;
            fh_buf_append_str(&sql, " END, ");
            append_victim_nets(&sql, "objects", 2, VICTIM_TYPES);
            fh_buf_append_str(&sql, " FROM objects WHERE coll = ?1");
        } else {
            fh_buf_append_str(&sql, "SELECT date_added, body, NULL, id, tlp, NULL, NULL FROM "
                                    "objects WHERE coll = ?1");
        }
        break;
    case FH_STORE_VIEW_MANIFEST:
        /* Ids of SCOs that this reader sees pseudonymized are the ids of the
         * rewritten copies (columns 6 and 7: networks and body). */
        if (q->reader) {
            add_text(b, q->reader);
            fh_buf_append_str(&sql, "SELECT date_added, id, version, id, tlp, NULL, ");
            append_victim_nets(&sql, "objects", 2, VICTIM_ID_TYPES);
            fh_buf_append_str(&sql, ", CASE WHEN type IN (" VICTIM_ID_TYPES
                                    ") THEN body END FROM objects WHERE coll = ?1");
        } else {
            fh_buf_append_str(&sql, "SELECT date_added, id, version, id, tlp, NULL, NULL FROM "
                                    "objects WHERE coll = ?1");
        }
        break;
    case FH_STORE_VIEW_VERSIONS:
        fh_buf_append_str(
            &sql, "SELECT date_added, version, NULL, id, tlp, NULL FROM objects WHERE coll = ?1");
        break;
    }
    rc = build_where(q, q->reader ? &facts : NULL, view == FH_STORE_VIEW_VERSIONS, false, &sql, b,
                     &vkeys);
    if (rc)
        goto done;
    if ((rc = add_int(b, (int64_t)q->limit + 1)))
        goto done;
    fh_buf_appendf(&sql, " ORDER BY date_added LIMIT ?%d", b->n);

    victims = fh__store_victims_new(s, c, coll, q->reader);
    sqlite3_stmt *st = fh__store_stmt(c, sql.data);
    if (st == NULL) {
        rc = FH_ERR_DB;
        goto done;
    }
    bind_all(st, b);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (r->count == q->limit) {
            r->more = true;
            break;
        }
        int64_t added = sqlite3_column_int64(st, 0);
        if (r->count == 0)
            r->first_added_us = added;
        r->last_added_us = added;
        if (r->count)
            fh_buf_append_char(&r->items, ',');
        bool cut = view == FH_STORE_VIEW_OBJECTS && sqlite3_column_type(st, 5) != SQLITE_NULL;
        const char *nets =
            view == FH_STORE_VIEW_VERSIONS ? NULL : (const char *)sqlite3_column_text(st, 6);
        if (nets && strcmp(nets, "[]") == 0 &&
            is_address_id((const char *)sqlite3_column_text(st, 3)))
            nets = NULL; /* its submitters declared no networks: an address SCO stays */
        if (view == FH_STORE_VIEW_OBJECTS &&
            (cut || nets || sqlite3_column_type(st, 2) != SQLITE_NULL)) {
            rc = append_reader_copy(&r->items, (const char *)sqlite3_column_text(st, 1),
                                    (size_t)sqlite3_column_bytes(st, 1),
                                    (const char *)sqlite3_column_text(st, 2),
                                    fh__store_community_id(s),
                                    cut ? sqlite3_column_int(st, 5) : FH_TLP_RED, victims, nets);
        } else if (view == FH_STORE_VIEW_MANIFEST && nets) {
            rc = append_manifest_record(&r->items, added, (const char *)sqlite3_column_text(st, 1),
                                        (const char *)sqlite3_column_text(st, 2),
                                        (const char *)sqlite3_column_text(st, 7), victims, nets);
        } else if (view == FH_STORE_VIEW_OBJECTS) {
            rc = fh_buf_append(&r->items, sqlite3_column_text(st, 1),
                               (size_t)sqlite3_column_bytes(st, 1));
        } else if (view == FH_STORE_VIEW_MANIFEST) {
            rc = append_manifest_record(&r->items, added, (const char *)sqlite3_column_text(st, 1),
                                        (const char *)sqlite3_column_text(st, 2), NULL, NULL, NULL);
        } else {
            rc = append_json_str(&r->items, (const char *)sqlite3_column_text(st, 1),
                                 (size_t)sqlite3_column_bytes(st, 1));
        }
        if (rc == FH_OK && sqlite3_column_int(st, 4) >= FH_TLP_AMBER) {
            /* Reads of AMBER and above are audited (docs/SHARING.md). */
            if (r->n_restricted)
                fh_buf_append_char(&r->restricted, ',');
            rc = append_json_str(&r->restricted, (const char *)sqlite3_column_text(st, 3),
                                 (size_t)sqlite3_column_bytes(st, 3));
            r->n_restricted++;
        }
        if (rc)
            break;
        r->count++;
    }
    if (rc == FH_OK && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = fh__store_dberr(c, "query");
    sqlite3_reset(st);
done:
    fh__store_victims_free(victims);
    fh__store_reader_done(s, c);
    free(vkeys);
    free(b);
    fh_buf_cleanup(&sql);
    return rc;
}

fh_err fh_store_object_exists(fh_store *s, const char *collection, const char *object_id,
                              const char *reader, bool *exists)
{
    *exists = false;
    struct fh__store_conn *c = fh__store_reader(s);
    fh_buf sql;
    fh_buf_init(&sql, 1 << 16);
    struct binds *b = fh_xcalloc(1, sizeof *b);
    struct fh__store_reader_facts facts;
    int64_t coll = 0;
    fh_err rc = fh__store_collection_n(c, collection, &coll);
    if (rc == FH_ERR_NOTFOUND) {
        rc = FH_OK; /* no collection, no object */
        goto done;
    }
    if (rc == FH_OK && reader)
        rc = fh__store_reader_facts(c, coll, reader, &facts);
    if (rc)
        goto done;
    add_int(b, coll);
    add_text(b, object_id);
    fh_buf_append_str(&sql, "SELECT 1 FROM objects WHERE coll = ?1 AND id = ?2");
    if (reader && ((rc = add_visibility(&sql, b, &facts, "objects")) ||
                   (rc = add_not_pseudonymized(&sql, b, reader, "objects"))))
        goto done;
    fh_buf_append_str(&sql, " LIMIT 1");
    sqlite3_stmt *st = fh__store_stmt(c, sql.data);
    if (st == NULL) {
        rc = FH_ERR_DB;
        goto done;
    }
    bind_all(st, b);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *exists = true;
    else if (r != SQLITE_DONE)
        rc = fh__store_dberr(c, "object lookup");
    sqlite3_reset(st);
done:
    fh__store_reader_done(s, c);
    free(b);
    fh_buf_cleanup(&sql);
    return rc;
}

fh_err fh_store_delete(fh_store *s, const fh_store_query *q, size_t *deleted)
{
    *deleted = 0;
    if (q->object_id == NULL)
        return FH_ERR_USAGE;
    fh_buf sql;
    fh_buf_init(&sql, 1 << 20);
    struct binds *b = fh_xcalloc(1, sizeof *b);
    char(*vkeys)[32] = NULL;
    fh_err rc = fh__store_begin(s);
    if (rc)
        goto out;
    struct fh__store_conn *w = &s->writer;
    int64_t coll = 0;
    struct fh__store_reader_facts facts;
    rc = fh__store_collection_n(w, q->collection, &coll);
    if (rc == FH_OK && q->reader)
        rc = fh__store_reader_facts(w, coll, q->reader, &facts);
    if (rc)
        goto done;
    add_int(b, coll);
    fh_buf_append_str(&sql, "DELETE FROM objects WHERE coll = ?1");
    rc = build_where(q, q->reader ? &facts : NULL, false, true, &sql, b, &vkeys);
    if (rc)
        goto done;
    sqlite3_stmt *st = fh__store_stmt(w, sql.data);
    if (st == NULL) {
        rc = FH_ERR_DB;
        goto done;
    }
    bind_all(st, b);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = fh__store_dberr(w, "deleting");
    else
        *deleted = (size_t)sqlite3_changes(w->db);
    sqlite3_reset(st);
    if (rc == FH_OK && *deleted) {
        st = fh__store_stmt_lit(w, "UPDATE objects SET "
                                   "is_first = (vkey = (SELECT min(o.vkey) FROM objects o WHERE "
                                   "o.coll = ?1 AND o.id = ?2)), "
                                   "is_last = (vkey = (SELECT max(o.vkey) FROM objects o WHERE "
                                   "o.coll = ?1 AND o.id = ?2)) WHERE coll = ?1 AND id = ?2");
        if (st == NULL) {
            rc = FH_ERR_DB;
        } else {
            sqlite3_bind_int64(st, 1, coll);
            fh__store_bind_text(st, 2, q->object_id);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = fh__store_dberr(w, "version flags");
            sqlite3_reset(st);
        }
    }
done:
    rc = fh__store_end(s, rc);
out:
    free(vkeys);
    free(b);
    fh_buf_cleanup(&sql);
    return rc;
}

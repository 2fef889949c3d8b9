/*
 * Trust and consensus in the store (docs/SHARING.md, "Trust and
 * consensus"): the contributions of each organization to each observable
 * value, the opinions that move an organization's trust, and the consensus
 * indicators the hub publishes in its built-in `consensus` collection.
 *
 * Once enabled (fh_store_consensus_enable), contributions are recorded in
 * the transaction of the POST that stored them (fh__store_consensus_record,
 * called by store-objects.c), from what the store kept: the version's
 * effective TLP (only CLEAR and GREEN feed consensus) and its true
 * submitter. Only the latest report of each organization on a value counts,
 * so a burst counts once. Scores, decay and thresholds are computed by
 * lib/policy/policy-consensus.c.
 *
 * Publication happens in the same transaction as the contribution that
 * caused it; withdrawal by decay is the periodic check's job
 * (fh_store_consensus_check), which finds the published values whose
 * valid_until has come through an index, and those marked dirty by a trust
 * change.
 *
 * Not for: who may read the consensus collection (ordinary grants) or HTTP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fenghuo/json.h"
#include "fenghuo/pattern.h"
#include "fenghuo/policy.h"
#include "fenghuo/time.h"
#include "fenghuo/uuid.h"
#include "store/store-int.h"

/* Values scored again per check transaction at most (the hub repeats the
 * check while more remain, releasing the write lock in between), and per
 * POST: a trust change of an organization with millions of reports never
 * holds the writer for long. */
#define CHECK_BATCH  5000
#define INGEST_BATCH 256

/* Distinct values one POST may touch; more are left for later posts (the
 * limit keeps one transaction short). */
#define INGEST_MAX_TOUCHED 100000

/* cons_obs.state */
enum { STATE_NONE = 0, STATE_PUBLISHED = 1, STATE_REVOKED = 2 };

static const char *const state_names[] = {"none", "published", "revoked"};

static fh_consensus_kind kind_of(fh_pattern_obs_kind k)
{
    switch (k) {
    case FH_PATTERN_OBS_DOMAIN:
        return FH_CONSENSUS_DOMAIN;
    case FH_PATTERN_OBS_URL:
        return FH_CONSENSUS_URL;
    case FH_PATTERN_OBS_HASH:
        return FH_CONSENSUS_HASH;
    default:
        return FH_CONSENSUS_ADDRESS;
    }
}

/* ---- the collection -------------------------------------------------------- */

static fh_err collection_id(struct fh__store_conn *c, char id_out[FH_STORE_ID_STRLEN])
{
    return fh__store_find_id(c,
                             "SELECT value FROM meta WHERE key = 'consensus_collection' AND ?1 "
                             "IS NOT NULL",
                             "", id_out, FH_STORE_ID_STRLEN, "consensus collection lookup");
}

/* Creates the collection when missing and, with grant, grants read to
 * organizations without a grant; *coll receives its row number. Inside a
 * transaction. */
static fh_err ensure_collection(struct fh__store_conn *w, char id[FH_STORE_ID_STRLEN],
                                int64_t *coll, bool grant)
{
    fh_err rc = collection_id(w, id);
    if (rc == FH_ERR_NOTFOUND) {
        fh_uuid u;
        rc = fh_uuid_v4(&u);
        if (rc)
            return rc;
        fh_uuid_format(&u, id);
        char now[32];
        fh_store_format_us(fh__store_now_us(), now);
        sqlite3_stmt *st = fh__store_stmt_lit(
            w, "INSERT INTO collections(id, title, description, created, default_tlp) VALUES "
               "(?1, 'consensus', 'Indicators the community agrees on, published by the hub "
               "(docs/SHARING.md, Trust and consensus). Read-only.', ?2, 1)");
        if (st == NULL)
            return FH_ERR_DB;
        fh__store_bind_text(st, 1, id);
        fh__store_bind_text(st, 2, now);
        rc = fh__store_step_done(w, st, "creating the consensus collection");
        if (rc)
            return rc;
        st = fh__store_stmt_lit(w,
                                "INSERT INTO meta(key, value) VALUES ('consensus_collection', ?1)");
        if (st == NULL)
            return FH_ERR_DB;
        fh__store_bind_text(st, 1, id);
        rc = fh__store_step_done(w, st, "saving the consensus collection");
        if (rc == FH_OK)
            fh_info("store", "consensus collection %s created", id);
    }
    if (rc)
        return rc;
    rc = fh__store_collection_n(w, id, coll);
    if (rc || !grant)
        return rc;
    sqlite3_stmt *st =
        fh__store_stmt_lit(w, "INSERT OR IGNORE INTO grants(coll, org_id, can_read, can_write) "
                              "SELECT ?1, id, 1, 0 FROM orgs");
    if (st == NULL)
        return FH_ERR_DB;
    sqlite3_bind_int64(st, 1, *coll);
    return fh__store_step_done(w, st, "granting read on the consensus collection");
}

fh_err fh_store_consensus_enable(fh_store *s, const fh_consensus_config *cfg,
                                 char id_out[FH_STORE_ID_STRLEN])
{
    fh_err rc = fh__store_begin(s);
    if (rc)
        return rc;
    int64_t coll = 0;
    rc = ensure_collection(&s->writer, id_out, &coll, true);
    if (rc == FH_OK) {
        /* Kept for `fenghuo admin consensus list`, which scores as the hub
         * does without knowing its command line. */
        char *text =
            fh_xasprintf("{\"threshold\":%.17g,\"address\":%.17g,\"domain\":%.17g,\"url\":%.17g,"
                         "\"hash\":%.17g}",
                         cfg->threshold, cfg->half_life_s[FH_CONSENSUS_ADDRESS],
                         cfg->half_life_s[FH_CONSENSUS_DOMAIN], cfg->half_life_s[FH_CONSENSUS_URL],
                         cfg->half_life_s[FH_CONSENSUS_HASH]);
        sqlite3_stmt *st = fh__store_stmt_lit(
            &s->writer, "INSERT OR REPLACE INTO meta(key, value) VALUES ('consensus_config', ?1)");
        if (st == NULL) {
            rc = FH_ERR_DB;
        } else {
            fh__store_bind_text(st, 1, text);
            rc = fh__store_step_done(&s->writer, st, "saving the consensus configuration");
        }
        free(text);
    }
    rc = fh__store_end(s, rc);
    if (rc == FH_OK) {
        if (s->consensus == NULL)
            s->consensus = fh_xmalloc(sizeof *s->consensus);
        *s->consensus = *cfg;
    }
    return rc;
}

fh_err fh_store_consensus_collection(fh_store *s, char id_out[FH_STORE_ID_STRLEN])
{
    struct fh__store_conn *c = fh__store_reader(s);
    fh_err rc = collection_id(c, id_out);
    fh__store_reader_done(s, c);
    return rc;
}

/* ---- trust ----------------------------------------------------------------- */

/* Asks the periodic check to score every value org reported again, from
 * the first (a pass already under way starts over: the trust it used is
 * stale). One row, however many values: the check walks them in batches. */
static fh_err mark_org_dirty(struct fh__store_conn *w, const char *org_id)
{
    sqlite3_stmt *st =
        fh__store_stmt_lit(w, "INSERT INTO cons_dirty_orgs(org_id, after) VALUES (?1, 0) "
                              "ON CONFLICT(org_id) DO UPDATE SET after = 0");
    if (st == NULL)
        return FH_ERR_DB;
    fh__store_bind_text(st, 1, org_id);
    return fh__store_step_done(w, st, "marking an organization for scoring");
}

fh_err fh_store_org_set_trust(fh_store *s, const char *org, int level)
{
    if (level < FH_TRUST_LOW || level >= FH_TRUST__LEVELS)
        return FH_ERR_INVALID;
    fh_err rc = fh__store_begin(s);
    if (rc)
        return rc;
    char org_id[FH_STORE_ID_STRLEN];
    rc = fh__store_org_update(&s->writer, org, "UPDATE orgs SET trust = ?2 WHERE id = ?1", level,
                              "setting trust", org_id);
    if (rc == FH_OK)
        rc = mark_org_dirty(&s->writer, org_id);
    return fh__store_end(s, rc);
}

/* org's feedback points: opinions of other organizations on the reports it
 * submitted, capped per opinion-giving organization. */
static fh_err feedback_points(struct fh__store_conn *c, const char *org_id, unsigned *agree,
                              unsigned *disagree)
{
    *agree = *disagree = 0;
    sqlite3_stmt *st = fh__store_stmt_lit(
        c, "SELECT sum(agree), sum(disagree) FROM cons_opinions WHERE reported_org = ?1 AND "
           "opinion_org <> ?1 GROUP BY opinion_org");
    if (st == NULL)
        return FH_ERR_DB;
    fh__store_bind_text(st, 1, org_id);
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t a = sqlite3_column_int64(st, 0), d = sqlite3_column_int64(st, 1);
        *agree += fh_consensus_cap(a > 0 ? (unsigned)(a > 100 ? 100 : a) : 0);
        *disagree += fh_consensus_cap(d > 0 ? (unsigned)(d > 100 ? 100 : d) : 0);
    }
    sqlite3_reset(st);
    return r == SQLITE_DONE ? FH_OK : fh__store_dberr(c, "feedback");
}

/* Trust of organizations, computed once per transaction. */
struct trust_cache {
    struct {
        char org[FH_STORE_ID_STRLEN];
        double trust;
    } * v;
    size_t n, cap;
};

static fh_err trust_of(struct fh__store_conn *c, const fh_consensus_config *cfg,
                       struct trust_cache *tc, const char *org_id, int level, double *out)
{
    for (size_t i = 0; i < tc->n; i++) {
        if (strcmp(tc->v[i].org, org_id) == 0) {
            *out = tc->v[i].trust;
            return FH_OK;
        }
    }
    unsigned a, d;
    fh_err rc = feedback_points(c, org_id, &a, &d);
    if (rc)
        return rc;
    *out = fh_consensus_trust(cfg, (fh_trust_level)level, fh_consensus_feedback(a, d));
    if (tc->n == tc->cap) {
        tc->cap = tc->cap ? tc->cap * 2 : 16;
        tc->v = fh_xrealloc(tc->v, tc->cap * sizeof *tc->v);
    }
    snprintf(tc->v[tc->n].org, FH_STORE_ID_STRLEN, "%s", org_id);
    tc->v[tc->n].trust = *out;
    tc->n++;
    return FH_OK;
}

fh_err fh_store_org_trust_list(fh_store *s, const fh_consensus_config *cfg, json_t **out)
{
    struct fh__store_conn *c = fh__store_reader(s);
    sqlite3_stmt *st =
        fh__store_stmt_lit(c, "SELECT id, name, trust FROM orgs ORDER BY created, name");
    fh_err rc = st ? FH_OK : FH_ERR_DB;
    json_t *arr = json_array();
    /* Collect first: feedback_points uses its own statement on c. */
    json_t *rows = json_array();
    int r = SQLITE_DONE;
    while (rc == FH_OK && (r = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(rows, json_pack("{s:s,s:s,s:i}", "id",
                                              (const char *)sqlite3_column_text(st, 0), "name",
                                              (const char *)sqlite3_column_text(st, 1), "level",
                                              sqlite3_column_int(st, 2)));
    if (st)
        sqlite3_reset(st);
    if (rc == FH_OK && r != SQLITE_DONE)
        rc = fh__store_dberr(c, "listing trust");
    size_t i;
    json_t *o;
    json_array_foreach(rows, i, o)
    {
        if (rc)
            break;
        unsigned a, d;
        rc = feedback_points(c, fh_json_str(o, "id"), &a, &d);
        fh_trust_level lv = (fh_trust_level)json_integer_value(json_object_get(o, "level"));
        double f = fh_consensus_feedback(a, d);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:i,s:i,s:f,s:f}", "id",
                                             fh_json_str(o, "id"), "name", fh_json_str(o, "name"),
                                             "trust", fh_trust_level_name(lv), "agree", (int)a,
                                             "disagree", (int)d, "feedback", f, "weight",
                                             fh_consensus_trust(cfg, lv, f)));
    }
    json_decref(rows);
    fh__store_reader_done(s, c);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return FH_OK;
}

/* ---- publishing ------------------------------------------------------------ */

/* The deterministic id of the consensus indicator of a value. */
static void indicator_id(int kind, const char *value, char out[64])
{
    fh_uuid ns, u;
    static const char ns_name[] = "fenghuo consensus indicator";
    fh_uuid_v5(&FH_UUID_STIX_SCO_NAMESPACE, ns_name, sizeof ns_name - 1, &ns);
    char name[4200];
    int len = snprintf(name, sizeof name, "%d:%s", kind, value);
    fh_uuid_v5(&ns, name, (size_t)(len < (int)sizeof name ? len : (int)sizeof name - 1), &u);
    char text[FH_UUID_STRLEN];
    fh_uuid_format(&u, text);
    snprintf(out, 64, "indicator--%s", text);
}

/* The STIX pattern of a value: a quoted string constant (' and \ escaped). */
static void value_pattern(int kind, const char *value, fh_buf *out)
{
    const char *hash_sep = kind == FH_PATTERN_OBS_HASH ? strchr(value, ':') : NULL;
    switch (kind) {
    case FH_PATTERN_OBS_IPV4:
        fh_buf_append_str(out, "[ipv4-addr:value = '");
        break;
    case FH_PATTERN_OBS_IPV6:
        fh_buf_append_str(out, "[ipv6-addr:value = '");
        break;
    case FH_PATTERN_OBS_DOMAIN:
        fh_buf_append_str(out, "[domain-name:value = '");
        break;
    case FH_PATTERN_OBS_URL:
        fh_buf_append_str(out, "[url:value = '");
        break;
    default:
        fh_buf_appendf(out, "[file:hashes.'%.*s' = '", hash_sep ? (int)(hash_sep - value) : 0,
                       value);
        value = hash_sep ? hash_sep + 1 : value;
        break;
    }
    for (const char *p = value; *p; p++) {
        if (*p == '\'' || *p == '\\')
            fh_buf_append_char(out, '\\');
        fh_buf_append_char(out, *p);
    }
    fh_buf_append_str(out, "']");
}

static void format_ms(int64_t us, char buf[32])
{
    fh_time t = {.sec = us / 1000000, .nsec = (uint32_t)((us % 1000000) / 1000 * 1000000)};
    fh_time_format_digits(&t, 3, buf, 32);
}

/* What a publication needs. */
struct pubctx {
    const fh_consensus_config *cfg;
    int64_t coll; /* the consensus collection's row */
    const char *community;
    int64_t now;
    struct trust_cache trust;
    size_t published;
};

/* Scores value n at ctx->now and publishes a new version of its indicator
 * when its state changes (published, revoked) or, while published, when its
 * confidence or valid_until moved noticeably. Clears its dirty mark. */
static fh_err evaluate(struct fh__store_conn *w, struct pubctx *ctx, int64_t n)
{
    sqlite3_stmt *st = fh__store_stmt_lit(
        w, "SELECT kind, value, indicator, state, created, version, valid_from, valid_until, "
           "confidence FROM cons_obs WHERE n = ?1");
    if (st == NULL)
        return FH_ERR_DB;
    sqlite3_bind_int64(st, 1, n);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return fh__store_dberr(w, "value lookup");
    }
    int kind = sqlite3_column_int(st, 0);
    char *value = fh_xstrdup((const char *)sqlite3_column_text(st, 1));
    /* The indicator's id is recorded when the value is first published. */
    char *ind = fh_xmalloc(64);
    if (sqlite3_column_type(st, 2) == SQLITE_TEXT)
        snprintf(ind, 64, "%s", (const char *)sqlite3_column_text(st, 2));
    else
        indicator_id(kind, value, ind);
    int state = sqlite3_column_int(st, 3);
    int64_t created = sqlite3_column_int64(st, 4);
    int64_t version = sqlite3_column_int64(st, 5);
    int64_t valid_from = sqlite3_column_int64(st, 6);
    int64_t old_until = sqlite3_column_int64(st, 7);
    int old_conf = sqlite3_column_int(st, 8);
    sqlite3_reset(st);

    fh_err rc = FH_OK;
    fh_consensus_report *reps = NULL;
    size_t nrep = 0, cap = 0;
    st = fh__store_stmt_lit(w, "SELECT r.org_id, r.at, o.trust FROM cons_reports r JOIN orgs o "
                               "ON o.id = r.org_id WHERE r.obs = ?1");
    if (st == NULL) {
        rc = FH_ERR_DB;
        goto done;
    }
    sqlite3_bind_int64(st, 1, n);
    /* Collect the rows before computing trust: that runs statements too. */
    struct row {
        char org[FH_STORE_ID_STRLEN];
        int64_t at;
        int level;
    } *rows = NULL;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (nrep == cap) {
            cap = cap ? cap * 2 : 8;
            rows = fh_xrealloc(rows, cap * sizeof *rows);
        }
        snprintf(rows[nrep].org, FH_STORE_ID_STRLEN, "%s",
                 (const char *)sqlite3_column_text(st, 0));
        rows[nrep].at = sqlite3_column_int64(st, 1);
        rows[nrep].level = sqlite3_column_int(st, 2);
        nrep++;
    }
    sqlite3_reset(st);
    if (r != SQLITE_DONE) {
        free(rows);
        rc = fh__store_dberr(w, "reports lookup");
        goto done;
    }
    reps = fh_xcalloc(nrep ? nrep : 1, sizeof *reps);
    for (size_t i = 0; i < nrep && rc == FH_OK; i++) {
        reps[i].at_us = rows[i].at;
        rc = trust_of(w, ctx->cfg, &ctx->trust, rows[i].org, rows[i].level, &reps[i].trust);
    }
    free(rows);
    if (rc)
        goto done;

    double hl = ctx->cfg->half_life_s[kind_of((fh_pattern_obs_kind)kind)];
    double score = fh_consensus_score(reps, nrep, ctx->now, hl);
    int64_t until = fh_consensus_until(score, ctx->cfg->threshold, ctx->now, hl);
    /* Published while the score holds for at least a millisecond (a value
     * exactly at the threshold would expire as it is published). */
    bool active = score >= ctx->cfg->threshold && until >= ctx->now + 1000;
    int conf = fh_consensus_confidence(score, ctx->cfg->threshold);
    bool write = false;
    if (active && state != STATE_PUBLISHED) {
        write = true;
        valid_from = ctx->now;
    } else if (!active && state == STATE_PUBLISHED) {
        write = true;
    } else if (active) {
        int64_t moved = until > old_until ? until - old_until : old_until - until;
        /* A published valid_until that has come while the score still holds
         * (reports kept it up, each by too little to write) needs a new
         * version, or followers would drop a value that is still agreed. */
        write = conf != old_conf || (double)moved > hl * 1e6 / 16 || old_until <= ctx->now;
    }
    if (write) {
        /* Versions of one id must grow: milliseconds, strictly after the last. */
        int64_t mod = ctx->now - ctx->now % 1000;
        if (mod <= version)
            mod = version + 1000;
        if (created == 0)
            created = mod;
        if (valid_from > mod)
            valid_from = mod;
        int64_t shown_until = active ? until : mod;
        if (shown_until < valid_from + 1000)
            shown_until = valid_from + 1000;
        char c_ts[32], m_ts[32], f_ts[32], u_ts[32];
        format_ms(created, c_ts);
        format_ms(mod, m_ts);
        format_ms(valid_from - valid_from % 1000, f_ts);
        format_ms(shown_until - shown_until % 1000 + (shown_until % 1000 ? 1000 : 0), u_ts);
        fh_buf pat;
        fh_buf_init(&pat, 0);
        value_pattern(kind, value, &pat);
        const char *shown_value = value;
        if (kind == FH_PATTERN_OBS_HASH && strchr(value, ':'))
            shown_value = strchr(value, ':') + 1;
        char name[300];
        snprintf(name, sizeof name, "fenghuo consensus: %.250s", shown_value);
        json_t *o = json_pack(
            "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[s],s:s,s:s,s:s,s:s,s:i,s:b,s:[s]}", "type",
            "indicator", "spec_version", "2.1", "id", ind, "created", c_ts, "modified", m_ts,
            "created_by_ref", ctx->community, "name", name, "indicator_types", "malicious-activity",
            "pattern", pat.data, "pattern_type", "stix", "valid_from", f_ts, "valid_until", u_ts,
            "confidence",
            active     ? conf
            : old_conf ? old_conf
                       : conf,
            "revoked", !active, "object_marking_refs", fh_policy_tlp_marking_id(FH_TLP_GREEN));
        fh_buf_cleanup(&pat);
        if (o == NULL) {
            rc = FH_ERR_INTERNAL;
            goto done;
        }
        if (active)
            json_object_del(o, "revoked");
        rc = fh__store_put_hub_object(w, ctx->coll, o);
        json_decref(o);
        if (rc)
            goto done;
        ctx->published++;
        st = fh__store_stmt_lit(w, "UPDATE cons_obs SET state = ?2, created = ?3, version = ?4, "
                                   "valid_from = ?5, valid_until = ?6, confidence = ?7, dirty = 0, "
                                   "indicator = ?8 WHERE n = ?1");
        if (st == NULL) {
            rc = FH_ERR_DB;
            goto done;
        }
        sqlite3_bind_int64(st, 1, n);
        sqlite3_bind_int(st, 2, active ? STATE_PUBLISHED : STATE_REVOKED);
        sqlite3_bind_int64(st, 3, created);
        sqlite3_bind_int64(st, 4, mod);
        sqlite3_bind_int64(st, 5, valid_from);
        sqlite3_bind_int64(st, 6, active ? until : mod);
        sqlite3_bind_int(st, 7, active ? conf : old_conf);
        fh__store_bind_text(st, 8, ind);
        rc = fh__store_step_done(w, st, "recording a publication");
        if (rc == FH_OK)
            fh_debug("consensus", "%s %s (%s, score %.3f)", active ? "published" : "revoked", ind,
                     value, score);
    } else {
        st = fh__store_stmt_lit(w, "UPDATE cons_obs SET dirty = 0 WHERE n = ?1 AND dirty = 1");
        if (st == NULL) {
            rc = FH_ERR_DB;
            goto done;
        }
        sqlite3_bind_int64(st, 1, n);
        rc = fh__store_step_done(w, st, "clearing a mark");
    }
done:
    free(reps);
    free(value);
    free(ind);
    return rc;
}

/* ---- ingest ---------------------------------------------------------------- */

/* Row numbers of values touched by one ingest (each once). */
struct touched {
    int64_t *v;
    size_t n, cap;
};

/* Adds n to t; false when t is full (the caller marks n dirty instead). */
static bool touch(struct touched *t, int64_t n)
{
    for (size_t i = t->n; i > 0 && i + 64 > t->n; i--)
        if (t->v[i - 1] == n)
            return true; /* a repeat of a recent one: the common case of a burst */
    if (t->n == INGEST_MAX_TOUCHED)
        return false;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->v = fh_xrealloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n++] = n;
    return true;
}

/* Scores value n in this transaction, or at the next check when this POST
 * touched too many values to score them all now. */
static fh_err touch_value(struct fh__store_conn *w, struct touched *t, int64_t n)
{
    if (touch(t, n))
        return FH_OK;
    sqlite3_stmt *st = fh__store_stmt_lit(w, "UPDATE cons_obs SET dirty = 1 WHERE n = ?1");
    if (st == NULL)
        return FH_ERR_DB;
    sqlite3_bind_int64(st, 1, n);
    return fh__store_step_done(w, st, "marking a value for scoring");
}

/* The row number of a value, created when new. */
static fh_err value_row(struct fh__store_conn *w, int kind, const char *value, int64_t *n)
{
    sqlite3_stmt *st =
        fh__store_stmt_lit(w, "SELECT n FROM cons_obs WHERE kind = ?1 AND value = ?2");
    if (st == NULL)
        return FH_ERR_DB;
    sqlite3_bind_int(st, 1, kind);
    fh__store_bind_text(st, 2, value);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (r == SQLITE_ROW)
        return FH_OK;
    if (r != SQLITE_DONE)
        return fh__store_dberr(w, "value lookup");
    st = fh__store_stmt_lit(w, "INSERT INTO cons_obs(kind, value) VALUES (?1, ?2)");
    if (st == NULL)
        return FH_ERR_DB;
    sqlite3_bind_int(st, 1, kind);
    fh__store_bind_text(st, 2, value);
    fh_err rc = fh__store_step_done(w, st, "adding a value");
    if (rc == FH_OK)
        *n = sqlite3_last_insert_rowid(w->db);
    return rc;
}

/* Records org's report on value n made at `at` (its latest counts). */
static fh_err add_report(struct fh__store_conn *w, int64_t n, const char *org, int64_t at,
                         const char *report)
{
    sqlite3_stmt *st = fh__store_stmt_lit(
        w, "INSERT INTO cons_reports(obs, org_id, at, report) VALUES (?1, ?2, ?3, ?4) "
           "ON CONFLICT(obs, org_id) DO UPDATE SET report = excluded.report, at = excluded.at "
           "WHERE excluded.at >= cons_reports.at");
    if (st == NULL)
        return FH_ERR_DB;
    sqlite3_bind_int64(st, 1, n);
    fh__store_bind_text(st, 2, org);
    sqlite3_bind_int64(st, 3, at);
    fh__store_bind_text(st, 4, report);
    return fh__store_step_done(w, st, "recording a report");
}

/* Records that org's report (an indicator or sighting id) names value n. */
static fh_err add_source(struct fh__store_conn *w, const char *report, const char *org, int64_t n)
{
    sqlite3_stmt *st = fh__store_stmt_lit(
        w, "INSERT OR IGNORE INTO cons_sources(report, org_id, obs) VALUES (?1, ?2, ?3)");
    if (st == NULL)
        return FH_ERR_DB;
    fh__store_bind_text(st, 1, report);
    fh__store_bind_text(st, 2, org);
    sqlite3_bind_int64(st, 3, n);
    return fh__store_step_done(w, st, "recording a source");
}

/* The time a report was made: the timestamp it states (clamped to now: a
 * report from the future would outlast everyone else's). */
static int64_t report_time(const json_t *o, const char *key, int64_t now)
{
    const char *ts = fh_json_str(o, key);
    if (ts == NULL)
        ts = fh_json_str(o, "modified");
    fh_time t;
    if (ts == NULL || fh_time_parse(ts, strlen(ts), &t, NULL) != FH_OK)
        return now;
    int64_t us = t.sec * 1000000 + t.nsec / 1000;
    return us < now ? us : now;
}

/* The effective TLP of the stored version of o in coll, when org_id
 * submitted it (or co-submitted the same bytes); -1 when it did not. */
static fh_err stored_tlp(struct fh__store_conn *w, int64_t coll, const json_t *o,
                         const char *org_id, int *tlp)
{
    *tlp = -1;
    const char *id = fh_json_str(o, "id");
    const char *ver = fh_json_str(o, "modified");
    if (ver == NULL)
        ver = fh_json_str(o, "created");
    fh_time t;
    if (id == NULL || ver == NULL || fh_time_parse(ver, strlen(ver), &t, NULL) != FH_OK)
        return FH_OK;
    char vkey[32];
    fh_time_format_digits(&t, 9, vkey, sizeof vkey);
    sqlite3_stmt *st = fh__store_stmt_lit(
        w, "SELECT tlp FROM objects WHERE coll = ?1 AND id = ?2 AND vkey = ?3 AND "
           "(submitter = ?4 OR EXISTS (SELECT 1 FROM object_submitters c WHERE "
           "c.seq = objects.seq AND c.org_id = ?4))");
    if (st == NULL)
        return FH_ERR_DB;
    sqlite3_bind_int64(st, 1, coll);
    fh__store_bind_text(st, 2, id);
    fh__store_bind_text(st, 3, vkey);
    fh__store_bind_text(st, 4, org_id);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *tlp = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return r == SQLITE_ROW || r == SQLITE_DONE ? FH_OK : fh__store_dberr(w, "version lookup");
}

/* Whether an observable of a compiled pattern is a claim about one value:
 * exact (seeing it alone matches the whole pattern), of a kind consensus
 * knows, and not narrowed by a port or a time window. */
static bool claims_value(const fh_pattern_observable *o)
{
    return o->exact && !o->has_port && !o->has_window &&
           (o->kind == FH_PATTERN_OBS_IPV4 || o->kind == FH_PATTERN_OBS_IPV6 ||
            o->kind == FH_PATTERN_OBS_DOMAIN || o->kind == FH_PATTERN_OBS_URL ||
            o->kind == FH_PATTERN_OBS_HASH);
}

/* Whether an indicator version takes its submitter's earlier reports back:
 * revoked, or valid only until a time that has passed. */
static bool withdrawn(const json_t *o, int64_t now)
{
    const char *until = fh_json_str(o, "valid_until");
    fh_time u;
    return json_is_true(json_object_get(o, "revoked")) ||
           (until && fh_time_parse(until, strlen(until), &u, NULL) == FH_OK &&
            u.sec * 1000000 + u.nsec / 1000 <= now);
}

static fh_err ingest_indicator(struct fh__store_conn *w, const json_t *o, const char *org,
                               int64_t now, struct touched *t)
{
    const char *id = fh_json_str(o, "id");
    sqlite3_stmt *st;
    fh_err rc;
    if (withdrawn(o, now)) {
        /* The reporter withdrew it: its reports sourced from this
         * indicator stop counting, and sightings of it count no more. */
        st =
            fh__store_stmt_lit(w, "SELECT obs FROM cons_sources WHERE report = ?1 AND org_id = ?2");
        if (st == NULL)
            return FH_ERR_DB;
        fh__store_bind_text(st, 1, id);
        fh__store_bind_text(st, 2, org);
        int64_t ns[64];
        size_t k = 0;
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW && k < FH_ARRAY_LEN(ns))
            ns[k++] = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        if (r != SQLITE_DONE && r != SQLITE_ROW)
            return fh__store_dberr(w, "indicator lookup");
        for (size_t i = 0; i < k; i++) {
            st = fh__store_stmt_lit(
                w, "DELETE FROM cons_reports WHERE obs = ?1 AND org_id = ?2 AND report = ?3");
            if (st == NULL)
                return FH_ERR_DB;
            sqlite3_bind_int64(st, 1, ns[i]);
            fh__store_bind_text(st, 2, org);
            fh__store_bind_text(st, 3, id);
            rc = fh__store_step_done(w, st, "withdrawing reports");
            if (rc == FH_OK)
                rc = touch_value(w, t, ns[i]);
            if (rc)
                return rc;
        }
        st = fh__store_stmt_lit(w, "DELETE FROM cons_sources WHERE report = ?1 AND org_id = ?2");
        if (st == NULL)
            return FH_ERR_DB;
        fh__store_bind_text(st, 1, id);
        fh__store_bind_text(st, 2, org);
        return fh__store_step_done(w, st, "withdrawing an indicator");
    }
    const char *pattern = fh_json_str(o, "pattern");
    const char *ptype = fh_json_str(o, "pattern_type");
    if (pattern == NULL || ptype == NULL || strcmp(ptype, "stix") != 0)
        return FH_OK;
    fh_pattern_observables obs;
    fh_pattern_observables_init(&obs);
    if (fh_pattern_compile_text(pattern, &obs, NULL) != FH_OK) {
        fh_pattern_observables_cleanup(&obs);
        return FH_OK;
    }
    int64_t at = report_time(o, "modified", now);
    rc = FH_OK;
    for (size_t k = 0; k < obs.count && rc == FH_OK; k++) {
        const fh_pattern_observable *ob = &obs.items[k];
        if (!claims_value(ob))
            continue;
        char *key = ob->kind == FH_PATTERN_OBS_HASH
                        ? fh_xasprintf("%s:%s", fh_pattern_hash_alg_name(ob->hash_alg), ob->value)
                        : fh_xstrdup(ob->value);
        int64_t n = 0;
        rc = value_row(w, (int)ob->kind, key, &n);
        free(key);
        if (rc == FH_OK)
            rc = add_report(w, n, org, at, id);
        if (rc == FH_OK)
            rc = add_source(w, id, org, n);
        if (rc == FH_OK)
            rc = touch_value(w, t, n);
    }
    fh_pattern_observables_cleanup(&obs);
    return rc;
}

static fh_err ingest_sighting(struct fh__store_conn *w, const json_t *o, const char *org,
                              int64_t now, struct touched *t)
{
    const char *id = fh_json_str(o, "id");
    const char *of = fh_json_str(o, "sighting_of_ref");
    if (of == NULL || strncmp(of, "indicator--", 11) != 0)
        return FH_OK;
    int64_t at = report_time(o, "last_seen", now);
    /* The values the indicator named, if it fed consensus itself. */
    sqlite3_stmt *st =
        fh__store_stmt_lit(w, "SELECT DISTINCT obs FROM cons_sources WHERE report = ?1");
    if (st == NULL)
        return FH_ERR_DB;
    fh__store_bind_text(st, 1, of);
    int64_t ns[64];
    size_t k = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW && k < FH_ARRAY_LEN(ns))
        ns[k++] = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (r != SQLITE_DONE && r != SQLITE_ROW)
        return fh__store_dberr(w, "sighting lookup");
    fh_err rc = FH_OK;
    for (size_t i = 0; i < k && rc == FH_OK; i++) {
        rc = add_report(w, ns[i], org, at, id);
        if (rc == FH_OK)
            rc = add_source(w, id, org, ns[i]);
        if (rc == FH_OK)
            rc = touch_value(w, t, ns[i]);
    }
    return rc;
}

/* Records org's opinion on report, once per organization that submitted
 * the report (the latest opinion of an organization on a report replaces
 * its earlier one), and marks the values those reporters contributed to. */
static fh_err record_opinion(struct fh__store_conn *w, const char *report, const char *org,
                             int agree, int disagree)
{
    sqlite3_stmt *st = fh__store_stmt_lit(
        w, "INSERT OR REPLACE INTO cons_opinions(report, opinion_org, reported_org, agree, "
           "disagree) SELECT DISTINCT ?1, ?2, org_id, ?3, ?4 FROM cons_sources WHERE report = "
           "?1");
    if (st == NULL)
        return FH_ERR_DB;
    fh__store_bind_text(st, 1, report);
    fh__store_bind_text(st, 2, org);
    sqlite3_bind_int(st, 3, agree);
    sqlite3_bind_int(st, 4, disagree);
    fh_err rc = fh__store_step_done(w, st, "recording an opinion");
    if (rc)
        return rc;
    st = fh__store_stmt_lit(w, "INSERT INTO cons_dirty_orgs(org_id, after) SELECT DISTINCT "
                               "org_id, 0 FROM cons_sources WHERE report = ?1 AND org_id <> ?2 "
                               "ON CONFLICT(org_id) DO UPDATE SET after = 0");
    if (st == NULL)
        return FH_ERR_DB;
    fh__store_bind_text(st, 1, report);
    fh__store_bind_text(st, 2, org);
    return fh__store_step_done(w, st, "marking organizations for scoring");
}

/* Opinion references one POST may record at most; the rest are skipped
 * with a warning (each one is a write under the store's lock). */
#define OPINION_REFS_PER_POST 10000

static fh_err ingest_opinion(struct fh__store_conn *w, const json_t *o, const char *org,
                             size_t *budget)
{
    const char *op = fh_json_str(o, "opinion");
    int agree = 0, disagree = 0;
    if (op == NULL)
        return FH_OK;
    if (strcmp(op, "strongly-disagree") == 0)
        disagree = 2;
    else if (strcmp(op, "disagree") == 0)
        disagree = 1;
    else if (strcmp(op, "agree") == 0)
        agree = 1;
    else if (strcmp(op, "strongly-agree") == 0)
        agree = 2;
    size_t i;
    json_t *ref;
    fh_err rc = FH_OK;
    json_array_foreach(json_object_get(o, "object_refs"), i, ref)
    {
        const char *id = json_string_value(ref);
        if (rc)
            break;
        if (*budget == 0) {
            fh_warn("consensus",
                    "%s: more than %d opinion references in one POST; the rest "
                    "are not counted",
                    fh_json_str(o, "id"), OPINION_REFS_PER_POST);
            break;
        }
        (*budget)--;
        if (id == NULL)
            continue;
        /* An opinion on a consensus indicator is an opinion on each
         * contributor's latest report of that value. */
        sqlite3_stmt *st = fh__store_stmt_lit(
            w, "SELECT r.report FROM cons_obs c JOIN cons_reports r ON r.obs = c.n "
               "WHERE c.indicator = ?1");
        if (st == NULL)
            return FH_ERR_DB;
        fh__store_bind_text(st, 1, id);
        json_t *reports = json_array();
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW)
            json_array_append_new(reports, json_string((const char *)sqlite3_column_text(st, 0)));
        sqlite3_reset(st);
        if (r != SQLITE_DONE)
            rc = fh__store_dberr(w, "consensus lookup");
        if (json_array_size(reports) == 0)
            json_array_append_new(reports, json_string(id));
        size_t k;
        json_t *rep;
        json_array_foreach(reports, k, rep)
        {
            if (rc == FH_OK)
                rc = record_opinion(w, json_string_value(rep), org, agree, disagree);
        }
        json_decref(reports);
    }
    return rc;
}

/* Scores again up to limit values: published ones whose valid_until has
 * come (expired), or those marked dirty. *more (may be NULL) says whether
 * others were left. */
static fh_err evaluate_dirty(struct fh__store_conn *w, struct pubctx *ctx, bool expired,
                             size_t limit, bool *more)
{
    sqlite3_stmt *st = fh__store_stmt_lit(
        w, expired ? "SELECT n FROM cons_obs WHERE state = 1 AND valid_until <= ?1 LIMIT ?2"
                   : "SELECT n FROM cons_obs WHERE dirty = 1 AND ?1 IS NOT NULL LIMIT ?2");
    if (st == NULL)
        return FH_ERR_DB;
    sqlite3_bind_int64(st, 1, ctx->now);
    sqlite3_bind_int64(st, 2, (int64_t)limit + 1);
    struct touched t = {0};
    int r;
    bool left = false;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (t.n == limit) {
            left = true;
            break;
        }
        if (t.n == t.cap) {
            t.cap = t.cap ? t.cap * 2 : 64;
            t.v = fh_xrealloc(t.v, t.cap * sizeof *t.v);
        }
        t.v[t.n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    fh_err rc = r == SQLITE_DONE || r == SQLITE_ROW ? FH_OK : fh__store_dberr(w, "check");
    for (size_t i = 0; i < t.n && rc == FH_OK; i++)
        rc = evaluate(w, ctx, t.v[i]);
    free(t.v);
    if (more)
        *more = left;
    return rc;
}

/* Scores again, for the organizations marked by trust changes, up to limit
 * of their values, walking each organization's values in order from where
 * the last batch stopped. *more says whether any are left. */
static fh_err evaluate_dirty_orgs(struct fh__store_conn *w, struct pubctx *ctx, size_t limit,
                                  bool *more)
{
    fh_err rc = FH_OK;
    size_t done = 0;
    *more = false;
    while (rc == FH_OK && done < limit) {
        sqlite3_stmt *st =
            fh__store_stmt_lit(w, "SELECT org_id, after FROM cons_dirty_orgs LIMIT 1");
        if (st == NULL)
            return FH_ERR_DB;
        int r = sqlite3_step(st);
        char org[FH_STORE_ID_STRLEN] = "";
        int64_t after = 0;
        if (r == SQLITE_ROW) {
            snprintf(org, sizeof org, "%s", (const char *)sqlite3_column_text(st, 0));
            after = sqlite3_column_int64(st, 1);
        }
        sqlite3_reset(st);
        if (r == SQLITE_DONE)
            return FH_OK;
        if (r != SQLITE_ROW)
            return fh__store_dberr(w, "dirty organizations");
        st = fh__store_stmt_lit(w, "SELECT obs FROM cons_reports WHERE org_id = ?1 AND obs > ?2 "
                                   "ORDER BY obs LIMIT ?3");
        if (st == NULL)
            return FH_ERR_DB;
        fh__store_bind_text(st, 1, org);
        sqlite3_bind_int64(st, 2, after);
        sqlite3_bind_int64(st, 3, (int64_t)(limit - done));
        struct touched t = {0};
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
            if (t.n == t.cap) {
                t.cap = t.cap ? t.cap * 2 : 64;
                t.v = fh_xrealloc(t.v, t.cap * sizeof *t.v);
            }
            t.v[t.n++] = sqlite3_column_int64(st, 0);
        }
        sqlite3_reset(st);
        if (r != SQLITE_DONE)
            rc = fh__store_dberr(w, "an organization's values");
        for (size_t i = 0; i < t.n && rc == FH_OK; i++)
            rc = evaluate(w, ctx, t.v[i]);
        bool finished = t.n < limit - done;
        done += t.n;
        if (rc == FH_OK) {
            st = fh__store_stmt_lit(w, finished ? "DELETE FROM cons_dirty_orgs WHERE org_id = ?1 "
                                                  "AND ?2 IS NOT NULL"
                                                : "UPDATE cons_dirty_orgs SET after = ?2 WHERE "
                                                  "org_id = ?1");
            if (st == NULL) {
                rc = FH_ERR_DB;
            } else {
                fh__store_bind_text(st, 1, org);
                sqlite3_bind_int64(st, 2, t.n ? t.v[t.n - 1] : after);
                rc = fh__store_step_done(w, st, "recording progress");
            }
        }
        free(t.v);
        if (!finished)
            *more = true;
    }
    if (rc == FH_OK && done >= limit)
        *more = true;
    return rc;
}

static bool feeds_consensus(const char *type)
{
    return type && (strcmp(type, "indicator") == 0 || strcmp(type, "sighting") == 0 ||
                    strcmp(type, "opinion") == 0);
}

fh_err fh__store_consensus_record(fh_store *s, const char *collection, const char *org_id,
                                  const fh_store_put_item *items, size_t n)
{
    bool any = false;
    for (size_t i = 0; i < n && !any; i++)
        any = items[i].object && feeds_consensus(fh_json_str(items[i].object, "type"));
    if (!any || s->consensus == NULL)
        return FH_OK;
    struct fh__store_conn *w = &s->writer;
    struct pubctx ctx = {
        .cfg = s->consensus, .community = fh__store_community_id(s), .now = fh__store_now_us()};
    struct touched t = {0};
    size_t budget = OPINION_REFS_PER_POST;
    char cons_id[FH_STORE_ID_STRLEN];
    int64_t coll = 0;
    fh_err rc = ensure_collection(w, cons_id, &ctx.coll, false);
    if (rc == FH_OK)
        rc = fh__store_collection_n(w, collection, &coll);
    if (rc == FH_OK && coll == ctx.coll)
        goto done; /* the hub's own indicators are not reports */
    /* Indicators first, so sightings of indicators in the same POST count. */
    for (int pass = 0; pass < 3 && rc == FH_OK; pass++) {
        static const char *const types[] = {"indicator", "sighting", "opinion"};
        for (size_t i = 0; i < n && rc == FH_OK; i++) {
            const json_t *o = items[i].message ? NULL : items[i].object;
            const char *type = o ? fh_json_str(o, "type") : NULL;
            if (type == NULL || strcmp(type, types[pass]) != 0)
                continue;
            int tlp = -1;
            rc = stored_tlp(w, coll, o, org_id, &tlp);
            if (rc || tlp < 0)
                continue;
            if (pass == 2) {
                if (budget)
                    rc = ingest_opinion(w, o, org_id, &budget);
                continue;
            }
            /* docs/SHARING.md: only CLEAR and GREEN feed consensus. A
             * revocation counts whatever its marking: withdrawing is safe. */
            bool withdraw = pass == 0 && withdrawn(o, ctx.now);
            if (tlp > FH_TLP_GREEN && !withdraw)
                continue;
            rc = pass == 0 ? ingest_indicator(w, o, org_id, ctx.now, &t)
                           : ingest_sighting(w, o, org_id, ctx.now, &t);
        }
    }
    for (size_t i = 0; i < t.n && rc == FH_OK; i++)
        rc = evaluate(w, &ctx, t.v[i]);
    /* Values marked by this POST (beyond its scoring limit) or by the
     * opinions it holds: a few now, the rest by the periodic check. */
    bool more = false;
    if (rc == FH_OK)
        rc = evaluate_dirty(w, &ctx, false, INGEST_BATCH, NULL);
    if (rc == FH_OK)
        rc = evaluate_dirty_orgs(w, &ctx, INGEST_BATCH, &more);
done:
    free(t.v);
    free(ctx.trust.v);
    return rc;
}

fh_err fh_store_consensus_check(fh_store *s, size_t *published, bool *more)
{
    if (published)
        *published = 0;
    if (more)
        *more = false;
    if (s->consensus == NULL)
        return FH_ERR_USAGE;
    fh_err rc = fh__store_begin(s);
    if (rc)
        return rc;
    struct fh__store_conn *w = &s->writer;
    struct pubctx ctx = {
        .cfg = s->consensus, .community = fh__store_community_id(s), .now = fh__store_now_us()};
    char cons_id[FH_STORE_ID_STRLEN];
    rc = ensure_collection(w, cons_id, &ctx.coll, true);
    bool more_expired = false, more_dirty = false, more_orgs = false;
    if (rc == FH_OK)
        rc = evaluate_dirty(w, &ctx, true, CHECK_BATCH, &more_expired);
    if (rc == FH_OK)
        rc = evaluate_dirty(w, &ctx, false, CHECK_BATCH, &more_dirty);
    if (rc == FH_OK)
        rc = evaluate_dirty_orgs(w, &ctx, CHECK_BATCH, &more_orgs);
    free(ctx.trust.v);
    rc = fh__store_end(s, rc);
    if (rc == FH_OK && published)
        *published = ctx.published;
    if (rc == FH_OK && more)
        *more = more_expired || more_dirty || more_orgs;
    return rc;
}

/* The configuration the hub last enabled consensus with (defaults when it
 * never did). */
static void saved_config(struct fh__store_conn *c, fh_consensus_config *cfg)
{
    fh_consensus_config_init(cfg);
    sqlite3_stmt *st =
        fh__store_stmt_lit(c, "SELECT value FROM meta WHERE key = 'consensus_config'");
    if (st == NULL)
        return;
    json_t *j = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        j = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
    sqlite3_reset(st);
    static const char *const keys[] = {"address", "domain", "url", "hash"};
    for (int k = 0; k < FH_CONSENSUS__KINDS; k++) {
        double v = json_number_value(json_object_get(j, keys[k]));
        if (v > 0)
            cfg->half_life_s[k] = v;
    }
    double t = json_number_value(json_object_get(j, "threshold"));
    if (t > 0)
        cfg->threshold = t;
    json_decref(j);
}

fh_err fh_store_consensus_list(fh_store *s, const fh_consensus_config *cfg, json_t **out)
{
    struct fh__store_conn *c = fh__store_reader(s);
    fh_consensus_config saved;
    if (cfg == NULL) {
        saved_config(c, &saved);
        cfg = &saved;
    }
    int64_t now = fh__store_now_us();
    sqlite3_stmt *st = fh__store_stmt_lit(
        c, "SELECT n, kind, value, indicator, state, valid_until FROM cons_obs ORDER BY n");
    fh_err rc = st ? FH_OK : FH_ERR_DB;
    json_t *arr = json_array();
    json_t *ns = json_array();
    int r = SQLITE_DONE;
    while (rc == FH_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
        int kind = sqlite3_column_int(st, 1);
        int state = sqlite3_column_int(st, 4);
        char until[32] = "";
        if (state == STATE_PUBLISHED)
            fh_store_format_us(sqlite3_column_int64(st, 5), until);
        json_array_append_new(
            arr, json_pack("{s:s,s:s,s:s?,s:s,s:o}", "kind",
                           fh_pattern_obs_kind_name((fh_pattern_obs_kind)kind), "value",
                           (const char *)sqlite3_column_text(st, 2), "indicator",
                           (const char *)sqlite3_column_text(st, 3), "state",
                           state_names[state >= 0 && state <= 2 ? state : 0], "valid_until",
                           until[0] ? json_string(until) : json_null()));
        json_array_append_new(ns,
                              json_pack("[I,i]", (json_int_t)sqlite3_column_int64(st, 0), kind));
    }
    if (st)
        sqlite3_reset(st);
    if (rc == FH_OK && r != SQLITE_DONE)
        rc = fh__store_dberr(c, "listing values");
    struct trust_cache tc = {0};
    size_t i;
    json_t *pair;
    json_array_foreach(ns, i, pair)
    {
        if (rc)
            break;
        st = fh__store_stmt_lit(c, "SELECT r.org_id, r.at, o.trust FROM cons_reports r JOIN orgs "
                                   "o ON o.id = r.org_id WHERE r.obs = ?1");
        if (st == NULL) {
            rc = FH_ERR_DB;
            break;
        }
        sqlite3_bind_int64(st, 1, json_integer_value(json_array_get(pair, 0)));
        json_t *rows = json_array();
        while ((r = sqlite3_step(st)) == SQLITE_ROW)
            json_array_append_new(rows,
                                  json_pack("[s,I,i]", (const char *)sqlite3_column_text(st, 0),
                                            (json_int_t)sqlite3_column_int64(st, 1),
                                            sqlite3_column_int(st, 2)));
        sqlite3_reset(st);
        double score = 0;
        size_t k;
        json_t *row;
        json_array_foreach(rows, k, row)
        {
            double tr = 0;
            if (rc == FH_OK)
                rc = trust_of(c, cfg, &tc, json_string_value(json_array_get(row, 0)),
                              (int)json_integer_value(json_array_get(row, 2)), &tr);
            fh_consensus_report rep = {.trust = tr,
                                       .at_us = json_integer_value(json_array_get(row, 1))};
            int kind = (int)json_integer_value(json_array_get(pair, 1));
            score += fh_consensus_score(&rep, 1, now,
                                        cfg->half_life_s[kind_of((fh_pattern_obs_kind)kind)]);
        }
        json_t *o = json_array_get(arr, i);
        json_object_set_new(o, "score", json_real(score));
        json_object_set_new(o, "organizations", json_integer((json_int_t)json_array_size(rows)));
        json_decref(rows);
    }
    free(tc.v);
    json_decref(ns);
    fh__store_reader_done(s, c);
    if (rc) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return FH_OK;
}

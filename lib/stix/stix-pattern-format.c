/*
 * The normalized printer of STIX patterns: one canonical text per tree, so
 * that two patterns that differ only in spacing, keyword placement of
 * parentheses, quoting of keys or spelling of constants print the same.
 *
 * The rule it keeps: parsing what it prints gives a tree that prints
 * identically (tests/unit/test-pattern.c and the fuzz target check this).
 * It is not a pretty-printer: everything goes on one line (a string
 * constant keeps its characters, line feeds included: the spec has no escape
 * for them).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/stix-pattern-int.h"

static fh_err put(fh_buf *b, const char *s)
{
    return fh_buf_append_str(b, s);
}

/* A quoted string with ' and \ escaped; everything else as it is. */
static fh_err put_quoted(fh_buf *b, const char *s, size_t n)
{
    fh_err rc = fh_buf_append_char(b, '\'');
    size_t run = 0;
    for (size_t i = 0; rc == FH_OK && i < n; i++) {
        if (s[i] != '\'' && s[i] != '\\')
            continue;
        rc = fh_buf_append(b, s + run, i - run);
        if (rc == FH_OK)
            rc = fh_buf_append_char(b, '\\');
        run = i;
    }
    if (rc == FH_OK)
        rc = fh_buf_append(b, s + run, n - run);
    if (rc == FH_OK)
        rc = fh_buf_append_char(b, '\'');
    return rc;
}

/* The shortest text that reads back as the same double, always with a
 * decimal point (other STIX tools want one): plain decimal notation for
 * magnitudes from 1e-6 to 1e21, otherwise d.ddde+NN. */
static fh_err put_float(fh_buf *b, double v)
{
    char buf[400];
    double mag = fabs(v);
    if (mag == 0 || (mag >= 1e-6 && mag < 1e21)) {
        for (int prec = 0; prec <= 30; prec++) {
            snprintf(buf, sizeof buf, "%.*f", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
        if (strchr(buf, '.') == NULL) {
            size_t n = strlen(buf);
            snprintf(buf + n, sizeof buf - n, ".0");
        }
    } else {
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*e", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
    }
    return put(b, buf);
}

static fh_err put_const(fh_buf *b, const fh__pconst *c)
{
    char tbuf[FH_TIME_STRLEN];
    fh_err rc;
    switch (c->kind) {
    case FH__PC_STRING:
        return put_quoted(b, c->str, c->str_len);
    case FH__PC_INT:
        return fh_buf_appendf(b, "%" PRId64, c->i);
    case FH__PC_FLOAT:
        return put_float(b, c->f);
    case FH__PC_BOOL:
        return put(b, c->b ? "true" : "false");
    case FH__PC_HEX:
    case FH__PC_BINARY:
        rc = put(b, c->kind == FH__PC_HEX ? "h'" : "b'");
        if (rc == FH_OK)
            rc = fh_buf_append(b, c->str, c->str_len);
        if (rc == FH_OK)
            rc = fh_buf_append_char(b, '\'');
        return rc;
    case FH__PC_TIMESTAMP:
        fh_time_format(&c->t, tbuf, sizeof tbuf);
        return fh_buf_appendf(b, "t'%s'", tbuf);
    }
    return FH_ERR_INTERNAL;
}

static bool plain_key(const char *k)
{
    if (!((k[0] >= 'a' && k[0] <= 'z') || (k[0] >= 'A' && k[0] <= 'Z') || k[0] == '_'))
        return false;
    for (const char *s = k; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

fh_err fh__pattern_put_path(fh_buf *b, const fh__ppath *path)
{
    fh_err rc = fh_buf_appendf(b, "%s:", path->type);
    for (size_t i = 0; rc == FH_OK && i < path->nsteps; i++) {
        const fh__pstep *st = &path->steps[i];
        if (st->kind == FH__PSTEP_KEY) {
            if (i > 0)
                rc = fh_buf_append_char(b, '.');
            if (rc == FH_OK)
                rc = plain_key(st->key) ? put(b, st->key) : put_quoted(b, st->key, strlen(st->key));
        } else if (st->kind == FH__PSTEP_INDEX) {
            rc = fh_buf_appendf(b, "[%" PRId64 "]", st->index);
        } else {
            rc = put(b, "[*]");
        }
    }
    return rc;
}

static fh_err put_cmp(fh_buf *b, const fh__pnode *n);

static fh_err put_cmp_kid(fh_buf *b, const fh__pnode *parent, const fh__pnode *kid)
{
    /* AND binds tighter than OR: only an OR (or, defensively, a node of the
     * parent's own kind) inside an AND needs parentheses. */
    bool paren =
        kid->kind == parent->kind || (parent->kind == FH__PN_CMP_AND && kid->kind == FH__PN_CMP_OR);
    fh_err rc = paren ? fh_buf_append_char(b, '(') : FH_OK;
    if (rc == FH_OK)
        rc = put_cmp(b, kid);
    if (rc == FH_OK && paren)
        rc = fh_buf_append_char(b, ')');
    return rc;
}

static fh_err put_cmp(fh_buf *b, const fh__pnode *n)
{
    fh_err rc = FH_OK;
    if (n->kind == FH__PN_CMP_AND || n->kind == FH__PN_CMP_OR) {
        const char *sep = n->kind == FH__PN_CMP_AND ? " AND " : " OR ";
        for (size_t i = 0; rc == FH_OK && i < n->nkids; i++) {
            if (i > 0)
                rc = put(b, sep);
            if (rc == FH_OK)
                rc = put_cmp_kid(b, n, n->kids[i]);
        }
        return rc;
    }
    if (n->op == FH__POP_EXISTS) {
        rc = put(b, "EXISTS ");
        return rc ? rc : fh__pattern_put_path(b, &n->path);
    }
    rc = fh__pattern_put_path(b, &n->path);
    if (rc == FH_OK && n->negated)
        rc = put(b, " NOT");
    if (rc == FH_OK)
        rc = fh_buf_appendf(b, " %s ", fh__pattern_op_name(n->op));
    if (rc == FH_OK && n->op == FH__POP_IN)
        rc = fh_buf_append_char(b, '(');
    for (size_t i = 0; rc == FH_OK && i < n->nconsts; i++) {
        if (i > 0)
            rc = put(b, ", ");
        if (rc == FH_OK)
            rc = put_const(b, &n->consts[i]);
    }
    if (rc == FH_OK && n->op == FH__POP_IN)
        rc = fh_buf_append_char(b, ')');
    return rc;
}

static fh_err put_obs(fh_buf *b, const fh__pnode *n);

/* Observation operators from tightest to loosest: AND, OR, FOLLOWEDBY. */
static int obs_rank(fh__pnode_kind k)
{
    switch (k) {
    case FH__PN_OBS_AND:
        return 1;
    case FH__PN_OBS_OR:
        return 2;
    case FH__PN_FOLLOWEDBY:
        return 3;
    default:
        return 0;
    }
}

static fh_err put_obs_paren(fh_buf *b, const fh__pnode *n, bool paren)
{
    fh_err rc = paren ? fh_buf_append_char(b, '(') : FH_OK;
    if (rc == FH_OK)
        rc = put_obs(b, n);
    if (rc == FH_OK && paren)
        rc = fh_buf_append_char(b, ')');
    return rc;
}

static fh_err put_qual(fh_buf *b, const fh__pqual *q)
{
    char t1[FH_TIME_STRLEN], t2[FH_TIME_STRLEN];
    fh_err rc;
    switch (q->kind) {
    case FH__PQ_WITHIN:
        rc = put(b, " WITHIN ");
        if (rc == FH_OK)
            rc = put_const(b, &q->within);
        return rc ? rc : put(b, " SECONDS");
    case FH__PQ_REPEATS:
        return fh_buf_appendf(b, " REPEATS %" PRId64 " TIMES", q->repeats);
    case FH__PQ_STARTSTOP:
        fh_time_format(&q->start, t1, sizeof t1);
        fh_time_format(&q->stop, t2, sizeof t2);
        return fh_buf_appendf(b, " START t'%s' STOP t'%s'", t1, t2);
    }
    return FH_ERR_INTERNAL;
}

static fh_err put_obs(fh_buf *b, const fh__pnode *n)
{
    fh_err rc = FH_OK;
    switch (n->kind) {
    case FH__PN_OBS:
        rc = fh_buf_append_char(b, '[');
        if (rc == FH_OK)
            rc = put_cmp(b, n->kids[0]);
        return rc ? rc : fh_buf_append_char(b, ']');
    case FH__PN_QUALIFIED:
        rc = put_obs_paren(b, n->kids[0], n->kids[0]->kind != FH__PN_OBS);
        for (size_t i = 0; rc == FH_OK && i < n->nquals; i++)
            rc = put_qual(b, &n->quals[i]);
        return rc;
    case FH__PN_OBS_AND:
    case FH__PN_OBS_OR:
    case FH__PN_FOLLOWEDBY: {
        const char *sep = n->kind == FH__PN_OBS_AND  ? " AND "
                          : n->kind == FH__PN_OBS_OR ? " OR "
                                                     : " FOLLOWEDBY ";
        int rank = obs_rank(n->kind);
        for (size_t i = 0; rc == FH_OK && i < n->nkids; i++) {
            const fh__pnode *kid = n->kids[i];
            int kr = obs_rank(kid->kind);
            /* Looser operands need parentheses; so does an operand of the
             * same operator after the first (the chain is left-associative). */
            bool paren = kr > rank || (kr == rank && i > 0);
            if (i > 0)
                rc = put(b, sep);
            if (rc == FH_OK)
                rc = put_obs_paren(b, kid, paren);
        }
        return rc;
    }
    default:
        return put_cmp(b, n);
    }
}

fh_err fh_pattern_format(const fh_pattern *p, fh_buf *out)
{
    if (p == NULL || p->root == NULL)
        return FH_ERR_USAGE;
    return put_obs(out, p->root);
}

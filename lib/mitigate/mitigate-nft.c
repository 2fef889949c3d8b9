/*
 * nftables through libnftables: the table, its sets and chains, and batched
 * set updates. Commands are written in nft's own language and run as one
 * transaction each, which is what the kernel applies atomically.
 */
#include <arpa/inet.h>
#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fenghuo/mitigate.h"

const char *const fh_block_default_allow[] = {
    /* Google, Cloudflare, Quad9, OpenDNS public resolvers */
    "8.8.8.8",
    "8.8.4.4",
    "1.1.1.1",
    "1.0.0.1",
    "9.9.9.9",
    "149.112.112.112",
    "208.67.222.222",
    "208.67.220.220",
    "2001:4860:4860::8888",
    "2001:4860:4860::8844",
    "2606:4700:4700::1111",
    "2606:4700:4700::1001",
    "2620:fe::fe",
    /* this host */
    "127.0.0.0/8",
    "::1",
    NULL,
};

struct fh_nft {
    struct nft_ctx *ctx;
    char *table;
    bool dry_run;
    FILE *dry_out;
    fh_block *have; /* what the sets hold, as far as we put it there */
    size_t n_have;
};

fh_err fh_nft_new(const char *table, bool dry_run, FILE *dry_out, fh_nft **out, fh_buf *err)
{
    *out = NULL;
    for (const char *p = table; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-')) {
            fh_buf_appendf(err, "table name '%s': use a-z, 0-9, '_' and '-'", table);
            return FH_ERR_USAGE;
        }
    }
    if (*table == '\0' || strlen(table) > 64) {
        fh_buf_appendf(err, "table name must be 1 to 64 characters");
        return FH_ERR_USAGE;
    }
    fh_nft *n = fh_xcalloc(1, sizeof *n);
    n->table = fh_xstrdup(table);
    n->dry_run = dry_run;
    n->dry_out = dry_out ? dry_out : stdout;
    if (!dry_run) {
        n->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        if (n->ctx == NULL) {
            free(n->table);
            free(n);
            fh_buf_appendf(err, "libnftables: cannot create a context");
            return FH_ERR_INTERNAL;
        }
        nft_ctx_buffer_output(n->ctx);
        nft_ctx_buffer_error(n->ctx);
    }
    *out = n;
    return FH_OK;
}

void fh_nft_free(fh_nft *n)
{
    if (n == NULL)
        return;
    if (n->ctx)
        nft_ctx_free(n->ctx);
    free(n->have);
    free(n->table);
    free(n);
}

/* Runs one transaction (or prints it in a dry run). */
static fh_err run(fh_nft *n, const char *cmd, fh_buf *err)
{
    if (n->dry_run) {
        size_t len = strlen(cmd);
        fprintf(n->dry_out, "%s%s", cmd, len && cmd[len - 1] == '\n' ? "" : "\n");
        /* A dry run is read as it happens (often through a pipe). */
        fflush(n->dry_out);
        return FH_OK;
    }
    if (nft_run_cmd_from_buffer(n->ctx, cmd) != 0) {
        const char *e = nft_ctx_get_error_buffer(n->ctx);
        fh_buf_appendf(err, "nftables refused the transaction: %s", e && *e ? e : "(no message)");
        return geteuid() == 0 ? FH_ERR_INVALID : FH_ERR_PERM;
    }
    return FH_OK;
}

fh_err fh_nft_setup(fh_nft *n, fh_buf *err)
{
    const char *t = n->table;
    fh_buf cmd;
    fh_buf_init(&cmd, 1 << 16);
    fh_buf_appendf(&cmd,
                   "add table inet %s\n"
                   "add set inet %s addr4 { type ipv4_addr; flags timeout; }\n"
                   "add set inet %s addr6 { type ipv6_addr; flags timeout; }\n"
                   "add set inet %s net4 { type ipv4_addr; flags interval, timeout; }\n"
                   "add set inet %s net6 { type ipv6_addr; flags interval, timeout; }\n"
                   "flush set inet %s addr4\n"
                   "flush set inet %s addr6\n"
                   "flush set inet %s net4\n"
                   "flush set inet %s net6\n",
                   t, t, t, t, t, t, t, t, t);
    static const struct {
        const char *chain, *hook;
        bool src, dst;
    } chains[] = {{"input", "input", true, false},
                  {"forward", "forward", true, true},
                  {"output", "output", false, true}};
    for (size_t i = 0; i < FH_ARRAY_LEN(chains); i++) {
        fh_buf_appendf(&cmd,
                       "add chain inet %s %s { type filter hook %s priority -10; policy accept; }\n"
                       "flush chain inet %s %s\n",
                       t, chains[i].chain, chains[i].hook, t, chains[i].chain);
        if (chains[i].src)
            fh_buf_appendf(&cmd,
                           "add rule inet %s %s ip saddr @addr4 counter drop\n"
                           "add rule inet %s %s ip6 saddr @addr6 counter drop\n"
                           "add rule inet %s %s ip saddr @net4 counter drop\n"
                           "add rule inet %s %s ip6 saddr @net6 counter drop\n",
                           t, chains[i].chain, t, chains[i].chain, t, chains[i].chain, t,
                           chains[i].chain);
        if (chains[i].dst)
            fh_buf_appendf(&cmd,
                           "add rule inet %s %s ip daddr @addr4 counter drop\n"
                           "add rule inet %s %s ip6 daddr @addr6 counter drop\n"
                           "add rule inet %s %s ip daddr @net4 counter drop\n"
                           "add rule inet %s %s ip6 daddr @net6 counter drop\n",
                           t, chains[i].chain, t, chains[i].chain, t, chains[i].chain, t,
                           chains[i].chain);
    }
    fh_err rc = run(n, cmd.data, err);
    fh_buf_cleanup(&cmd);
    free(n->have);
    n->have = NULL;
    n->n_have = 0;
    return rc;
}

fh_err fh_nft_teardown(fh_nft *n, fh_buf *err)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "delete table inet %s\n", n->table);
    return run(n, cmd, err);
}

void fh_block_format(const fh_block *b, char out[50])
{
    char a[INET6_ADDRSTRLEN];
    inet_ntop(b->family == 6 ? AF_INET6 : AF_INET, b->addr, a, sizeof a);
    unsigned full = b->family == 6 ? 128 : 32;
    if (b->plen == full)
        snprintf(out, 50, "%s", a);
    else
        snprintf(out, 50, "%s/%u", a, b->plen);
}

/* Does prefix a contain prefix b? */
static bool contains(const fh_block *a, const fh_block *b)
{
    if (a->family != b->family || a->plen > b->plen)
        return false;
    unsigned bits = a->plen;
    for (unsigned i = 0; i < 16 && bits; i++) {
        unsigned k = bits >= 8 ? 8 : bits;
        uint8_t mask = (uint8_t)(0xff00u >> k);
        if ((a->addr[i] & mask) != (b->addr[i] & mask))
            return false;
        bits -= k;
    }
    return true;
}

bool fh_block_overlaps(const fh_block *a, const fh_block *b)
{
    return contains(a, b) || contains(b, a);
}

static int cmp_block(const void *x, const void *y)
{
    const fh_block *a = x, *b = y;
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    int c = memcmp(a->addr, b->addr, 16);
    if (c)
        return c;
    return a->plen < b->plen ? -1 : a->plen > b->plen;
}

fh_block *fh_block_normalize(const fh_block *in, size_t n, int64_t now, size_t *out_n,
                             size_t *covered)
{
    fh_block *v = fh_xmalloc((n ? n : 1) * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i].expires && in[i].expires <= now)
            continue;
        v[k] = in[i];
        /* clear host bits so equal prefixes compare equal */
        fh_block *b = &v[k];
        unsigned bits = b->plen;
        for (unsigned j = 0; j < 16; j++) {
            unsigned keep = bits >= 8 ? 8 : bits;
            b->addr[j] &= (uint8_t)(0xff00u >> keep);
            bits -= keep;
        }
        k++;
    }
    qsort(v, k, sizeof *v, cmp_block);
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        /* Sorted by address then length, a container comes before what it
         * contains; compare with the last kept entry. */
        if (m && contains(&v[m - 1], &v[i])) {
            if (v[m - 1].expires && (v[i].expires == 0 || v[i].expires > v[m - 1].expires))
                v[m - 1].expires = v[i].expires;
            (*covered)++;
            continue;
        }
        v[m++] = v[i];
    }
    *out_n = m;
    return v;
}

enum change { CHANGE_DELETE, CHANGE_ADD, CHANGE_REPLACE };

/* Appends "delete|add element inet T SET { e1 [timeout Ns], e2 ... }\n". */
static void element_cmd(fh_buf *cmd, const fh_nft *n, const char *set, bool add,
                        fh_block *const *items, size_t count, int64_t now)
{
    fh_buf_appendf(cmd, "%s element inet %s %s { ", add ? "add" : "delete", n->table, set);
    for (size_t i = 0; i < count; i++) {
        char text[50];
        fh_block_format(items[i], text);
        fh_buf_appendf(cmd, "%s%s", i ? ", " : "", text);
        if (add && items[i]->expires)
            fh_buf_appendf(cmd, " timeout %llds",
                           (long long)(items[i]->expires - now > 0 ? items[i]->expires - now : 1));
    }
    fh_buf_append_str(cmd, " }\n");
}

/* Applies a change to items in transactions of FH_NFT_BATCH elements. A
 * replacement (the same element with a later expiry) deletes and adds each
 * batch in one transaction, so the element is never missing from the set:
 * an element's timeout cannot be changed in place on every kernel. */
static fh_err apply(fh_nft *n, enum change change, fh_block *const *items, size_t count,
                    int64_t now, size_t *transactions, fh_buf *err)
{
    fh_err rc = FH_OK;
    /* Single addresses go to a hash set (updates are cheap); prefixes to an
     * interval set, whose updates libnftables computes over the whole set. */
    static const struct {
        int fam;
        bool host;
        const char *set;
    } sets[] = {{4, true, "addr4"}, {6, true, "addr6"}, {4, false, "net4"}, {6, false, "net6"}};
    fh_block **batch = fh_xmalloc(FH_NFT_BATCH * sizeof *batch);
    fh_buf cmd;
    fh_buf_init(&cmd, 0);
    for (size_t si = 0; si < FH_ARRAY_LEN(sets) && rc == FH_OK; si++) {
        int fam = sets[si].fam;
        size_t in_batch = 0;
        for (size_t i = 0; i <= count && rc == FH_OK; i++) {
            if (i < count && items[i]->family == fam &&
                (items[i]->plen == (fam == 4 ? 32 : 128)) == sets[si].host)
                batch[in_batch++] = items[i];
            if (in_batch && (i == count || in_batch == FH_NFT_BATCH)) {
                fh_buf_reset(&cmd);
                if (change != CHANGE_ADD)
                    element_cmd(&cmd, n, sets[si].set, false, batch, in_batch, now);
                if (change != CHANGE_DELETE)
                    element_cmd(&cmd, n, sets[si].set, true, batch, in_batch, now);
                rc = run(n, cmd.data, err);
                (*transactions)++;
                in_batch = 0;
            }
        }
    }
    fh_buf_cleanup(&cmd);
    free(batch);
    return rc;
}

fh_err fh_nft_sync(fh_nft *n, const fh_block *want, size_t count, int64_t now, fh_nft_stats *st,
                   fh_buf *err)
{
    memset(st, 0, sizeof *st);
    size_t m = 0;
    fh_block *next = fh_block_normalize(want, count, now, &m, &st->covered);
    /* What we put there and has expired is gone from the kernel already. */
    size_t h = 0;
    for (size_t i = 0; i < n->n_have; i++)
        if (n->have[i].expires == 0 || n->have[i].expires > now)
            n->have[h++] = n->have[i];
    n->n_have = h;
    /* Both lists are sorted the same way: walk them together. */
    fh_block **adds = fh_xmalloc((m ? m : 1) * sizeof *adds);
    fh_block **dels = fh_xmalloc((h ? h : 1) * sizeof *dels);
    fh_block **reps = fh_xmalloc((m ? m : 1) * sizeof *reps);
    size_t na = 0, nd = 0, nr = 0, i = 0, j = 0;
    while (i < m || j < h) {
        int c = i == m ? 1 : j == h ? -1 : cmp_block(&next[i], &n->have[j]);
        if (c < 0) {
            adds[na++] = &next[i++];
        } else if (c > 0) {
            dels[nd++] = &n->have[j++];
        } else {
            /* Same prefix: a later (or no) expiry needs the element again. */
            bool longer = (next[i].expires == 0) != (n->have[j].expires == 0) ||
                          next[i].expires > n->have[j].expires;
            if (longer) {
                reps[nr++] = &next[i];
            } else {
                st->unchanged++;
            }
            i++, j++;
        }
    }
    fh_err rc = apply(n, CHANGE_DELETE, dels, nd, now, &st->transactions, err);
    if (rc == FH_OK)
        rc = apply(n, CHANGE_REPLACE, reps, nr, now, &st->transactions, err);
    if (rc == FH_OK)
        rc = apply(n, CHANGE_ADD, adds, na, now, &st->transactions, err);
    if (rc == FH_OK) {
        st->added = na;
        st->removed = nd;
        st->renewed = nr;
        free(n->have);
        n->have = next;
        n->n_have = m;
        next = NULL;
    }
    free(adds);
    free(dels);
    free(reps);
    free(next);
    return rc;
}

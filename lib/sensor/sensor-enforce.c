/*
 * `fenghuo sensor --enforce nft`: the sensor's own detections (scanners and
 * brute-forcers), and the addresses of the hub collections it enforces
 * (`--enforce-collection`, such as the community's consensus), are blocked
 * in nftables.
 *
 * Changing nftables needs CAP_NET_ADMIN, and the sensor gives up every
 * privilege before it decodes a packet. So, as OpenSSH and relayd separate
 * privileges, a small helper process is forked while the sensor is still
 * root, before any packet is read or any hub answer parsed. It keeps root
 * and reads two pipes:
 *
 * - detections, one line per request ("block ADDRESS SECONDS\n"), written
 *   by the detection thread without ever waiting (a full pipe is counted);
 * - the enforced collections' entries, written by the following thread
 *   after each change as a whole replacement: "begin\n", then one
 *   "net ADDRESS[/LENGTH] EXPIRES\n" per entry (EXPIRES in seconds since
 *   the epoch, 0 for an indicator without valid_until), then "commit\n".
 *   A replacement cut short is never committed.
 *
 * The helper checks every line strictly (the other end parses hostile
 * traffic and hub answers), applies the allowlist, and keeps the sets in
 * step with lib/mitigate's fh_nft_sync, as `fenghuo enforce` does: after a
 * change, and every 10 seconds. The STIX patterns are compiled on the
 * unprivileged side; the helper never sees JSON. It exits when both pipes
 * close.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fenghuo/mitigate.h"
#include "fenghuo/util.h"
#include "sensor/sensor-enforce.h"

#define MAX_BLOCKS   1000000
#define FEED_WAIT_MS 30000
#define LAST_EXPIRY  253402300799LL /* 9999-12-31T23:59:59Z */

struct fh__sensor_enforce {
    int fd;      /* detections: write end, non-blocking (the detection thread) */
    int feed_fd; /* enforced collections: write end, non-blocking (the following thread) */
    pid_t helper;
    uint64_t sent, dropped;
    pthread_mutex_t feed_lock; /* feed_fd and the feed counts */
    uint64_t feeds, feed_errors;
    size_t feed_entries, feed_skipped; /* of the last replacement sent */
};

/* ---- the helper (root) --------------------------------------------------- */

struct reader {
    int fd;
    bool open;
    bool overlong; /* the line being read is too long: it is ignored */
    size_t len;
    char line[256];
};

struct helper {
    const fh_block *allow;
    size_t n_allow;
    int64_t open_ttl;
    fh_block_list blocks;  /* detections, expiring at an absolute time */
    fh_block_list feed;    /* the enforced collections (expires 0: no valid_until) */
    fh_block_list pending; /* a replacement being received */
    bool receiving;
    size_t over; /* entries of the replacement beyond the limit */
    bool changed;
};

/* "block ADDRESS SECONDS": anything else is ignored. */
static void detection_line(struct helper *h, char *line)
{
    int64_t secs;
    char *sp = strncmp(line, "block ", 6) == 0 ? strchr(line + 6, ' ') : NULL;
    fh_block b;
    if (sp == NULL || !fh_block_parse(line + 6, (size_t)(sp - (line + 6)), &b) ||
        fh_parse_i64(sp + 1, 1, 30 * 86400, &secs) != FH_OK)
        return;
    if (fh_block_allowed(&b, h->allow, h->n_allow)) {
        *sp = '\0';
        fh_warn("enforce", "not blocking %s: it overlaps the allowlist", line + 6);
        return;
    }
    b.expires = (int64_t)time(NULL) + secs;
    size_t k = 0;
    fh_block *v = h->blocks.items;
    while (k < h->blocks.count &&
           !(v[k].family == b.family && v[k].plen == b.plen && memcmp(v[k].addr, b.addr, 16) == 0))
        k++;
    if (k < h->blocks.count)
        v[k].expires = b.expires > v[k].expires ? b.expires : v[k].expires;
    else if (h->blocks.count < MAX_BLOCKS)
        fh_block_list_push(&h->blocks, &b);
    h->changed = true;
}

/* "begin", "net ADDRESS[/LENGTH] EXPIRES", "commit": anything else, and
 * entries outside begin ... commit, are ignored. */
static void feed_line(struct helper *h, char *line)
{
    if (strcmp(line, "begin") == 0) {
        h->pending.count = 0;
        h->over = 0;
        h->receiving = true;
        return;
    }
    if (!h->receiving)
        return;
    if (strcmp(line, "commit") == 0) {
        size_t allowed = fh_block_list_remove_allowed(&h->pending, h->allow, h->n_allow, "enforce");
        fh_block_list t = h->feed;
        h->feed = h->pending;
        h->pending = t;
        h->pending.count = 0;
        h->receiving = false;
        h->changed = true;
        fh_info("enforce",
                "enforced collections: %zu addresses and prefixes to block, %zu "
                "allowlisted",
                h->feed.count, allowed);
        if (h->over)
            fh_warn("enforce", "enforced collections: %zu entries beyond the limit of %d left out",
                    h->over, FH__SENSOR_ENFORCE_MAX_FEED);
        return;
    }
    int64_t expires;
    char *sp = strncmp(line, "net ", 4) == 0 ? strchr(line + 4, ' ') : NULL;
    fh_block b;
    if (sp == NULL || !fh_block_parse(line + 4, (size_t)(sp - (line + 4)), &b) ||
        fh_parse_i64(sp + 1, 0, LAST_EXPIRY, &expires) != FH_OK)
        return;
    b.expires = expires;
    if (h->pending.count < FH__SENSOR_ENFORCE_MAX_FEED)
        fh_block_list_push(&h->pending, &b);
    else
        h->over++;
}

/* Reads what is there and hands each whole line to take. */
static void read_lines(struct reader *r, struct helper *h, void (*take)(struct helper *, char *))
{
    char buf[65536];
    ssize_t got = read(r->fd, buf, sizeof buf);
    if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
        r->open = false;
        return;
    }
    for (ssize_t i = 0; i < got; i++) {
        if (buf[i] != '\n') {
            if (r->len < sizeof r->line - 1)
                r->line[r->len++] = buf[i];
            else
                r->overlong = true;
            continue;
        }
        r->line[r->len] = '\0';
        if (!r->overlong)
            take(h, r->line);
        r->len = 0;
        r->overlong = false;
    }
}

/* The sets get the detections not yet expired and the enforced entries.
 * An entry without valid_until gets a timeout of open_ttl, renewed when
 * less than half of it is left (not at every sync, which would rewrite
 * every such element each time). */
static void sync_sets(fh_nft *nft, struct helper *h, fh_buf *err)
{
    int64_t now = (int64_t)time(NULL);
    size_t k = 0;
    for (size_t i = 0; i < h->blocks.count; i++)
        if (h->blocks.items[i].expires > now)
            h->blocks.items[k++] = h->blocks.items[i];
    h->blocks.count = k;
    int64_t half = h->open_ttl / 2 ? h->open_ttl / 2 : 1;
    int64_t open_until = now - now % half + h->open_ttl;
    size_t n = h->blocks.count + h->feed.count;
    fh_block *want = fh_xmalloc((n ? n : 1) * sizeof *want);
    if (h->blocks.count)
        memcpy(want, h->blocks.items, h->blocks.count * sizeof *want);
    for (size_t i = 0; i < h->feed.count; i++) {
        want[h->blocks.count + i] = h->feed.items[i];
        if (want[h->blocks.count + i].expires == 0)
            want[h->blocks.count + i].expires = open_until;
    }
    fh_nft_stats st;
    fh_buf_reset(err);
    if (fh_nft_sync(nft, want, n, now, &st, err) != FH_OK)
        fh_error("enforce", "%s", err->data);
    else if (st.added || st.removed)
        fh_info("enforce", "blocked: %zu added, %zu removed, %zu renewed (%zu transactions)",
                st.added, st.removed, st.renewed, st.transactions);
    free(want);
}

static void helper_loop(int req_fd, int feed_fd, const char *table, struct helper *h, bool dry_run)
{
    fh_buf err;
    fh_buf_init(&err, 1 << 16);
    fh_nft *nft = NULL;
    if (fh_nft_new(table, dry_run, stderr, &nft, &err) != FH_OK ||
        fh_nft_setup(nft, &err) != FH_OK) {
        fh_error("enforce", "%s", err.data ? err.data : "nftables set-up failed");
        _exit(1);
    }
    struct reader req = {.fd = req_fd, .open = true}, feed = {.fd = feed_fd, .open = true};
    time_t last_sync = 0;
    while (req.open || feed.open || h->changed) {
        struct pollfd p[2] = {{.fd = req.open ? req.fd : -1, .events = POLLIN},
                              {.fd = feed.open ? feed.fd : -1, .events = POLLIN}};
        int r = req.open || feed.open ? poll(p, 2, 1000) : 0;
        if (r > 0 && p[0].revents)
            read_lines(&req, h, detection_line);
        if (r > 0 && p[1].revents)
            read_lines(&feed, h, feed_line);
        time_t now = time(NULL);
        if (h->changed || now - last_sync >= 10) {
            sync_sets(nft, h, &err);
            h->changed = false;
            last_sync = now;
        }
    }
    fh_nft_free(nft);
    fh_buf_cleanup(&err);
}

fh_err fh__sensor_enforce_new(const char *table, const fh_block *allow, size_t n_allow,
                              bool dry_run, unsigned open_ttl_s, fh__sensor_enforce **out,
                              fh_buf *err)
{
    *out = NULL;
    /* Refuse early what the helper would refuse later. */
    fh_nft *probe = NULL;
    if (fh_nft_new(table, true, stderr, &probe, err) != FH_OK)
        return FH_ERR_USAGE;
    fh_nft_free(probe);
    int req[2], feed[2];
    if (pipe2(req, O_CLOEXEC) != 0) {
        fh_buf_appendf(err, "pipe: %s", strerror(errno));
        return FH_ERR_IO;
    }
    if (pipe2(feed, O_CLOEXEC) != 0) {
        fh_buf_appendf(err, "pipe: %s", strerror(errno));
        close(req[0]);
        close(req[1]);
        return FH_ERR_IO;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fh_buf_appendf(err, "fork: %s", strerror(errno));
        close(req[0]);
        close(req[1]);
        close(feed[0]);
        close(feed[1]);
        return FH_ERR_IO;
    }
    if (pid == 0) {
        /* Keep only the pipes' read ends (as 3 and 4, moved out of the way
         * first so neither overwrites the other) and the standard streams;
         * the helper writes to stderr only (stdout may carry the events). */
        int a = fcntl(req[0], F_DUPFD, 10), b = fcntl(feed[0], F_DUPFD, 10);
        if (a < 0 || b < 0 || dup2(a, 3) < 0 || dup2(b, 4) < 0)
            _exit(1);
        close_range(5, ~0U, 0);
        /* The helper ignores the signals meant for the sensor: it ends when
         * the sensor's ends of the pipes close. */
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        struct helper h = {.allow = allow, .n_allow = n_allow, .open_ttl = open_ttl_s};
        helper_loop(3, 4, table, &h, dry_run);
        _exit(0);
    }
    close(req[0]);
    close(feed[0]);
    fcntl(req[1], F_SETFL, fcntl(req[1], F_GETFL) | O_NONBLOCK);
    fcntl(feed[1], F_SETFL, fcntl(feed[1], F_GETFL) | O_NONBLOCK);
    fh__sensor_enforce *e = fh_xcalloc(1, sizeof *e);
    e->fd = req[1];
    e->feed_fd = feed[1];
    e->helper = pid;
    pthread_mutex_init(&e->feed_lock, NULL);
    *out = e;
    return FH_OK;
}

void fh__sensor_enforce_block(fh__sensor_enforce *e, const char *addr, unsigned seconds)
{
    char line[128];
    int n = snprintf(line, sizeof line, "block %s %u\n", addr, seconds);
    if (n > 0 && (size_t)n < sizeof line && write(e->fd, line, (size_t)n) == n)
        e->sent++;
    else
        e->dropped++; /* the helper is behind: counted in the stats */
}

/* ---- the enforced collections (the following thread) ---------------------- */

/* Writes all of data, waiting for the helper until deadline_ms (monotonic).
 * False when the helper is gone or does not read in time. */
static bool write_all(int fd, const char *data, size_t len, int64_t deadline_ms)
{
    while (len) {
        ssize_t w = write(fd, data, len);
        if (w > 0) {
            data += w;
            len -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return false; /* EPIPE: the helper has ended */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t left = deadline_ms - ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        if (poll(&p, 1, (int)(left < 1000 ? left : 1000)) < 0 && errno != EINTR)
            return false;
    }
    return true;
}

bool fh__sensor_enforce_feed(fh__sensor_enforce *e, const json_t *objects)
{
    fh_block_list l;
    fh_block_list_init(&l);
    /* 0: no valid_until; the helper gives those a renewed timeout. */
    fh_block_from_objects(&l, objects, 0);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + FEED_WAIT_MS;
    fh_buf out;
    fh_buf_init(&out, 0);
    pthread_mutex_lock(&e->feed_lock);
    /* The newline first ends a line an earlier, abandoned replacement may
     * have left half written. */
    fh_buf_append_str(&out, "\nbegin\n");
    bool ok = e->feed_fd >= 0;
    for (size_t i = 0; i <= l.count && ok; i++) {
        if (i < l.count) {
            char text[50];
            fh_block_format(&l.items[i], text);
            fh_buf_appendf(&out, "net %s %lld\n", text, (long long)l.items[i].expires);
        } else {
            fh_buf_append_str(&out, "commit\n");
        }
        if (out.len >= 60000 || i == l.count) {
            ok = write_all(e->feed_fd, out.data, out.len, deadline);
            fh_buf_reset(&out);
        }
    }
    if (ok) {
        e->feeds++;
        e->feed_entries = l.count;
        e->feed_skipped = l.skipped;
        fh_info("sensor",
                "enforcing %zu addresses and prefixes of the enforced collections (%zu indicators "
                "with nothing a firewall set can hold)",
                l.count, l.skipped);
    } else {
        e->feed_errors++;
        fh_error("sensor",
                 "the enforcement helper did not take the enforced collections' %zu "
                 "entries (it has ended, or was busy for 30 s); it keeps the previous "
                 "ones, and they are sent again after the next poll",
                 l.count);
    }
    pthread_mutex_unlock(&e->feed_lock);
    fh_buf_cleanup(&out);
    fh_block_list_cleanup(&l);
    return ok;
}

json_t *fh__sensor_enforce_finish(fh__sensor_enforce *e)
{
    pthread_mutex_lock(&e->feed_lock);
    if (e->fd >= 0) {
        close(e->fd);
        close(e->feed_fd);
        e->fd = e->feed_fd = -1;
        int st;
        waitpid(e->helper, &st, 0);
    }
    json_t *stats =
        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "block_requests", (json_int_t)e->sent,
                  "block_requests_dropped", (json_int_t)e->dropped, "collection_updates",
                  (json_int_t)e->feeds, "collection_update_errors", (json_int_t)e->feed_errors,
                  "collection_entries", (json_int_t)e->feed_entries,
                  "collection_indicators_skipped", (json_int_t)e->feed_skipped);
    pthread_mutex_unlock(&e->feed_lock);
    return stats;
}

void fh__sensor_enforce_free(fh__sensor_enforce *e)
{
    if (e == NULL)
        return;
    json_decref(fh__sensor_enforce_finish(e));
    pthread_mutex_destroy(&e->feed_lock);
    free(e);
}

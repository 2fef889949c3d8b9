/*
 * `fenghuo sensor --enforce nft`: the sensor's own detections (scanners and
 * brute-forcers) are blocked in nftables.
 *
 * Changing nftables needs CAP_NET_ADMIN, and the sensor gives up every
 * privilege before it decodes a packet. So, as OpenSSH and relayd separate
 * privileges, a small helper process is forked while the sensor is still
 * root, before any packet is read: it keeps root, reads one line per block
 * request from a pipe ("block ADDRESS SECONDS\n"), checks each line strictly
 * (the other end parses hostile traffic), applies the allowlist, and keeps
 * the nftables sets in step once a second. It exits when the pipe closes.
 * The packet thread writes to the pipe without blocking; a full pipe is
 * counted, never waited on.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fenghuo/mitigate.h"
#include "fenghuo/util.h"
#include "sensor/sensor-enforce.h"

#define MAX_BLOCKS 1000000

struct fh__sensor_enforce {
    int fd; /* write end, in the sensor */
    pid_t helper;
    uint64_t sent, dropped;
};

/* ---- the helper (root) --------------------------------------------------- */

static void helper_loop(int fd, const char *table, const fh_block *allow, size_t n_allow,
                        bool dry_run)
{
    fh_buf err;
    fh_buf_init(&err, 1 << 16);
    fh_nft *nft = NULL;
    if (fh_nft_new(table, dry_run, stderr, &nft, &err) != FH_OK ||
        fh_nft_setup(nft, &err) != FH_OK) {
        fh_error("enforce", "%s", err.data ? err.data : "nftables set-up failed");
        _exit(1);
    }
    fh_block *blocks = NULL;
    size_t n = 0, cap = 0;
    char line[256];
    size_t len = 0;
    bool changed = false, open = true;
    time_t last_sync = 0;
    while (open || changed) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = open ? poll(&p, 1, 1000) : 0;
        if (r > 0) {
            char buf[4096];
            ssize_t got = read(fd, buf, sizeof buf);
            if (got <= 0) {
                open = false;
            }
            for (ssize_t i = 0; i < got; i++) {
                if (buf[i] != '\n') {
                    if (len < sizeof line - 1)
                        line[len++] = buf[i];
                    continue;
                }
                line[len] = '\0';
                len = 0;
                /* "block ADDRESS SECONDS": anything else is ignored. */
                char addr[64];
                int64_t secs;
                char *sp = strchr(line + 6, ' ');
                fh_block b;
                if (strncmp(line, "block ", 6) != 0 || sp == NULL ||
                    (size_t)(sp - (line + 6)) >= sizeof addr ||
                    fh_parse_i64(sp + 1, 1, 30 * 86400, &secs) != FH_OK)
                    continue;
                memcpy(addr, line + 6, (size_t)(sp - (line + 6)));
                addr[sp - (line + 6)] = '\0';
                if (!fh_block_parse(addr, strlen(addr), &b))
                    continue;
                bool allowed = false;
                for (size_t k = 0; k < n_allow && !allowed; k++)
                    allowed = fh_block_overlaps(&b, &allow[k]);
                if (allowed) {
                    fh_warn("enforce", "not blocking %s: it overlaps the allowlist", addr);
                    continue;
                }
                b.expires = (int64_t)time(NULL) + secs;
                size_t k = 0;
                while (k < n && !(blocks[k].family == b.family && blocks[k].plen == b.plen &&
                                  memcmp(blocks[k].addr, b.addr, 16) == 0))
                    k++;
                if (k < n) {
                    blocks[k].expires =
                        b.expires > blocks[k].expires ? b.expires : blocks[k].expires;
                } else if (n < MAX_BLOCKS) {
                    if (n == cap) {
                        cap = cap ? cap * 2 : 64;
                        blocks = fh_xrealloc(blocks, cap * sizeof *blocks);
                    }
                    blocks[n++] = b;
                }
                changed = true;
            }
        }
        time_t now = time(NULL);
        if (changed || now - last_sync >= 10) {
            fh_nft_stats st;
            fh_buf_reset(&err);
            if (fh_nft_sync(nft, blocks, n, now, &st, &err) != FH_OK)
                fh_error("enforce", "%s", err.data);
            else if (st.added || st.removed)
                fh_info("enforce", "blocked: %zu added, %zu removed", st.added, st.removed);
            changed = false;
            last_sync = now;
        }
    }
    free(blocks);
    fh_nft_free(nft);
    fh_buf_cleanup(&err);
}

fh_err fh__sensor_enforce_new(const char *table, const fh_block *allow, size_t n_allow,
                              bool dry_run, fh__sensor_enforce **out, fh_buf *err)
{
    *out = NULL;
    /* Refuse early what the helper would refuse later. */
    fh_nft *probe = NULL;
    if (fh_nft_new(table, true, stderr, &probe, err) != FH_OK)
        return FH_ERR_USAGE;
    fh_nft_free(probe);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        fh_buf_appendf(err, "pipe: %s", strerror(errno));
        return FH_ERR_IO;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fh_buf_appendf(err, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return FH_ERR_IO;
    }
    if (pid == 0) {
        /* Keep only the pipe and the standard streams; the helper writes
         * to stderr only (stdout may carry the sensor's events). */
        if (dup2(fds[0], 3) < 0)
            _exit(1);
        close_range(4, ~0U, 0);
        /* The helper ignores the signals meant for the sensor: it ends when
         * the sensor's end of the pipe closes. */
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        helper_loop(3, table, allow, n_allow, dry_run);
        _exit(0);
    }
    close(fds[0]);
    fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
    fh__sensor_enforce *e = fh_xcalloc(1, sizeof *e);
    e->fd = fds[1];
    e->helper = pid;
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

json_t *fh__sensor_enforce_finish(fh__sensor_enforce *e)
{
    if (e->fd >= 0) {
        close(e->fd);
        e->fd = -1;
        int st;
        waitpid(e->helper, &st, 0);
    }
    return json_pack("{s:I,s:I}", "block_requests", (json_int_t)e->sent, "block_requests_dropped",
                     (json_int_t)e->dropped);
}

void fh__sensor_enforce_free(fh__sensor_enforce *e)
{
    if (e == NULL)
        return;
    json_decref(fh__sensor_enforce_finish(e));
    free(e);
}
